import type { VirtualMachineExport } from '../../api/export/v1';
import type { VirtualMachineSnapshot, VirtualMachineSnapshotContent } from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import type { Claim } from '../datavolume/objects';
import { snapshotExportClaimName } from './snapshot-source-plan';
import { sourceAvailable, sourceState, type SourceLookup } from './source-plan';
import { exportStatus } from './status-plan';

const exp: VirtualMachineExport = {
  apiVersion: 'export.kubevirt.io/v1',
  kind: 'VirtualMachineExport',
  metadata: { name: 'exp', namespace: 'prod', uid: 'e-uid', creationTimestamp: '2024-05-01T10:00:00Z' },
  spec: { source: { apiGroup: 'snapshot.kubevirt.io', kind: 'VirtualMachineSnapshot', name: 'snap' } },
};

const snapshot = (status: VirtualMachineSnapshot['status']): VirtualMachineSnapshot => ({
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineSnapshot',
  metadata: { name: 'snap', namespace: 'prod' },
  spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' } },
  ...(status ? { status } : {}),
});
const READY = snapshot({ readyToUse: true, phase: 'Succeeded', virtualMachineSnapshotContentName: 'c1' });

const content = (backups: number): VirtualMachineSnapshotContent => ({
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineSnapshotContent',
  metadata: { name: 'c1', namespace: 'prod' },
  spec: {
    virtualMachineSnapshotName: 'snap',
    source: {
      virtualMachine: {
        metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' } },
        spec: {
          runStrategy: 'Halted',
          template: {
            spec: {
              domain: { devices: {} },
              volumes: [
                { name: 'root', dataVolume: { name: 'web-root' } },
                { name: 'logs', persistentVolumeClaim: { claimName: 'web-logs' } },
              ],
            },
          },
        },
      },
    },
    volumeBackups: [
      {
        volumeName: 'root',
        persistentVolumeClaim: {
          metadata: {
            name: 'web-root',
            labels: { tier: 'db', 'persistent-state-for': 'web' },
            annotations: { 'cdi.kubevirt.io/storage.contentType': 'kubevirt', keep: 'me' },
          },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
            storageClassName: 'local',
            volumeMode: 'Filesystem',
          },
        },
        volumeSnapshotName: 'vmsnapshot-x-volume-root',
      },
      {
        volumeName: 'other',
        persistentVolumeClaim: {
          metadata: { name: 'scratch' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
        },
        volumeSnapshotName: 'vmsnapshot-x-volume-other',
      },
    ].slice(0, backups),
  },
});

const vs = (name: string, restoreSize: string): VolumeSnapshot => ({
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshot',
  metadata: { name, namespace: 'prod' },
  spec: { source: { persistentVolumeClaimName: 'x' } },
  status: { readyToUse: true, restoreSize },
});

function lookup(o: {
  snap?: VirtualMachineSnapshot;
  content?: VirtualMachineSnapshotContent;
  claims?: Claim[];
  volumeSnapshots?: VolumeSnapshot[];
}): SourceLookup {
  return {
    claim: (_ns, n) => o.claims?.find((c) => c.metadata?.name === n),
    dataVolume: () => undefined,
    vm: () => undefined,
    vmi: () => undefined,
    claimUsers: () => [],
    vmSnapshot: (_ns, n) => (o.snap?.metadata?.name === n ? o.snap : undefined),
    vmSnapshotContent: (_ns, n) => (o.content?.metadata?.name === n ? o.content : undefined),
    volumeSnapshot: (_ns, n) => o.volumeSnapshots?.find((v) => v.metadata?.name === n),
  };
}

const restored = (name: string, phase: string, owner = 'e-uid'): Claim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name,
    namespace: 'prod',
    annotations: { 'cdi.kubevirt.io/storage.contentType': 'kubevirt' },
    ownerReferences: [
      {
        apiVersion: 'export.kubevirt.io/v1',
        kind: 'VirtualMachineExport',
        name: 'exp',
        uid: owner,
        controller: true,
      },
    ],
  },
  spec: { volumeMode: 'Filesystem' },
  status: { phase },
});

describe('a VirtualMachineSnapshot source', () => {
  test('a missing snapshot says VMSnapshotNotFound; one not ready yet waits with NotAllPVCsCreated', () => {
    const missing = sourceState(exp, lookup({}));
    expect(missing.readyCondition).toMatchObject({
      reason: 'VMSnapshotNotFound',
      message: 'VirtualMachineSnapshot prod/snap not found',
    });
    expect(missing.sourceCondition).toMatchObject({ type: 'VolumesCreated', status: 'False' });
    const pending = sourceState(exp, lookup({ snap: snapshot({ phase: 'InProgress', readyToUse: false }) }));
    expect(pending.readyCondition.reason).toBe('NotAllPVCsCreated');
    expect(pending.readyCondition.message).toBe(
      'VirtualMachineSnapshot prod/snap is not ready to use (phase InProgress); the export waits for it',
    );
    expect(pending.vmName).toBe('web');
    expect(pending.create).toBeUndefined();
    expect(sourceAvailable(pending)).toBe(false);
  });

  test("a ready snapshot's backups become claims of the export's own, restored from their VolumeSnapshots", () => {
    const s = sourceState(
      exp,
      lookup({
        snap: READY,
        content: content(2),
        volumeSnapshots: [vs('vmsnapshot-x-volume-root', '2Gi'), vs('vmsnapshot-x-volume-other', '10Mi')],
      }),
    );
    expect(sourceAvailable(s)).toBe(false);
    expect(s.sourceCondition).toEqual({
      type: 'VolumesCreated',
      status: 'False',
      reason: 'NotAllPVCsCreated',
      message: 'Not all PVCs have been successfully restored',
    });
    expect(s.create?.map((c) => c.metadata?.name)).toEqual(['exp-web-root', 'exp-scratch']);
    const root = s.create![0]!;
    expect(root.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'export.kubevirt.io/v1',
        kind: 'VirtualMachineExport',
        name: 'exp',
        uid: 'e-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    // The source claim's labels and kept annotations, the backend-storage label dropped, content type kubevirt (a disk of the VM).
    expect(root.metadata?.labels).toEqual({ tier: 'db' });
    expect(root.metadata?.annotations).toEqual({
      keep: 'me',
      'cdi.kubevirt.io/storage.contentType': 'kubevirt',
    });
    expect(root.spec).toMatchObject({
      storageClassName: 'local',
      volumeMode: 'Filesystem',
      resources: { requests: { storage: '2Gi' } },
      dataSource: {
        apiGroup: 'snapshot.storage.k8s.io',
        kind: 'VolumeSnapshot',
        name: 'vmsnapshot-x-volume-root',
      },
    });
    // A backup that is no volume of the VM it holds is no disk: no content type, so a directory.
    expect(s.create![1]!.metadata?.annotations).toEqual({});
    expect(s.create![1]!.spec?.resources?.requests?.storage).toBe('64Mi');
  });

  test('once the restored claims are Bound the source is available; links name the source claims', () => {
    const s = sourceState(
      exp,
      lookup({ snap: READY, content: content(1), claims: [restored('exp-web-root', 'Bound')] }),
    );
    expect(s.create).toBeUndefined();
    expect(sourceAvailable(s)).toBe(true);
    expect(s.sourceCondition).toMatchObject({ status: 'True', reason: 'AllPVCsReady' });
    expect(s.claims).toEqual([
      { name: 'exp-web-root', volumeName: 'web-root', block: false, image: true, phase: 'Bound' },
    ]);
    expect(s.vm?.metadata).toEqual({ name: 'web', namespace: 'prod', labels: { app: 'web' } });
    expect(s.manifestClaims?.map((m) => [m.claim.metadata?.name, m.servedAs])).toEqual([
      ['web-root', 'exp-web-root'],
    ]);
    const status = exportStatus(exp, {
      source: s,
      pod: { phase: 'Running', ready: true, deleting: false },
      serviceName: 'virt-export-exp',
      internalCa: 'CA',
      now: '2024-05-01T10:00:05Z',
    });
    expect(status.phase).toBe('Ready');
    expect(status.virtualMachineName).toBe('web');
    expect(status.links?.internal?.volumes).toEqual([
      {
        name: 'web-root',
        formats: [
          { format: 'raw', url: 'https://virt-export-exp.prod.svc/volumes/exp-web-root/disk.img' },
          { format: 'gzip', url: 'https://virt-export-exp.prod.svc/volumes/exp-web-root/disk.img.gz' },
        ],
      },
    ]);
    expect(status.links?.internal?.manifests?.map((m) => m.type)).toEqual(['all', 'auth-header-secret']);
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'PodReady'],
      ['VolumesCreated', 'True', 'AllPVCsReady'],
    ]);
  });

  test('a restored claim still pending waits with NotAllPVCsReady', () => {
    const s = sourceState(
      exp,
      lookup({ snap: READY, content: content(1), claims: [restored('exp-web-root', 'Pending')] }),
    );
    expect(sourceAvailable(s)).toBe(false);
    expect(s.sourceCondition).toMatchObject({
      status: 'False',
      reason: 'NotAllPVCsReady',
      message: 'Not all PVCs are ready',
    });
  });

  test("someone else's claim under the restore's name is neither served nor replaced, and the message says how to fix it", () => {
    const s = sourceState(
      exp,
      lookup({ snap: READY, content: content(1), claims: [restored('exp-web-root', 'Bound', 'other-uid')] }),
    );
    expect(sourceAvailable(s)).toBe(false);
    expect(s.claims).toEqual([]);
    expect(s.create).toBeUndefined();
    expect(s.readyCondition.message).toBe(
      "VirtualMachineSnapshot prod/snap: PersistentVolumeClaim prod/exp-web-root exists and is not this export's; delete it or give the export another name",
    );
  });

  test('a missing VolumeSnapshot is named; a snapshot without volumes is Skipped', () => {
    const s = sourceState(exp, lookup({ snap: READY, content: content(1) }));
    expect(s.readyCondition.message).toBe(
      'VirtualMachineSnapshot prod/snap: volume root\'s VolumeSnapshot "vmsnapshot-x-volume-root" is not found',
    );
    expect(sourceAvailable(s)).toBe(false);
    const none = sourceState(exp, lookup({ snap: READY, content: content(0) }));
    expect(none.skipped).toBe(true);
    expect(none.sourceCondition).toMatchObject({
      reason: 'VMSnapshotNoVolumes',
      message: 'VirtualMachineSnapshot prod/snap does not contain any volume snapshots',
    });
    expect(snapshotExportClaimName('a', 'b')).toBe('a-b');
  });
});
