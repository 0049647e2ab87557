import { progressIndications, withPartialSnapshot } from './indications';
import { freezeNeeded, lockCheck, sourceState, thawNeeded } from './source';
import {
  AGENT,
  claim,
  dataVolumeOf,
  dvClaim,
  lockedVm,
  lockFacts,
  PAUSED,
  snapshot,
  vm,
  vmi,
} from './fixtures.test-helper';

describe('sourceState', () => {
  test('a stopped VM: offline, not locked', () => {
    expect(sourceState(vm(), undefined, snapshot())).toEqual({
      uid: 'vm-uid',
      online: false,
      paused: false,
      guestAgent: false,
      frozen: false,
      locked: false,
    });
  });

  test('a running VM with its agent, frozen; locked only with both status and finalizer', () => {
    const s = sourceState(lockedVm(), vmi([AGENT], true), snapshot());
    expect(s).toMatchObject({ online: true, guestAgent: true, frozen: true, locked: true });
    expect(sourceState(vm({}, { snapshotInProgress: 'web-snap' }), undefined, snapshot()).locked).toBe(false);
    expect(sourceState(lockedVm(), undefined, snapshot({}, { name: 'other' })).locked).toBe(false);
  });

  test('freeze only a locked, running, unpaused guest with its agent that is not frozen yet; thaw likewise', () => {
    const locked = lockedVm();
    expect(freezeNeeded(sourceState(locked, vmi([AGENT]), snapshot()))).toBe(true);
    expect(freezeNeeded(sourceState(locked, vmi([AGENT], true), snapshot()))).toBe(false);
    expect(freezeNeeded(sourceState(locked, vmi([]), snapshot()))).toBe(false);
    expect(freezeNeeded(sourceState(locked, vmi([AGENT, PAUSED]), snapshot()))).toBe(false);
    expect(freezeNeeded(sourceState(vm(), vmi([AGENT]), snapshot()))).toBe(false);
    expect(thawNeeded(sourceState(locked, vmi([AGENT], true), snapshot()))).toBe(true);
    expect(thawNeeded(sourceState(locked, vmi([AGENT, PAUSED]), snapshot()))).toBe(false);
    expect(thawNeeded(sourceState(locked, undefined, snapshot()))).toBe(false);
    expect(thawNeeded(undefined)).toBe(false);
  });
});

describe('lockCheck', () => {
  const check = (v = vm(), facts = lockFacts(), running = false) =>
    lockCheck(v, snapshot(), sourceState(v, running ? vmi() : undefined, snapshot()), facts);

  test('takes the lock: status first, then the finalizer', () => {
    expect(check()).toEqual({ ok: true, writeStatus: true, addFinalizer: true });
    expect(check(vm({}, { snapshotInProgress: 'web-snap' }))).toEqual({
      ok: true,
      writeStatus: false,
      addFinalizer: true,
    });
    expect(check(lockedVm())).toEqual({ ok: true, writeStatus: false, addFinalizer: false });
  });

  test("waits with KubeVirt's words while a claim is missing, deleting, unbound or unpopulated", () => {
    expect(check(vm(), lockFacts([dvClaim('web-data')]))).toEqual({
      ok: false,
      reason: 'Source not locked source prod/web volume doesnt exist: web-root',
      message:
        'PersistentVolumeClaim prod/web-root (volume "root" of VirtualMachine prod/web) does not exist; the snapshot waits for it: create the claim, or remove the volume from the VM',
    });
    const deleting = claim('web-root');
    deleting.metadata!.deletionTimestamp = '2024-05-01T09:00:00Z';
    expect(check(vm(), lockFacts([deleting, dvClaim('web-data')]))).toMatchObject({
      reason: 'Source not locked source prod/web volume is being deleted: web-root',
    });
    expect(
      check(vm(), lockFacts([claim('web-root', { status: { phase: 'Pending' } }), dvClaim('web-data')])),
    ).toMatchObject({
      reason: 'Source not locked source prod/web volume not bound: web-root',
      message: expect.stringContaining('is Pending, not Bound; the snapshot waits until it binds'),
    });
    expect(check(vm(), lockFacts(undefined, [dataVolumeOf('web-data', 'ImportInProgress')]))).toEqual({
      ok: false,
      reason: 'Source not locked source prod/web volume not populated: web-data',
      message:
        'PersistentVolumeClaim prod/web-data (volume "data" of VirtualMachine prod/web) is still being populated by DataVolume prod/web-data (phase ImportInProgress); the snapshot waits until it has Succeeded',
    });
  });

  test('a stopped VM waits while pods still mount its claims (not pods that finished)', () => {
    const pod = (name: string, phase: string) => ({
      metadata: { name, namespace: 'prod' },
      spec: { volumes: [{ persistentVolumeClaim: { claimName: 'web-root' } }] },
      status: { phase },
    });
    expect(check(vm(), lockFacts(undefined, undefined, [pod('virt-launcher-web-abcde', 'Running')]))).toEqual(
      {
        ok: false,
        reason: 'Source not locked source is offline but 1 pods using PVCs [web-data web-root]',
        message:
          'VirtualMachine prod/web is stopped but pods still use its claims (virt-launcher-web-abcde); the snapshot waits until they are gone',
      },
    );
    expect(check(vm(), lockFacts(undefined, undefined, [pod('done', 'Succeeded')]))).toMatchObject({
      ok: true,
    });
    // A running VM's own launcher pod mounts them, of course.
    expect(
      check(vm(), lockFacts(undefined, undefined, [pod('virt-launcher-web', 'Running')]), true),
    ).toMatchObject({
      ok: true,
    });
  });

  test('one snapshot of a VM at a time: another waits', () => {
    expect(check(vm({}, { snapshotInProgress: 'nightly' }))).toEqual({
      ok: false,
      reason: 'Source not locked snapshot "nightly" in progress',
      message:
        'VirtualMachineSnapshot prod/nightly of VirtualMachine prod/web is in progress; this snapshot waits until it is done (one snapshot of a VM at a time)',
    });
  });
});

describe('indications', () => {
  const state = (conditions: Parameters<typeof vmi>[0], running = true) =>
    sourceState(lockedVm(), running ? vmi(conditions) : undefined, snapshot());

  test('a running VM with its agent: GuestAgent and Online (sorted), with KubeVirt messages', () => {
    expect(progressIndications(undefined, state([AGENT]), undefined)).toEqual({
      indications: ['GuestAgent', 'Online'],
      sourceIndications: [
        {
          indication: 'GuestAgent',
          message:
            'Guest agent was active and attempted to quiesce the filesystem for application consistency.',
        },
        {
          indication: 'Online',
          message: 'Snapshot taken while the VM was running. Consistency depends on guest-agent quiescing.',
        },
      ],
    });
  });

  test('without an agent: NoGuestAgent; paused: Paused; stopped: none', () => {
    expect(progressIndications(undefined, state([]), undefined).indications).toEqual([
      'NoGuestAgent',
      'Online',
    ]);
    expect(progressIndications(undefined, state([AGENT, PAUSED]), undefined).indications).toEqual([
      'Online',
      'Paused',
    ]);
    expect(progressIndications(['Online'], state([], false), undefined)).toEqual({
      indications: undefined,
      sourceIndications: undefined,
    });
  });

  test('recomputed each round (an agent that connects later replaces NoGuestAgent); QuiesceTimeout when Windows VSS could not hold the freeze, and kept', () => {
    expect(
      progressIndications(['NoGuestAgent', 'Online'], state([AGENT]), 'fsfreeze is limited to 10s')
        .indications,
    ).toEqual(['GuestAgent', 'Online', 'QuiesceTimeout']);
    expect(
      progressIndications(['GuestAgent', 'Online', 'QuiesceTimeout'], state([]), undefined).indications,
    ).toEqual(['NoGuestAgent', 'Online', 'QuiesceTimeout']);
  });

  test('PartialSnapshot is appended once', () => {
    const once = withPartialSnapshot({ indications: ['Online'], sourceIndications: [] });
    expect(withPartialSnapshot(once)).toEqual({
      indications: ['Online', 'PartialSnapshot'],
      sourceIndications: [
        {
          indication: 'PartialSnapshot',
          message:
            'Not all snapshotable volumes were included in the snapshot. Check status.snapshotVolumes for excluded volumes and VM VolumeSnapshotStatus for details.',
        },
      ],
    });
  });
});
