/** VMs, VMIs, snapshots, contents, claims and classes for the VM snapshot controller's unit tests. */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachineSnapshot, VirtualMachineSnapshotContent } from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot, VolumeSnapshotClass } from '../../api/volumesnapshot/v1';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { LockFacts } from './source';

export const NS = 'prod';
export const SNAP_UID = 'snap-uid';
export const VM_UID = 'vm-uid';
export const CREATED = '2024-05-01T10:00:00Z';
/** One minute after the snapshot was made: well inside the default 5-minute deadline. */
export const NOW = new Date('2024-05-01T10:01:00Z');

/** A VM named `web` with a PVC volume, a DataVolume volume, a containerDisk and cloud-init. */
export function vm(
  extra: Partial<VirtualMachine['metadata']> = {},
  status: VirtualMachine['status'] = {},
): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: 'web',
      namespace: NS,
      uid: VM_UID,
      resourceVersion: '10',
      generation: 2,
      labels: { app: 'web' },
      annotations: { note: 'kept' },
      managedFields: [{ manager: 'kubectl' }],
      ...extra,
    },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            devices: {
              disks: [
                { name: 'root', disk: { bus: 'virtio' } },
                { name: 'data', disk: { bus: 'virtio' } },
                { name: 'boot', disk: { bus: 'virtio' } },
                { name: 'cloudinit', disk: { bus: 'virtio' } },
              ],
            },
          },
          volumes: [
            { name: 'root', persistentVolumeClaim: { claimName: 'web-root' } },
            { name: 'data', dataVolume: { name: 'web-data' } },
            { name: 'boot', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
            { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
          ],
        },
      },
    },
    status,
  };
}

export function vmi(
  conditions: { type: string; status: 'True' | 'False' }[] = [],
  frozen = false,
): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: NS, uid: 'vmi-uid' },
    spec: { domain: { devices: {} } },
    status: {
      phase: 'Running',
      conditions: conditions.map((c) => ({ ...c })),
      ...(frozen ? { fsFreezeStatus: 'frozen' } : {}),
    },
  } as VirtualMachineInstance;
}

export const AGENT = { type: 'AgentConnected', status: 'True' } as const;
export const PAUSED = { type: 'Paused', status: 'True' } as const;

export function snapshot(
  spec: Partial<VirtualMachineSnapshot['spec']> = {},
  meta: Partial<NonNullable<VirtualMachineSnapshot['metadata']>> = {},
  status?: VirtualMachineSnapshot['status'],
): VirtualMachineSnapshot {
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: {
      name: 'web-snap',
      namespace: NS,
      uid: SNAP_UID,
      resourceVersion: '5',
      creationTimestamp: CREATED,
      finalizers: ['snapshot.kubevirt.io/vmsnapshot-protection'],
      ...meta,
    },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' }, ...spec },
    ...(status ? { status } : {}),
  };
}

/** The VM locked by `web-snap`. */
export function lockedVm(): VirtualMachine {
  return vm(
    { finalizers: ['snapshot.kubevirt.io/snapshot-source-protection'] },
    { snapshotInProgress: 'web-snap' },
  );
}

export function claim(name: string, extra: Partial<Claim> = {}, storageClassName = 'ceph-rbd'): Claim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS, uid: `${name}-uid`, managedFields: [{ manager: 'x' }] },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '10Gi' } },
      storageClassName,
      volumeMode: 'Block',
    },
    status: { phase: 'Bound' },
    ...extra,
  };
}

export function dataVolumeOf(name: string, phase: string): DataVolume {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name, namespace: NS, uid: `${name}-dv-uid` },
    spec: {},
    status: { phase: phase as never },
  };
}

/** The claim of a DataVolume: controlled by it. */
export function dvClaim(name: string): Claim {
  return claim(name, {
    metadata: {
      name,
      namespace: NS,
      uid: `${name}-uid`,
      ownerReferences: [
        {
          apiVersion: 'cdi.kubevirt.io/v1beta1',
          kind: 'DataVolume',
          name,
          uid: `${name}-dv-uid`,
          controller: true,
        },
      ],
    },
  });
}

export function lockFacts(
  claims: Claim[] = [claim('web-root'), dvClaim('web-data')],
  dataVolumes: DataVolume[] = [dataVolumeOf('web-data', 'Succeeded')],
  pods: LockFacts['pods'] = [],
): LockFacts {
  return {
    claim: (n) => claims.find((c) => c.metadata?.name === n),
    dataVolume: (n) => dataVolumes.find((d) => d.metadata?.name === n),
    pods,
  };
}

export const storageClasses = new Map<string, StorageClass>([
  ['ceph-rbd', { metadata: { name: 'ceph-rbd' }, provisioner: 'rbd.csi.ceph.com' }],
  ['local', { metadata: { name: 'local' }, provisioner: 'virtkit.io/local-volume' }],
  ['nfs', { metadata: { name: 'nfs' }, provisioner: 'nfs.csi.k8s.io' }],
]);

export function snapshotClass(name: string, driver: string, isDefault?: string): VolumeSnapshotClass {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: {
      name,
      ...(isDefault !== undefined
        ? { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': isDefault } }
        : {}),
    },
    driver,
    deletionPolicy: 'Delete',
  };
}

export const snapshotClasses = [snapshotClass('rbd-snap', 'rbd.csi.ceph.com')];

export function volumeSnapshot(name: string, status: VolumeSnapshot['status'] = {}): VolumeSnapshot {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name, namespace: NS, uid: `${name}-uid` },
    spec: { source: { persistentVolumeClaimName: 'x' } },
    status,
  };
}

/** A content of `web-snap` with backups of `root` and `data`. */
export function content(
  status?: VirtualMachineSnapshotContent['status'],
  meta: Partial<NonNullable<VirtualMachineSnapshotContent['metadata']>> = {},
): VirtualMachineSnapshotContent {
  const backup = (volumeName: string, claimName: string) => ({
    volumeName,
    persistentVolumeClaim: { metadata: { name: claimName, namespace: NS }, spec: claim(claimName).spec },
    volumeSnapshotName: `vmsnapshot-${SNAP_UID}-volume-${volumeName}`,
  });
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshotContent',
    metadata: {
      name: `vmsnapshot-content-${SNAP_UID}`,
      namespace: NS,
      uid: 'content-uid',
      resourceVersion: '7',
      finalizers: ['snapshot.kubevirt.io/vmsnapshotcontent-protection'],
      ...meta,
    },
    spec: {
      virtualMachineSnapshotName: 'web-snap',
      source: { virtualMachine: { metadata: { name: 'web', namespace: NS }, spec: vm().spec, status: {} } },
      volumeBackups: [backup('root', 'web-root'), backup('data', 'web-data')],
    },
    ...(status ? { status } : {}),
  };
}

export const ROOT_VS = `vmsnapshot-${SNAP_UID}-volume-root`;
export const DATA_VS = `vmsnapshot-${SNAP_UID}-volume-data`;
