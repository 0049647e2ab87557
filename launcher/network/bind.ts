/**
 * Binds the guest's pod-network interfaces to the pod's interface (I/O), in the pod's network
 * namespace the launcher runs in: performs ./binding-steps.ts and serves each guest its
 * address by DHCP (./dhcp/). Done once per launcher, before QEMU first starts; a guest reboot
 * or a restart of QEMU by the launcher finds everything in place.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import { IpCommandError, runIp } from '../../common/ip-command';
import type { PlannedBinding, PlannedInterface } from '../plan/types';
import { bindingSteps, type BindingStep, type TapOwner } from './binding-steps';
import type { DhcpLease } from './dhcp/lease';
import { DhcpServer } from './dhcp/server';

export class PodNetworkBindingError extends Error {
  constructor(
    readonly iface: string,
    readonly binding: string,
    detail: string,
  ) {
    super(`cannot bind interface ${iface} (${binding}) to the pod network: ${detail}`);
    this.name = 'PodNetworkBindingError';
  }
}

/** The DHCP lease a binding's guest gets (pure); none without an address (layer 2 only). */
export function leaseOf(b: PlannedBinding): DhcpLease | undefined {
  if (!b.guest) return undefined;
  return {
    mac: b.guestMac,
    ip: b.guest.ip,
    prefixLength: b.guest.prefixLength,
    router: b.gateway,
    dns: b.dns.nameservers,
    searchDomains: b.dns.searches,
    domainName: b.dns.searches[0],
    hostname: b.hostname,
    mtu: b.mtu,
    serverId: b.serverIp,
    // Option 121 (lease.ts adds the default route to it, since a client that gets classless
    // routes ignores the router option).
    ...(b.routes.length ? { routes: b.routes } : {}),
    // KubeVirt's dhcpOptions: options 66, 67, 42 and 224..254 (lease.ts encodes them).
    ...(b.dhcpOptions?.tftpServerName ? { tftpServerName: b.dhcpOptions.tftpServerName } : {}),
    ...(b.dhcpOptions?.bootFileName ? { bootFileName: b.dhcpOptions.bootFileName } : {}),
    ...(b.dhcpOptions?.ntpServers.length ? { ntpServers: b.dhcpOptions.ntpServers } : {}),
    ...(b.dhcpOptions?.privateOptions.length ? { privateOptions: b.dhcpOptions.privateOptions } : {}),
  };
}

function runNft(ruleset: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'nft',
      ['-f', '-'],
      { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          return reject(new Error('nft is not installed; install the Debian package nftables'));
        reject(new Error(`nft -f - failed: ${stderr.trim() || err.message}`));
      },
    );
    child.stdin?.end(ruleset);
  });
}

async function runStep(step: BindingStep): Promise<void> {
  if (step.kind === 'ip') await runIp(step.args);
  else if (step.kind === 'sysctl') fs.writeFileSync(step.path, step.value);
  else await runNft(step.ruleset);
}

/** The bindings' DHCP server (if any guest gets an address), to close when the guest is done. */
export interface BoundPodNetwork {
  close(): Promise<void>;
}

/**
 * Wires every bound interface of the plan and starts the DHCP server for their guests;
 * undefined when no interface is bound (user networking, or no pod network).
 */
export async function bindPodNetwork(
  interfaces: readonly PlannedInterface[],
  owner: TapOwner | undefined,
  /** stepsDone: the node's handler performed the steps already (cluster mode); serve DHCP only. */
  options: { readonly stepsDone?: boolean } = {},
): Promise<BoundPodNetwork | undefined> {
  const bound = interfaces.filter((i) => i.binding);
  if (!bound.length) return undefined;
  for (const i of options.stepsDone ? [] : bound) {
    const b = i.binding!;
    for (const step of bindingSteps(b, owner)) {
      try {
        await runStep(step);
      } catch (e) {
        const what = e instanceof IpCommandError ? e.message : `${step.kind}: ${(e as Error).message}`;
        throw new PodNetworkBindingError(i.name, b.kind, what);
      }
    }
  }
  const leases = bound.flatMap((i) => leaseOf(i.binding!) ?? []);
  if (!leases.length) return { close: () => Promise.resolve() };
  const dhcp = await DhcpServer.start({ leases });
  return { close: () => dhcp.close() };
}
