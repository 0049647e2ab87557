import type { VirtualMachine } from '../../api/kubevirt/v1';
import { validateAs } from '../../api/validation/validate';
import { VirtualMachineSnapshotContentKind } from '../../api/snapshot/v1beta1';
import type { ControllerRevision } from '../vm/instancetype-revision';
import { capturedSpec, desiredVolumeSnapshot, planContent, type ContentFacts } from './content';
import { contentProgress, volumeSnapshotStatusOf } from './content-status';
import {
  claim,
  content,
  dvClaim,
  lockedVm,
  NS,
  snapshot,
  snapshotClass,
  snapshotClasses,
  storageClasses,
  volumeSnapshot,
} from './fixtures.test-helper';

const itRevision: ControllerRevision = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  metadata: {
    name: 'web-u1.small-v1beta1-it-uid-1',
    namespace: NS,
    uid: 'rev-uid',
    labels: { 'instancetype.kubevirt.io/object-name': 'u1.small' },
    ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'web', uid: 'vm-uid' }],
  },
  data: {
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind: 'VirtualMachineClusterInstancetype',
    spec: {},
  },
  revision: 1,
};

function facts(extra: Partial<ContentFacts> = {}): ContentFacts {
  const claims = [claim('web-root'), dvClaim('web-data')];
  return {
    claim: (n) => claims.find((c) => c.metadata?.name === n),
    storageClasses,
    snapshotClasses,
    revision: (n) => (n === itRevision.metadata?.name ? itRevision : undefined),
    ...extra,
  };
}

function withInstancetype(): VirtualMachine {
  const v = lockedVm();
  v.spec.instancetype = { name: 'u1.small' };
  v.status = {
    ...v.status,
    instancetypeRef: {
      name: 'u1.small',
      kind: 'VirtualMachineClusterInstancetype',
      controllerRevisionRef: { name: 'web-u1.small-v1beta1-it-uid-1' },
    },
  };
  return v;
}

describe('planContent', () => {
  test('a stopped VM: its metadata (no managedFields), spec and empty status; a backup per bound claim', () => {
    const p = planContent(snapshot(), lockedVm(), false, facts());
    if ('problem' in p) throw new Error(p.problem);
    const c = p.content;
    expect(c.metadata).toEqual({
      name: 'vmsnapshot-content-snap-uid',
      namespace: NS,
      finalizers: ['snapshot.kubevirt.io/vmsnapshotcontent-protection'],
    });
    expect(c.spec.virtualMachineSnapshotName).toBe('web-snap');
    const vm = c.spec.source.virtualMachine!;
    expect(vm.metadata).toMatchObject({ name: 'web', namespace: NS, uid: 'vm-uid', labels: { app: 'web' } });
    expect(vm.metadata).not.toHaveProperty('managedFields');
    expect(vm.spec).toEqual(lockedVm().spec);
    expect(vm.status).toEqual({});
    expect(c.spec.volumeBackups).toEqual([
      {
        volumeName: 'root',
        persistentVolumeClaim: {
          metadata: { name: 'web-root', namespace: NS, uid: 'web-root-uid' },
          spec: claim('web-root').spec,
        },
        volumeSnapshotName: 'vmsnapshot-snap-uid-volume-root',
      },
      expect.objectContaining({ volumeName: 'data', volumeSnapshotName: 'vmsnapshot-snap-uid-volume-data' }),
    ]);
    expect(p.revisionCopies).toEqual([]);
    // What the content holds is what the CRD takes.
    expect(validateAs(VirtualMachineSnapshotContentKind, c)).toEqual([]);
  });

  test('claims without a snapshot class, unbound or missing are left out', () => {
    const claims = [claim('web-root', {}, 'nfs'), claim('web-data', { status: { phase: 'Pending' } })];
    const p = planContent(
      snapshot(),
      lockedVm(),
      false,
      facts({ claim: (n) => claims.find((c) => c.metadata?.name === n) }),
    );
    expect('content' in p && p.content.spec.volumeBackups).toBeUndefined();
    expect(planContent(snapshot(), lockedVm(), false, facts({ claim: () => undefined }))).toMatchObject({
      content: { spec: { virtualMachineSnapshotName: 'web-snap' } },
    });
  });

  test('several classes for a claim and no default: a problem naming the snapshot, the volume and the fix', () => {
    const p = planContent(
      snapshot(),
      lockedVm(),
      false,
      facts({
        snapshotClasses: [snapshotClass('a', 'rbd.csi.ceph.com'), snapshotClass('b', 'rbd.csi.ceph.com')],
      }),
    );
    expect(p).toEqual({
      problem:
        'VirtualMachineSnapshot prod/web-snap: volume "root" (PersistentVolumeClaim prod/web-root): 2 matching VolumeSnapshotClasses for ceph-rbd (a, b): annotate one of them snapshot.storage.kubernetes.io/is-default-class: "true"',
    });
  });

  test("the instancetype's revision is copied for the snapshot and named in the captured spec", () => {
    const p = planContent(snapshot(), withInstancetype(), false, facts());
    if ('problem' in p) throw new Error(p.problem);
    expect(p.revisionCopies).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: 'web-snap-u1.small-v1beta1-it-uid-1',
          namespace: NS,
          labels: { 'instancetype.kubevirt.io/object-name': 'u1.small' },
          ownerReferences: [
            {
              apiVersion: 'snapshot.kubevirt.io/v1beta1',
              kind: 'VirtualMachineSnapshot',
              name: 'web-snap',
              uid: 'snap-uid',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        data: itRevision.data,
        revision: 1,
      },
    ]);
    expect(p.content.spec.source.virtualMachine?.spec?.instancetype).toEqual({
      name: 'u1.small',
      revisionName: 'web-snap-u1.small-v1beta1-it-uid-1',
    });
  });

  test('a revision that is not there yet is a problem (the snapshot tries again)', () => {
    expect(planContent(snapshot(), withInstancetype(), false, facts({ revision: () => undefined }))).toEqual({
      problem: expect.stringMatching(
        /^VirtualMachineSnapshot prod\/web-snap: ControllerRevision prod\/web-u1\.small-v1beta1-it-uid-1 \(the instancetype revision of VirtualMachine prod\/web/,
      ),
    });
  });

  test("a running VM: the spec its VMI started from, with the VM's current volumes and disks", () => {
    const started = lockedVm().spec;
    started.template.spec!.domain.cpu = { cores: 1 };
    started.template.spec!.volumes = [{ name: 'old', containerDisk: { image: 'old' } }];
    const now = lockedVm();
    now.spec.template.spec!.domain.cpu = { cores: 4 };
    const spec = capturedSpec(now, true, started);
    expect(spec.template.spec?.domain.cpu).toEqual({ cores: 1 });
    expect(spec.template.spec?.volumes).toEqual(now.spec.template.spec?.volumes);
    expect(spec.template.spec?.domain.devices.disks).toEqual(now.spec.template.spec?.domain.devices.disks);
    // Without a start revision (or offline), the VM's spec.
    expect(capturedSpec(now, true)).toEqual(now.spec);
  });
});

describe('desiredVolumeSnapshot', () => {
  test('owned by the content, labelled with the VM, of the chosen class', () => {
    const c = content();
    const r = desiredVolumeSnapshot(c, c.spec.volumeBackups![0]!, storageClasses, snapshotClasses);
    expect(r).toEqual({
      volumeSnapshot: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: {
          name: 'vmsnapshot-snap-uid-volume-root',
          namespace: NS,
          labels: {
            'snapshot.kubevirt.io/source-vm-name': 'web',
            'snapshot.kubevirt.io/source-vm-namespace': NS,
          },
          ownerReferences: [
            {
              apiVersion: 'snapshot.kubevirt.io/v1beta1',
              kind: 'VirtualMachineSnapshotContent',
              name: 'vmsnapshot-content-snap-uid',
              uid: 'content-uid',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: { source: { persistentVolumeClaimName: 'web-root' }, volumeSnapshotClassName: 'rbd-snap' },
      },
    });
  });

  test('no class any more: a problem that names the content, the volume and the fix', () => {
    const c = content();
    expect(desiredVolumeSnapshot(c, c.spec.volumeBackups![0]!, storageClasses, [])).toEqual({
      problem:
        'VirtualMachineSnapshotContent prod/vmsnapshot-content-snap-uid, volume "root": no VolumeSnapshotClass for PersistentVolumeClaim prod/web-root: no VolumeSnapshotClass has driver "rbd.csi.ceph.com" (the provisioner of StorageClass "ceph-rbd"); create a VolumeSnapshotClass whose driver is the StorageClass\'s provisioner',
    });
  });
});

describe('content progress', () => {
  const vss = (name: string, status: Parameters<typeof volumeSnapshot>[1]) =>
    volumeSnapshotStatusOf(volumeSnapshot(name, status));

  test('created once every VolumeSnapshot has a creationTime, ready once every one is readyToUse', () => {
    const cut = { creationTime: '2024-05-01T10:00:30Z', readyToUse: false };
    expect(contentProgress([vss('a', cut), vss('b', {})], [], [])).toEqual({
      created: false,
      ready: false,
      errorMessage: '',
    });
    expect(contentProgress([vss('a', cut), vss('b', cut)], [], [])).toEqual({
      created: true,
      ready: false,
      errorMessage: '',
    });
    const done = { ...cut, readyToUse: true };
    expect(contentProgress([vss('a', done), vss('b', done)], [], [])).toEqual({
      created: true,
      ready: true,
      errorMessage: '',
    });
    expect(contentProgress([], [], [])).toEqual({ created: true, ready: true, errorMessage: '' });
  });

  test("KubeVirt's errors: a VolumeSnapshot's own, a missing one, one skipped for a deleted snapshot", () => {
    expect(
      contentProgress([vss('a', { error: { message: 'driver said no' } }), vss('b', {})], [], [])
        .errorMessage,
    ).toBe('VolumeSnapshot a error: driver said no');
    expect(contentProgress([], ['a', 'b'], [])).toEqual({
      created: false,
      ready: false,
      errorMessage: 'VolumeSnapshots (a,b) missing',
    });
    expect(contentProgress([], [], ['a']).errorMessage).toBe(
      'VolumeSnapshots (a) skipped because vm snapshot is deleted',
    );
  });
});
