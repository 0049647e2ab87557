import type { VirtualMachineSnapshot } from '../../api/snapshot/v1beta1';
import { planSnapshot, type SnapshotPlanInput } from './snapshot-plan';
import { canUnlockSource, shouldDeleteContent, snapshotStatus } from './snapshot-status';
import { sourceState } from './source';
import { AGENT, content, lockedVm, lockFacts, NOW, snapshot, vm, vmi } from './fixtures.test-helper';

const cond = (s: { conditions?: { type: string; reason?: string }[] }, type: string) =>
  s.conditions?.find((c) => c.type === type);

function plan(i: Partial<SnapshotPlanInput> & { snapshot: VirtualMachineSnapshot }) {
  return planSnapshot({ vm: vm(), lockFacts: lockFacts(), now: NOW, ...i });
}

const inProgress = { phase: 'InProgress' as const, readyToUse: false };
const created = { creationTime: '2024-05-01T10:00:30Z', readyToUse: false };
const ready = { creationTime: '2024-05-01T10:00:30Z', readyToUse: true };

describe('planSnapshot: an offline snapshot, round by round', () => {
  test('round 1: the finalizer and a first status only; no lock before status exists', () => {
    const p = plan({ snapshot: snapshot({}, { finalizers: [] }) });
    expect(p).toMatchObject({
      addFinalizer: true,
      createContent: false,
      unlock: false,
      deleteContent: false,
    });
    expect(p.lock).toBeUndefined();
    expect(p.status).toMatchObject({ phase: 'InProgress', readyToUse: false, sourceUID: 'vm-uid' });
    expect(cond(p.status, 'Progressing')).toMatchObject({ status: 'False', reason: 'Source not locked' });
    expect(cond(p.status, 'Ready')).toMatchObject({ status: 'False', reason: 'Not ready' });
    // A stopped VM: no indications.
    expect(p.status.indications).toBeUndefined();
    // Looked at again before the deadline (4 minutes left).
    expect(p.requeueAfterMs).toBe(240_000);
  });

  test('round 2: takes the lock (status.snapshotInProgress, then the finalizer) and looks again in 5 s', () => {
    const p = plan({ snapshot: snapshot({}, {}, inProgress) });
    expect(p.lock).toEqual({ writeStatus: true, addFinalizer: true });
    expect(p.createContent).toBe(false);
    expect(cond(p.status, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Source locked and operation in progress',
    });
    expect(p.requeueAfterMs).toBe(5_000);
  });

  test('round 3: the source is locked, the content is made', () => {
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: lockedVm() });
    expect(p).toMatchObject({ createContent: true, unlock: false, removeFinalizer: false });
    expect(p.lock).toBeUndefined();
  });

  test('a content that cannot be made yet: the source stays locked, the message says why, looked at in 5 s', () => {
    const problem =
      'VirtualMachineSnapshot prod/web-snap: volume "root" (PersistentVolumeClaim prod/web-root): 2 matching VolumeSnapshotClasses for ceph-rbd (a, b): annotate one of them snapshot.storage.kubernetes.io/is-default-class: "true"';
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: lockedVm(), contentProblem: problem });
    expect(p).toMatchObject({ createContent: false, unlock: false, requeueAfterMs: 5_000 });
    expect(cond(p.status, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Source locked and operation in progress',
      message: problem,
    });
  });

  test('the content is cut: Succeeded, Operation complete, volumes listed; ready once the content is', () => {
    const c = content(created);
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: lockedVm(), content: c });
    expect(p.status).toMatchObject({
      phase: 'Succeeded',
      readyToUse: false,
      creationTime: created.creationTime,
      virtualMachineSnapshotContentName: 'vmsnapshot-content-snap-uid',
      snapshotVolumes: { includedVolumes: ['root', 'data'], excludedVolumes: ['boot', 'cloudinit'] },
    });
    expect(cond(p.status, 'Progressing')).toMatchObject({ status: 'False', reason: 'Operation complete' });
    expect(p.status.indications).toBeUndefined();
    // Done: the source is let go at once.
    expect(p.unlock).toBe(false);
    const done = plan({ snapshot: snapshot({}, {}, p.status), vm: lockedVm(), content: content(ready) });
    expect(done.unlock).toBe(true);
    expect(done.status.readyToUse).toBe(true);
    expect(cond(done.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(done.requeueAfterMs).toBeUndefined();
  });

  test('a snapshot whose content holds only some claims says PartialSnapshot', () => {
    const c = content(ready);
    c.spec.volumeBackups = c.spec.volumeBackups!.slice(0, 1);
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: lockedVm(), content: c });
    expect(p.status.snapshotVolumes).toEqual({
      includedVolumes: ['root'],
      excludedVolumes: ['data', 'boot', 'cloudinit'],
    });
    expect(p.status.indications).toEqual(['PartialSnapshot']);
  });

  test('waiting for the lock: the reason says why, the message what to do', () => {
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: vm({}, { snapshotInProgress: 'nightly' }) });
    expect(p.lock).toBeUndefined();
    expect(cond(p.status, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Source not locked snapshot "nightly" in progress',
      message: expect.stringContaining('one snapshot of a VM at a time'),
    });
    expect(p.requeueAfterMs).toBe(5_000);
  });
});

describe('planSnapshot: online', () => {
  test('a running VM with its agent: Online and GuestAgent while in progress', () => {
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: lockedVm(), vmi: vmi([AGENT]) });
    expect(p.status.indications).toEqual(['GuestAgent', 'Online']);
    expect(p.status.sourceIndications?.map((s) => s.indication)).toEqual(['GuestAgent', 'Online']);
    expect(p.createContent).toBe(true);
  });

  test('without an agent: NoGuestAgent', () => {
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: lockedVm(), vmi: vmi([]) });
    expect(p.status.indications).toEqual(['NoGuestAgent', 'Online']);
  });

  test('snapshotMode External of a running VM fails at once; of a stopped one it is taken as usual', () => {
    const p = plan({ snapshot: snapshot({ snapshotMode: 'External' }, {}, inProgress), vmi: vmi([AGENT]) });
    expect(p.status.phase).toBe('Failed');
    expect(cond(p.status, 'Failure')).toMatchObject({
      status: 'True',
      reason: expect.stringMatching(/^snapshotMode External is not supported by virtkit yet/),
    });
    expect(p.lock).toBeUndefined();
    expect(plan({ snapshot: snapshot({ snapshotMode: 'External' }, {}, inProgress) }).lock).toBeDefined();
  });
});

describe('planSnapshot: failure', () => {
  test('past the failure deadline: Failed, Failure "snapshot deadline exceeded", the content deleted', () => {
    const s = snapshot({ failureDeadline: '30s' }, {}, inProgress);
    const c = content({ readyToUse: false });
    const p = plan({ snapshot: s, vm: lockedVm(), content: c });
    expect(p.status.phase).toBe('Failed');
    expect(cond(p.status, 'Failure')).toMatchObject({
      status: 'True',
      reason: 'snapshot deadline exceeded',
      message: expect.stringContaining('failureDeadline (30s from its creation)'),
    });
    expect(cond(p.status, 'Progressing')).toMatchObject({ status: 'False', reason: 'Operation failed' });
    expect(p).toMatchObject({ addFinalizer: false, deleteContent: true, createContent: false });
    // The source stays locked until the content is gone...
    expect(p.unlock).toBe(false);
    // ...then it is let go.
    const after = plan({ snapshot: snapshot({ failureDeadline: '30s' }, {}, p.status), vm: lockedVm() });
    expect(after.unlock).toBe(true);
    expect(after.status.phase).toBe('Failed');
    expect(after.status.conditions).toEqual(p.status.conditions);
  });

  test('a missing source: InProgress, "Source does not exist", then Failed at the deadline', () => {
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: undefined });
    expect(p.status.phase).toBe('InProgress');
    expect(p.status.sourceUID).toBeUndefined();
    expect(cond(p.status, 'Progressing')).toEqual({
      type: 'Progressing',
      status: 'False',
      reason: 'Source does not exist',
      message:
        'VirtualMachine prod/web (spec.source) does not exist; create it, or delete this snapshot (it fails once its failureDeadline passes)',
      lastProbeTime: null,
      lastTransitionTime: '2024-05-01T10:01:00Z',
    });
    const late = plan({ snapshot: snapshot({ failureDeadline: '1m' }, {}, p.status), vm: undefined });
    expect(late.status.phase).toBe('Failed');
    expect(cond(late.status, 'Failure')?.reason).toBe('snapshot deadline exceeded');
  });

  test('the content reports an error: Progressing False "In error state"', () => {
    const c = content({
      readyToUse: false,
      error: { time: '2024-05-01T10:00:40Z', message: 'VolumeSnapshot x error: boom' },
    });
    const p = plan({ snapshot: snapshot({}, {}, inProgress), vm: lockedVm(), content: c });
    expect(p.status.error?.message).toBe('VolumeSnapshot x error: boom');
    expect(cond(p.status, 'Progressing')).toMatchObject({ status: 'False', reason: 'In error state' });
  });
});

describe('planSnapshot: deletion and the deletion policy', () => {
  const deleted = { deletionTimestamp: '2024-05-01T10:00:50Z' };

  test('Delete (the default): the content is deleted, then the source unlocked and the finalizer dropped', () => {
    const done = snapshot({}, deleted, { phase: 'Succeeded', readyToUse: true });
    const p = plan({ snapshot: done, vm: lockedVm(), content: content(ready) });
    expect(p).toMatchObject({
      deleteContent: true,
      unlock: true,
      removeFinalizer: true,
      addFinalizer: false,
    });
  });

  test('Retain: a ready content stays', () => {
    const done = snapshot({ deletionPolicy: 'Retain' }, deleted, { phase: 'Succeeded', readyToUse: true });
    expect(plan({ snapshot: done, vm: vm(), content: content(ready) })).toMatchObject({
      deleteContent: false,
      removeFinalizer: true,
    });
    expect(shouldDeleteContent(done, content(ready))).toBe(false);
    // An unready content is never kept.
    expect(shouldDeleteContent(done, content({ readyToUse: false }))).toBe(true);
  });

  test('deleted while in progress: Deleting; the finalizer stays until the content is gone and the VM let go', () => {
    const s = snapshot({}, deleted, inProgress);
    const p = plan({ snapshot: s, vm: lockedVm(), content: content() });
    expect(p.status.phase).toBe('Deleting');
    expect(cond(p.status, 'Progressing')).toMatchObject({ reason: 'VM snapshot is deleting' });
    expect(p).toMatchObject({ deleteContent: true, unlock: false, removeFinalizer: false });
    expect(canUnlockSource(s, content(), NOW)).toBe(false);
    expect(plan({ snapshot: s, vm: lockedVm() })).toMatchObject({ unlock: true, removeFinalizer: true });
  });
});

describe('snapshotStatus', () => {
  test('an unchanged state keeps its condition timestamps', () => {
    const s = snapshot({}, {}, inProgress);
    const state = sourceState(lockedVm(), undefined, s);
    const first = snapshotStatus({ snapshot: s, source: { state }, now: NOW });
    const later = new Date(NOW.getTime() + 30_000);
    const again = snapshotStatus({ snapshot: snapshot({}, {}, first), source: { state }, now: later });
    expect(again).toEqual(first);
  });
});
