/**
 * A launcher pod's network namespace, from the node (I/O): found through a process of the pod
 * (its cgroup path names the pod uid, as kubelet's cgroupfs and systemd drivers write it; the
 * handler DaemonSet has hostPID), and the pod-network bindings' steps performed in it with
 * util-linux's nsenter (arguments as arrays, never a shell; each run time-limited).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  bindingSteps,
  NAT_TABLE,
  type BindingStep,
  type TapOwner,
} from '../../launcher/network/binding-steps';
import type { PlannedBinding } from '../../launcher/plan/types';

const STEP_TIMEOUT_MS = 30_000;

/**
 * Does this /proc/<pid>/cgroup text put the process in the pod? (pure) kubelet's cgroupfs
 * driver names the pod's folder `pod<uid>`, its systemd driver `kubepods-<qos>-pod<uid with _>.slice`.
 */
export function cgroupOfPod(cgroupText: string, podUid: string): boolean {
  const plain = `pod${podUid}`;
  const slice = `-pod${podUid.replace(/-/g, '_')}.slice`;
  return cgroupText.split('\n').some((line) => {
    const cgroupPath = line.split(':').slice(2).join(':');
    return cgroupPath
      .split('/')
      .some((part) => part === plain || (part.startsWith('kubepods') && part.endsWith(slice)));
  });
}

/** A process of the pod (any: they share its network namespace), or undefined. */
export function findPodProcess(podUid: string, proc = '/proc'): number | undefined {
  for (const entry of fs.readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = fs.readFileSync(path.join(proc, entry, 'cgroup'), 'utf8');
    } catch {
      continue; // gone
    }
    if (cgroupOfPod(text, podUid)) return Number(entry);
  }
  return undefined;
}

/** The steps' path of a sysctl must stay a network sysctl of the namespace. */
const NET_SYSCTL = /^\/proc\/sys\/net\/[a-z0-9_/.-]+$/;

/** The argv that performs one step in the namespace of `pid` (pure), and its stdin. */
export function stepArgv(
  pid: number,
  step: BindingStep,
  nodeBinary: string,
): { argv: string[]; input?: string } {
  const enter = ['nsenter', `--net=/proc/${pid}/ns/net`, '--'];
  if (step.kind === 'ip') return { argv: [...enter, 'ip', ...step.args] };
  if (step.kind === 'nft') return { argv: [...enter, 'nft', '-f', '-'], input: step.ruleset };
  if (!NET_SYSCTL.test(step.path) || step.path.includes('..'))
    throw new Error(`sysctl ${step.path}: not a network sysctl of the pod's namespace`);
  // /proc/sys/net is the namespace's of the process that opens it: written from inside.
  return {
    argv: [
      ...enter,
      nodeBinary,
      '-e',
      'require("fs").writeFileSync(process.argv[1], process.argv[2])',
      step.path,
      step.value,
    ],
  };
}

function run(argv: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: STEP_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        reject(
          new Error(
            e.code === 'ENOENT'
              ? `${argv[0]} is not installed (util-linux, iproute2, nftables)`
              : `${argv.slice(3).join(' ')}: ${e.killed ? `killed after ${STEP_TIMEOUT_MS / 1000}s` : stderr.trim() || e.message}`,
          ),
        );
      },
    );
    // A program that does not read its stdin (ip) may be gone before the write: no crash for that.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/**
 * What an earlier, interrupted wiring of a masquerade binding may have left in the pod's
 * namespace (a handler restarted mid-way), removed before the steps run again: the tap, the
 * bridge, the NAT table (pure). A bridge binding moves the pod interface's address to the
 * guest and cannot be redone; ./launcher-pods.ts fails such a pod instead.
 */
export function leftoverCleanup(b: PlannedBinding): BindingStep[] {
  if (b.kind !== 'masquerade') return [];
  return [
    { kind: 'ip', args: ['link', 'del', 'dev', b.tap] },
    { kind: 'ip', args: ['link', 'del', 'dev', b.bridge] },
    { kind: 'nft', ruleset: `delete table ip ${NAT_TABLE}\n` },
  ];
}

/**
 * Performs every binding's steps in the pod's namespace, the tap owned by `owner` (the
 * launcher's uid, so QEMU opens it without a capability). Rejects naming the interface.
 */
export async function wireBindings(
  pid: number,
  bindings: readonly PlannedBinding[],
  owner: TapOwner,
  /** again: an earlier handler may have begun (its answer never came): leftovers go first. */
  options: { readonly again?: boolean } = {},
  nodeBinary = process.execPath,
): Promise<void> {
  for (const b of bindings) {
    if (options.again) {
      if (b.kind !== 'masquerade')
        throw new Error(
          `interface ${b.podInterface} (bridge): an earlier wiring was interrupted and a bridge binding cannot be redone; the pod must be recreated`,
        );
      // Whatever is not there fails to go: that is fine.
      for (const step of leftoverCleanup(b)) {
        const { argv, input } = stepArgv(pid, step, nodeBinary);
        await run(argv, input).catch(() => undefined);
      }
    }
    for (const step of bindingSteps(b, owner)) {
      const { argv, input } = stepArgv(pid, step, nodeBinary);
      try {
        await run(argv, input);
      } catch (e) {
        throw new Error(`interface ${b.podInterface} (${b.kind}): ${(e as Error).message}`);
      }
    }
  }
}
