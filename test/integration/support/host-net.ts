/** What the network suites read from the host and from pod namespaces (ip, ping, iptables). */
import { execFileSync } from 'child_process';

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Host-side links attached to `bridge` (none when it does not exist). */
export function vethsOn(bridge: string): string[] {
  try {
    return (JSON.parse(sh('ip', ['-j', 'link', 'show', 'master', bridge])) as { ifname: string }[]).map(
      (l) => l.ifname,
    );
  } catch {
    return [];
  }
}

/** The IPv4 addresses (address/prefix) on `dev`, inside namespace `ns` or on the host. */
export function addressesOn(ns: string | undefined, dev: string): string[] {
  const links = JSON.parse(sh('ip', [...(ns ? ['-n', ns] : []), '-j', 'addr', 'show', 'dev', dev])) as {
    addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  return links.flatMap((l) =>
    l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  );
}

/** One ping (3 s), from namespace `fromNs` or from the host. */
export function ping(ip: string, fromNs?: string): boolean {
  const args = ['ping', '-c', '1', '-W', '3', ip];
  try {
    if (fromNs) sh('ip', ['netns', 'exec', fromNs, 'busybox', ...args]);
    else sh('busybox', args);
    return true;
  } catch {
    return false;
  }
}

/** The host's NAT rules that mention `uid` (the bridge plugin's masquerade chains name the pod). */
export function natRulesFor(uid: string): string[] {
  return sh('iptables-save', ['-t', 'nat'])
    .split('\n')
    .filter((l) => l.includes(uid));
}
