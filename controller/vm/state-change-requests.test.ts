/**
 * How the VM controller acts on `status.stateChangeRequests`, the requests `virtkit start|stop|
 * restart` (and virtctl) make through the subresource API, as KubeVirt's virt-controller does:
 * only the first request is acted on; a Stop deletes the VMI it names (by uid) and is dropped
 * once that VMI is gone; a Start creates a VMI (paused when its data says paused: "true") and is
 * dropped once a live VMI exists. A small in-memory world runs the rounds: the controller's
 * decisions are applied, the VMI comes and goes, the status is written back.
 */
import type {
  RunStrategy,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineStateChangeRequest,
} from '../../api/kubevirt/v1';
import { reconcileVm } from './desired';
import { NOW, vm as makeVm, vmi as makeVmi } from './fixtures';

interface World {
  vm: VirtualMachine;
  vmi: VirtualMachineInstance | undefined;
  /** What happened, in order: "create", "create paused", "delete vmi-uid"... */
  log: string[];
}

let uids = 0;

/** One controller round; a deleted VMI is gone by the next round (the handler stopped it). */
function round(w: World): void {
  if (w.vmi?.metadata?.deletionTimestamp) w.vmi = undefined;
  const d = reconcileVm({ vm: w.vm, vmi: w.vmi, now: NOW, random: () => 0 });
  if (d.specPatch) {
    w.vm = { ...w.vm, spec: { ...w.vm.spec, ...d.specPatch } };
    w.log.push(`spec ${JSON.stringify(d.specPatch)}`);
  }
  if (d.createVmi) {
    const created = makeVmi('Pending', { uid: `vmi-${++uids}` });
    created.spec = d.createVmi.spec;
    w.vmi = created;
    w.log.push(d.createVmi.spec.startStrategy === 'Paused' ? 'create paused' : 'create');
  }
  if (d.deleteVmi && w.vmi) {
    w.vmi = { ...w.vmi, metadata: { ...w.vmi.metadata, deletionTimestamp: NOW.toISOString() } };
    w.log.push(`delete ${d.deleteVmi.uid}`);
  }
  w.vm = { ...w.vm, status: d.status };
}

/** Rounds until nothing changes any more (at most 10). */
function settle(w: World): World {
  for (let i = 0; i < 10; i++) {
    const before = JSON.stringify([w.vm, w.vmi]);
    round(w);
    if (JSON.stringify([w.vm, w.vmi]) === before) return w;
  }
  throw new Error(`no steady state: ${w.log.join('; ')}`);
}

function world(
  strategy: RunStrategy,
  vmiPhase: 'Running' | 'Succeeded' | 'Failed' | undefined,
  requests: VirtualMachineStateChangeRequest[],
): World {
  const vmi = vmiPhase ? makeVmi(vmiPhase, { ran: true, uid: 'vmi-uid' }) : undefined;
  // The VM has been reconciled before (status.runStrategy recorded), as any running VM has.
  const vm = makeVm({
    runStrategy: strategy,
    status: { runStrategy: strategy, created: vmi !== undefined, stateChangeRequests: requests },
  });
  return { vm, vmi, log: [] };
}

const start: VirtualMachineStateChangeRequest = { action: 'Start' };
const startPaused: VirtualMachineStateChangeRequest = { action: 'Start', data: { paused: 'true' } };
const stop: VirtualMachineStateChangeRequest = { action: 'Stop', uid: 'vmi-uid' };

describe('what each request does, by run strategy (the requests the subresource API writes)', () => {
  test('Manual, start: a Start creates the VMI; the request is dropped once the VMI exists', () => {
    const w = settle(world('Manual', undefined, [start]));
    expect(w.log).toEqual(['create']);
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
    expect(w.vmi?.metadata?.uid).toBe('vmi-1');
  });

  test('Manual, start --paused: the VMI starts with startStrategy Paused', () => {
    const w = settle(world('Manual', undefined, [startPaused]));
    expect(w.log).toEqual(['create paused']);
    expect(w.vmi?.spec.startStrategy).toBe('Paused');
  });

  test('Manual, start after the guest shut down: Stop (the final VMI) then Start', () => {
    const w = settle(world('Manual', 'Succeeded', [stop, start]));
    expect(w.log).toEqual(['delete vmi-uid', 'create']);
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
  });

  test('Manual, stop: the named VMI is deleted and nothing starts again', () => {
    const w = settle(world('Manual', 'Running', [stop]));
    expect(w.log).toEqual(['delete vmi-uid']);
    expect(w.vmi).toBeUndefined();
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
    expect(w.vm.status?.printableStatus).toBe('Stopped');
  });

  test('Manual, restart: Stop then Start, a new VMI', () => {
    const w = settle(world('Manual', 'Running', [stop, start]));
    expect(w.log).toEqual(['delete vmi-uid', 'create']);
    expect(w.vmi?.metadata?.uid).not.toBe('vmi-uid');
  });

  test('Always, restart: the VMI is replaced (Stop for it, then a new one)', () => {
    const w = settle(world('Always', 'Running', [stop, start]));
    expect(w.log).toEqual(['delete vmi-uid', 'create']);
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
  });

  test('RerunOnFailure, stop: deleted and not restarted (no Start is queued for a stop)', () => {
    const w = settle(world('RerunOnFailure', 'Running', [stop]));
    expect(w.log).toEqual(['delete vmi-uid']);
    expect(w.vmi).toBeUndefined();
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
  });

  test('RerunOnFailure, start after Succeeded: Stop then Start', () => {
    const w = settle(world('RerunOnFailure', 'Succeeded', [stop, start]));
    expect(w.log).toEqual(['delete vmi-uid', 'create']);
  });

  test('RerunOnFailure, start with no VMI: a Start request starts it', () => {
    const w = settle(world('RerunOnFailure', undefined, [start]));
    expect(w.log).toEqual(['create']);
  });

  test('RerunOnFailure, restart: Stop then Start', () => {
    const w = settle(world('RerunOnFailure', 'Running', [stop, start]));
    expect(w.log).toEqual(['delete vmi-uid', 'create']);
  });

  test('Halted, start --paused: the VM is switched to Always, then its VMI starts paused', () => {
    const w = settle(world('Halted', undefined, [startPaused]));
    expect(w.log).toEqual(['spec {"runStrategy":"Always"}', 'create paused']);
    expect(w.vm.spec.runStrategy).toBe('Always');
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
  });

  test('Halted with a shorter-grace Stop: the (already stopping) VMI goes, the request with it', () => {
    const w = settle(world('Halted', 'Running', [stop]));
    expect(w.log).toEqual(['delete vmi-uid']);
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
  });

  test('a Stop for another VMI (an older one) deletes nothing and is dropped', () => {
    const w = settle(world('Manual', 'Running', [{ action: 'Stop', uid: 'older' }]));
    expect(w.log).toEqual([]);
    expect(w.vmi?.metadata?.uid).toBe('vmi-uid');
    expect(w.vm.status?.stateChangeRequests).toBeUndefined();
  });

  test('Once: requests do not stop or restart it (the API refuses them; stop switches to Halted)', () => {
    const w = settle(world('Once', 'Running', [stop, start]));
    expect(w.log).toEqual([]);
    expect(w.vmi?.metadata?.uid).toBe('vmi-uid');
  });

  test('only the first request is acted on: a Start behind a Stop waits for the VMI to go', () => {
    const w = world('Manual', 'Running', [stop, start]);
    round(w);
    expect(w.log).toEqual(['delete vmi-uid']);
    // The VMI is still being deleted: the Stop stays first, nothing is created.
    expect(w.vm.status?.stateChangeRequests).toEqual([stop, start]);
    round(w);
    expect(w.vm.status?.stateChangeRequests).toEqual([start]);
    expect(w.log).toEqual(['delete vmi-uid']);
    round(w);
    expect(w.log).toEqual(['delete vmi-uid', 'create']);
  });
});
