/**
 * What the VMI sync needs to know about the launcher of a VMI on this node, whoever runs it:
 * local mode's pod runtime (../pods/runtime.ts, launcher processes it starts itself) or, in
 * cluster mode, kubelet (../kubelet/launcher-pods.ts, launcher containers found through the
 * pods' shared socket folders). Both hand the sync the same view, so everything above it is
 * one code path.
 */
import type { FinalStatus } from '../pods/pod-dir';

export interface VmiLauncher {
  /** The launcher pod, and the addresses of its pod network (status.podIPs). */
  readonly record: {
    readonly uid: string;
    readonly namespace: string;
    readonly name: string;
    readonly podIPs?: readonly string[];
  };
  readonly dir: {
    /** The launcher's control socket, as this handler reaches it. */
    readonly socket: string;
    /** QEMU's own folder (its migration sockets), as this handler reaches it (maybe through a short link of its own). */
    readonly qemuDir: string;
    /** QEMU's folder at its own path, no link on the way: where the source binds (through a descriptor). */
    readonly qemuFolder: string;
    /** The launcher's final-status.json once it ended. */
    readFinalStatus(): FinalStatus | undefined;
  };
  /** The launcher process ended with this code. */
  readonly exit?: { readonly code: number };
  /** The control socket answers. */
  readonly ready: boolean;
}

export interface VmiLaunchers {
  /** The newest launcher of the VMI on this node (of its uid, when given). */
  launcherForVmi(namespace: string, name: string, uid?: string): VmiLauncher | undefined;
  /** The pod's addresses (a VMI's pod-network interface reports them). */
  podIPsOf(l: VmiLauncher): readonly string[];
}

/**
 * The newest of `launchers` that runs the VMI `namespace/name` (of `uid`, when both know it),
 * by start time (pure): what both runtimes' launcherForVmi answer.
 */
export function newestLauncherOf<L>(
  launchers: Iterable<L>,
  of: (l: L) => {
    readonly vmi: { readonly namespace: string; readonly name: string; readonly uid?: string };
    readonly startedAt: string;
  },
  namespace: string,
  name: string,
  uid?: string,
): L | undefined {
  let found: L | undefined;
  let foundAt = '';
  for (const l of launchers) {
    const { vmi: v, startedAt } = of(l);
    if (v.namespace !== namespace || v.name !== name || (uid && v.uid && v.uid !== uid)) continue;
    if (found === undefined || startedAt > foundAt) [found, foundAt] = [l, startedAt];
  }
  return found;
}
