/**
 * One kubelet node on this machine: containerd (its own root, state and socket) with the node's
 * sandbox image imported, then kubelet registering the Node with the control plane; stopping
 * kills what containerd still runs, stops both daemons, and removes the node's bridge, cgroup
 * root and mounts. The files come from ./node-plan.ts; the host's part from ./host.ts.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findBinary } from '../binaries';
import { logTail, startProcess, stopPid, type StartedProcess } from '../process';
import {
  canLowerOomScore,
  ensureCgroupRoot,
  findNodeRuntime,
  removeCgroupRoot,
  type NodeRuntimePrograms,
} from './host';
import {
  cniConfig,
  containerdConfig,
  kubeletArgs,
  kubeletConfig,
  nodeBridgeName,
  nodeCgroupRoot,
  nodeKubeconfig,
  nodePaths,
  runtimeClampScript,
  type KubeletNodeSpec,
} from './node-plan';
import { pauseImage } from './pause-image';

export class KubeletNodeError extends Error {}

export type KubeletNodeOptions = Omit<KubeletNodeSpec, 'sandboxImage' | 'runtimeBinary'>;

export interface RunningKubeletNode {
  readonly name: string;
  readonly containerdSocket: string;
  readonly sandboxImage: string;
  /** Whether containerd runs runc through the oomScoreAdj clamp (no CAP_SYS_RESOURCE here). */
  readonly clampsOomScore: boolean;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ctr(programs: NodeRuntimePrograms, socket: string, args: string[]): string {
  return execFileSync(programs.ctr, ['--address', socket, '--namespace', 'k8s.io', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function waitFor(what: string, probe: () => boolean, proc: StartedProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (probe()) return;
    if (proc.exit)
      throw new KubeletNodeError(
        `${proc.name} exited (${JSON.stringify(proc.exit)}) before ${what}:\n${logTail(proc.logFile)}`,
      );
    await sleep(200);
  }
  throw new KubeletNodeError(`${what} did not happen within ${ms / 1000}s:\n${logTail(proc.logFile)}`);
}

function unmountUnder(dir: string): void {
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((m) => m.replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts)
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // gone already
    }
}

export async function startKubeletNode(o: KubeletNodeOptions): Promise<RunningKubeletNode> {
  const programs = findNodeRuntime();
  const kubelet = findBinary('kubelet');
  const p = nodePaths(o.dir);
  for (const d of [
    o.dir,
    p.containerdRoot,
    p.containerdState,
    p.cniConfDir,
    p.kubeletRoot,
    p.podLogs,
    p.logs,
  ])
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  const clampsOomScore = !canLowerOomScore();
  if (clampsOomScore) fs.writeFileSync(p.runtimeClamp, runtimeClampScript(programs.runc), { mode: 0o755 });
  const image = pauseImage(programs.umoci);
  const spec: KubeletNodeSpec = {
    ...o,
    sandboxImage: image.ref,
    runtimeBinary: clampsOomScore ? p.runtimeClamp : programs.runc,
  };
  fs.writeFileSync(p.containerdConfig, containerdConfig(spec), { mode: 0o600 });
  fs.writeFileSync(path.join(p.cniConfDir, '10-virtkit-node.conflist'), cniConfig(spec), { mode: 0o600 });
  fs.writeFileSync(p.kubeletConfig, kubeletConfig(spec), { mode: 0o600 });
  fs.writeFileSync(p.kubeletKubeconfig, nodeKubeconfig(spec), { mode: 0o600 });
  ensureCgroupRoot(nodeCgroupRoot(o.name));

  const containerd = startProcess(
    {
      name: `containerd (node ${o.name})`,
      binary: programs.containerd,
      args: ['--config', p.containerdConfig],
    },
    path.join(p.logs, 'containerd.log'),
    path.join(p.logs, 'containerd.pid'),
  );
  let kubeletProc: StartedProcess | undefined;
  const stop = async (): Promise<void> => {
    if (kubeletProc) await stopPid(kubeletProc.pid);
    // Containers kubelet left: killed, so their shims exit with them.
    try {
      for (const id of ctr(programs, p.containerdSocket, ['tasks', 'ls', '-q']).split('\n').filter(Boolean)) {
        try {
          ctr(programs, p.containerdSocket, ['tasks', 'kill', '-s', 'SIGKILL', id]);
        } catch {
          // already gone
        }
      }
      await sleep(500);
    } catch {
      // containerd is not answering: nothing more to ask it
    }
    await stopPid(containerd.pid);
    unmountUnder(o.dir);
    try {
      execFileSync('ip', ['link', 'del', nodeBridgeName(o.name)], { stdio: 'ignore' });
    } catch {
      // no bridge made
    }
    removeCgroupRoot(nodeCgroupRoot(o.name));
  };
  try {
    await waitFor(
      'containerd served its socket',
      () => fs.existsSync(p.containerdSocket),
      containerd,
      30_000,
    );
    ctr(programs, p.containerdSocket, [
      'images',
      'import',
      '--base-name',
      image.ref.split(':')[0]!,
      image.archive,
    ]);
    kubeletProc = startProcess(
      { name: `kubelet (node ${o.name})`, binary: kubelet, args: kubeletArgs(spec) },
      path.join(p.logs, 'kubelet.log'),
      path.join(p.logs, 'kubelet.pid'),
    );
    return {
      name: o.name,
      containerdSocket: p.containerdSocket,
      sandboxImage: image.ref,
      clampsOomScore,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
