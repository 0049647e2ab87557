/**
 * The content round's calls, recorded through its ContentIo seam (no API server): the order
 * freeze -> VolumeSnapshots -> thaw, and the thaw on every failure.
 */
import type {
  VirtualMachineSnapshotContent,
  VirtualMachineSnapshotContentStatus,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import { syncContent, type ContentIo, type ContentSyncInput } from './content-sync';
import { sourceState } from './source';
import {
  AGENT,
  content,
  DATA_VS,
  lockedVm,
  NOW,
  PAUSED,
  ROOT_VS,
  snapshot,
  snapshotClasses,
  storageClasses,
  vm,
  vmi,
  volumeSnapshot,
} from './fixtures.test-helper';

interface Recorder extends ContentIo {
  readonly calls: string[];
  readonly statuses: VirtualMachineSnapshotContentStatus[];
  readonly created: VolumeSnapshot[];
}

function recorder(fail: { freeze?: string; unfreeze?: string; create?: string } = {}): Recorder {
  const calls: string[] = [];
  const statuses: VirtualMachineSnapshotContentStatus[] = [];
  const created: VolumeSnapshot[] = [];
  return {
    calls,
    statuses,
    created,
    freeze: async () => {
      calls.push('freeze');
      if (fail.freeze) throw new Error(fail.freeze);
    },
    unfreeze: async () => {
      calls.push('unfreeze');
      if (fail.unfreeze) throw new Error(fail.unfreeze);
    },
    createVolumeSnapshot: async (vs) => {
      calls.push(`create ${vs.metadata?.name}`);
      if (fail.create) throw new Error(fail.create);
      created.push(vs);
      return vs;
    },
    removeFinalizer: async (c) => {
      calls.push('removeFinalizer');
      return { ...c, metadata: { ...c.metadata, finalizers: [] } } as VirtualMachineSnapshotContent;
    },
    writeStatus: async (_c, s) => {
      calls.push('writeStatus');
      statuses.push(s);
    },
    event: (ev) => calls.push(`event ${ev.reason}`),
  };
}

const running = sourceState(lockedVm(), vmi([AGENT]), snapshot());
const cut = { creationTime: '2024-05-01T10:00:30Z', readyToUse: false };

function input(extra: Partial<ContentSyncInput> = {}, vss: VolumeSnapshot[] = []): ContentSyncInput {
  return {
    content: content(),
    snapshot: snapshot({}, {}, { phase: 'InProgress' }),
    source: running,
    volumeSnapshot: (n) => vss.find((v) => v.metadata?.name === n),
    storageClasses,
    snapshotClasses,
    now: NOW,
    ...extra,
  };
}

describe('syncContent: an online snapshot with the guest agent', () => {
  test('freezes once, then creates each VolumeSnapshot; the guest stays frozen while none is cut', async () => {
    const io = recorder();
    expect(await syncContent(input(), io)).toEqual({});
    expect(io.calls).toEqual([
      'freeze',
      `create ${ROOT_VS}`,
      `event SuccessfulVolumeSnapshotCreate`,
      `create ${DATA_VS}`,
      `event SuccessfulVolumeSnapshotCreate`,
      'writeStatus',
    ]);
    expect(io.created.map((v) => v.spec.volumeSnapshotClassName)).toEqual(['rbd-snap', 'rbd-snap']);
    expect(io.statuses[0]).toEqual({
      readyToUse: false,
      volumeSnapshotStatus: [{ volumeSnapshotName: ROOT_VS }, { volumeSnapshotName: DATA_VS }],
    });
  });

  test('thaws as soon as every VolumeSnapshot is cut, and records the creationTime', async () => {
    const io = recorder();
    // The guest is frozen (fsFreezeStatus) by the earlier round: no second freeze.
    const frozen = sourceState(lockedVm(), vmi([AGENT], true), snapshot());
    await syncContent(
      input({ source: frozen }, [volumeSnapshot(ROOT_VS, cut), volumeSnapshot(DATA_VS, cut)]),
      io,
    );
    expect(io.calls).toEqual(['unfreeze', 'writeStatus']);
    expect(io.statuses[0]).toEqual({
      creationTime: '2024-05-01T10:01:00Z',
      readyToUse: false,
      volumeSnapshotStatus: [
        { volumeSnapshotName: ROOT_VS, ...cut },
        { volumeSnapshotName: DATA_VS, ...cut },
      ],
    });
  });

  test('one cut, one not yet: no thaw', async () => {
    const io = recorder();
    await syncContent(input({}, [volumeSnapshot(ROOT_VS, cut), volumeSnapshot(DATA_VS, {})]), io);
    expect(io.calls).toEqual(['writeStatus']);
  });

  test('ready once every VolumeSnapshot is; an unchanged status is not written again', async () => {
    const done = { creationTime: cut.creationTime, readyToUse: true };
    const c = content({
      creationTime: '2024-05-01T10:00:40Z',
      readyToUse: true,
      volumeSnapshotStatus: [
        { volumeSnapshotName: ROOT_VS, ...done },
        { volumeSnapshotName: DATA_VS, ...done },
      ],
    });
    const io = recorder();
    await syncContent(
      input({ content: c }, [volumeSnapshot(ROOT_VS, done), volumeSnapshot(DATA_VS, done)]),
      io,
    );
    expect(io.calls).toEqual([]);
  });

  test('a freeze that fails: the error in status, no VolumeSnapshot, tried again in 5 s', async () => {
    const io = recorder({ freeze: 'VMI does not have guest agent connected' });
    expect(await syncContent(input(), io)).toEqual({ requeueAfterMs: 5_000 });
    expect(io.calls).toEqual(['freeze', 'event FreezeFailed', 'writeStatus']);
    expect(io.statuses[0]).toEqual({
      readyToUse: false,
      error: { time: '2024-05-01T10:01:00Z', message: 'VMI does not have guest agent connected' },
    });
  });

  test('a VolumeSnapshot that cannot be created thaws the guest at once, then fails the round', async () => {
    const io = recorder({ create: 'admission webhook denied the request' });
    await expect(syncContent(input(), io)).rejects.toThrow(
      `VirtualMachineSnapshotContent prod/vmsnapshot-content-snap-uid: creating VolumeSnapshot ${ROOT_VS}: admission webhook denied the request`,
    );
    expect(io.calls).toEqual(['freeze', `create ${ROOT_VS}`, 'unfreeze']);
  });

  test('no class for a backup any more: thawed, and the problem names the fix', async () => {
    const io = recorder();
    await expect(syncContent(input({ snapshotClasses: [] }), io)).rejects.toThrow(
      /no VolumeSnapshotClass for PersistentVolumeClaim prod\/web-root: .*create a VolumeSnapshotClass/,
    );
    expect(io.calls).toEqual(['freeze', 'unfreeze']);
  });

  test('Windows VSS could not hold the freeze: no creationTime, the error, tried again', async () => {
    const io = recorder({ unfreeze: 'guest agent: fsfreeze is limited up to 10 seconds' });
    const r = await syncContent(input({}, [volumeSnapshot(ROOT_VS, cut), volumeSnapshot(DATA_VS, cut)]), io);
    expect(r).toEqual({ requeueAfterMs: 5_000 });
    expect(io.statuses[0]?.creationTime).toBeUndefined();
    expect(io.statuses[0]?.error?.message).toContain('fsfreeze is limited');
  });

  test('another thaw failure fails the round (the content is looked at again)', async () => {
    const io = recorder({ unfreeze: 'connection refused' });
    await expect(
      syncContent(input({}, [volumeSnapshot(ROOT_VS, cut), volumeSnapshot(DATA_VS, cut)]), io),
    ).rejects.toThrow(/thawing the guest after the VolumeSnapshots were taken: connection refused/);
  });
});

describe('syncContent: no freeze', () => {
  test('a running VM without its agent: VolumeSnapshots without a freeze or a thaw', async () => {
    const io = recorder();
    await syncContent(input({ source: sourceState(lockedVm(), vmi([]), snapshot()) }), io);
    expect(io.calls.filter((c) => c === 'freeze' || c === 'unfreeze')).toEqual([]);
    expect(io.created).toHaveLength(2);
  });

  test('a paused VM is not frozen (KubeVirt: it cannot flush its buffers)', async () => {
    const io = recorder();
    await syncContent(input({ source: sourceState(lockedVm(), vmi([AGENT, PAUSED]), snapshot()) }), io);
    expect(io.calls).not.toContain('freeze');
  });

  test('a stopped VM: no freeze, no thaw', async () => {
    const io = recorder();
    await syncContent(
      input({ source: sourceState(lockedVm(), undefined, snapshot()) }, [
        volumeSnapshot(ROOT_VS, cut),
        volumeSnapshot(DATA_VS, cut),
      ]),
      io,
    );
    expect(io.calls).toEqual(['writeStatus']);
  });

  test('an unlocked source is never frozen: the error says so', async () => {
    const io = recorder();
    await syncContent(input({ source: sourceState(vm(), vmi([AGENT]), snapshot()) }), io);
    expect(io.calls).toEqual(['event FreezeFailed', 'writeStatus']);
    expect(io.statuses[0]?.error?.message).toBe('attempting to freeze unlocked VM');
  });
});

describe('syncContent: the end of a snapshot', () => {
  test('failed (deadline): the guest is thawed and the finalizer dropped; a content to delete stops there', async () => {
    const io = recorder();
    const failed = snapshot({}, {}, { phase: 'Failed' });
    expect(await syncContent(input({ snapshot: failed }), io)).toEqual({});
    expect(io.calls).toEqual(['unfreeze', 'removeFinalizer']);
  });

  test('a thaw that fails on the way out is told, not fatal', async () => {
    const io = recorder({ unfreeze: 'handler unreachable' });
    await syncContent(input({ snapshot: snapshot({}, {}, { phase: 'Failed' }) }), io);
    expect(io.calls).toEqual(['unfreeze', 'event UnfreezeFailed', 'removeFinalizer']);
  });

  test('a Retain snapshot deleted with its ready content: the content lets go of its finalizer and stays', async () => {
    const done = { creationTime: cut.creationTime, readyToUse: true };
    const c = content({
      creationTime: cut.creationTime,
      readyToUse: true,
      volumeSnapshotStatus: [
        { volumeSnapshotName: ROOT_VS, ...done },
        { volumeSnapshotName: DATA_VS, ...done },
      ],
    });
    const s = snapshot(
      { deletionPolicy: 'Retain' },
      { deletionTimestamp: NOW.toISOString() },
      { phase: 'Succeeded' },
    );
    const io = recorder();
    await syncContent(
      input({ content: c, snapshot: s, source: sourceState(vm(), undefined, s) }, [
        volumeSnapshot(ROOT_VS, done),
        volumeSnapshot(DATA_VS, done),
      ]),
      io,
    );
    expect(io.calls).toEqual(['removeFinalizer']);
  });

  test('the snapshot is gone before the VolumeSnapshots were made: skipped, said in the error', async () => {
    const io = recorder();
    await syncContent(input({ snapshot: undefined, source: undefined }), io);
    expect(io.calls).toEqual(['removeFinalizer', 'writeStatus']);
    expect(io.statuses[0]?.error?.message).toBe(
      `VolumeSnapshots (${ROOT_VS},${DATA_VS}) skipped because vm snapshot is deleted`,
    );
  });

  test('a VolumeSnapshot deleted after the content was cut: missing, with a Warning', async () => {
    const io = recorder();
    const c = content({ creationTime: cut.creationTime, readyToUse: true });
    await syncContent(input({ content: c }, [volumeSnapshot(DATA_VS, cut)]), io);
    expect(io.calls).toEqual(['event VolumeSnapshotMissing', 'writeStatus']);
    expect(io.statuses[0]).toMatchObject({
      readyToUse: false,
      error: { message: `VolumeSnapshots (${ROOT_VS}) missing` },
    });
  });

  test('a content being deleted is looked at again later', async () => {
    const io = recorder();
    const c = content(undefined, { deletionTimestamp: NOW.toISOString(), finalizers: [] });
    expect(await syncContent(input({ content: c }), io)).toEqual({ requeueAfterMs: 5_000 });
    expect(io.calls).toEqual([]);
  });
});
