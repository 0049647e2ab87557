/**
 * What a kubelet node needs from this host, found or made: the node runtime's programs
 * (containerd, runc, ctr and umoci: Debian's packages, which the repository's control-plane setup
 * script installs), whether processes may lower their oom_score_adj (CAP_SYS_RESOURCE), and the node's cgroup
 * root in every cgroup v1 hierarchy (made before kubelet starts, removed after it stopped).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { onPath } from '../../../common/on-path';

export class NodeHostError extends Error {}

/** The programs of the node runtime, found on PATH. */
export interface NodeRuntimePrograms {
  readonly containerd: string;
  readonly runc: string;
  readonly ctr: string;
  readonly umoci: string;
}

export function findNodeRuntime(): NodeRuntimePrograms {
  const missing: string[] = [];
  const find = (name: string): string => {
    const file = onPath(name);
    if (!file) missing.push(name);
    return file ?? '';
  };
  const programs = {
    containerd: find('containerd'),
    runc: find('runc'),
    ctr: find('ctr'),
    umoci: find('umoci'),
  };
  if (missing.length)
    throw new NodeHostError(
      `kubelet nodes need ${missing.join(', ')} on PATH; install Debian's packages as root: apt-get install containerd runc umoci busybox-static iptables`,
    );
  return programs;
}

/**
 * Whether a process may set a negative oom_score_adj here (CAP_SYS_RESOURCE): a child shell
 * tries -1 on itself.
 */
export function canLowerOomScore(): boolean {
  const r = spawnSync('sh', ['-c', 'echo -1 > /proc/self/oom_score_adj'], { stdio: 'ignore' });
  return r.status === 0;
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup v1 hierarchies mounted under /sys/fs/cgroup (the v2 one, `unified`, aside). */
export function cgroupV1Hierarchies(): string[] {
  if (fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'))) return [];
  return fs
    .readdirSync(CGROUP_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'unified')
    .map((d) => path.join(CGROUP_ROOT, d.name))
    .filter((dir) => fs.existsSync(path.join(dir, 'cgroup.procs')));
}

/** Make `root` (`/virtkit-node-n1`) in every v1 hierarchy; cpuset gets its parent's cpus and mems. */
export function ensureCgroupRoot(root: string): void {
  for (const h of cgroupV1Hierarchies()) {
    const dir = path.join(h, root);
    fs.mkdirSync(dir, { recursive: true });
    if (path.basename(h) === 'cpuset')
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const mine = path.join(dir, f);
        if (!fs.readFileSync(mine, 'utf8').trim())
          fs.writeFileSync(mine, fs.readFileSync(path.join(h, f), 'utf8'));
      }
  }
}

/**
 * Remove `root` and the cgroups kubelet and runc made under it (deepest first), in the v1
 * hierarchies and the v2 one beside them (`unified`, where runc mirrors them); busy ones stay.
 */
export function removeCgroupRoot(root: string): void {
  const unified = path.join(CGROUP_ROOT, 'unified');
  const hierarchies = [...cgroupV1Hierarchies(), ...(fs.existsSync(unified) ? [unified] : [])];
  for (const h of hierarchies) {
    const dir = path.join(h, root);
    if (!fs.existsSync(dir)) continue;
    try {
      execFileSync('find', [dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
    } catch {
      // A cgroup with a process left in it stays; the next start reuses it.
    }
  }
}

/** The IPv4 routes and addresses this host uses now (`ip -j`), for picking free node slots (./slots.ts). */
export function hostAddressUse(): { routes: string[]; addresses: string[] } {
  const json = <T>(args: string[]): T[] =>
    JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }) || '[]') as T[];
  const routes = json<{ dst?: string }>(['-4', 'route', 'show', 'table', 'all'])
    .map((r) => r.dst ?? '')
    .filter((d) => d && d !== 'default')
    .map((d) => (d.includes('/') ? d : `${d}/32`));
  const addresses = json<{ addr_info?: { local?: string }[] }>(['-4', 'addr', 'show']).flatMap((i) =>
    (i.addr_info ?? []).map((a) => a.local ?? '').filter(Boolean),
  );
  return { routes, addresses };
}

/**
 * SIGKILL what a node whose containerd is gone left running: every process in its cgroups (the
 * containers, in the v1 hierarchies and the v2 one beside them) and every process whose command
 * line names its folder and that is one of the node's daemons (containerd's shims, which name its
 * socket; a kubelet or containerd a crashed run did not record). Returns how many were signalled.
 */
const NODE_DAEMONS = /^(containerd|containerd-shim.*|kubelet|runc)$/;

export function killNodeLeftovers(cgroupRoot: string, dir: string): number {
  const pids = new Set<number>();
  const unified = path.join(CGROUP_ROOT, 'unified');
  for (const h of [...cgroupV1Hierarchies(), ...(fs.existsSync(unified) ? [unified] : [])]) {
    const top = path.join(h, cgroupRoot);
    if (!fs.existsSync(top)) continue;
    const walk = (d: string): void => {
      try {
        for (const line of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n'))
          if (/^\d+$/.test(line)) pids.add(Number(line));
        for (const e of fs.readdirSync(d, { withFileTypes: true }))
          if (e.isDirectory()) walk(path.join(d, e.name));
      } catch {
        // removed meanwhile
      }
    };
    walk(top);
  }
  const marker = `${dir.replace(/\/+$/, '')}/`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (NODE_DAEMONS.test(path.basename(argv[0] ?? '')) && argv.some((a) => a.includes(marker)))
        pids.add(Number(entry));
    } catch {
      // gone
    }
  }
  for (const pid of pids)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  return pids.size;
}
