/**
 * Where a VMI stands on this node, for the node API (pure over what the VMI sync and the
 * launchers know): absent, not ready (why), or ready with its launcher's control socket. Both
 * runtimes answer with it (local mode's ../handler.ts, cluster mode's ../kubelet/handler.ts).
 */
import type { NodeVmiLocation } from '../api/types';
import type { VmiLaunchers } from './launchers';

interface LocatableVmi {
  metadata?: { uid?: string };
  status?: { nodeName?: string; phase?: string };
}

export function locateVmi(
  vmi: LocatableVmi | undefined,
  nodeName: string,
  launchers: VmiLaunchers | undefined,
  namespace: string,
  name: string,
): NodeVmiLocation {
  if (!vmi || vmi.status?.nodeName !== nodeName || !launchers) return { kind: 'absent' };
  const phase = vmi.status?.phase ?? '';
  if (phase === 'Succeeded' || phase === 'Failed')
    return { kind: 'not-ready', why: `the guest has stopped (phase ${phase})` };
  const uid = vmi.metadata?.uid;
  const l = launchers.launcherForVmi(namespace, name, uid);
  if (!l) return { kind: 'not-ready', why: 'its launcher has not started yet' };
  if (l.exit) return { kind: 'not-ready', why: `its launcher has exited (code ${l.exit.code})` };
  if (!l.ready) return { kind: 'not-ready', why: 'its launcher is still starting' };
  return {
    kind: 'ready',
    socket: l.dir.socket,
    vmi: {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name, namespace, ...(uid ? { uid } : {}) },
    },
  };
}
