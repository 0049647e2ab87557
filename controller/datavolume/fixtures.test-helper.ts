/** DataVolumes, claims and pods for the DataVolume controller's unit tests. */
import type { DataVolume, DataVolumeSpec } from '../../api/cdi/v1beta1';
import type { Claim, WorkerPod } from './objects';

export function dataVolume(
  spec: DataVolumeSpec,
  meta: Partial<NonNullable<DataVolume['metadata']>> = {},
): DataVolume {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: 'disk', namespace: 'ns', uid: 'dv-uid', resourceVersion: '1', ...meta },
    spec,
  };
}

export const httpSpec = (extra: Partial<DataVolumeSpec> = {}): DataVolumeSpec => ({
  source: { http: { url: 'https://example.test/disk.qcow2' } },
  storage: { resources: { requests: { storage: '1Gi' } } },
  ...extra,
});

export function claimOf(dv: DataVolume, phase: string, annotations: Record<string, string> = {}): Claim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: dv.metadata?.name,
      namespace: dv.metadata?.namespace,
      uid: 'claim-uid',
      annotations,
      ownerReferences: [
        {
          apiVersion: 'cdi.kubevirt.io/v1beta1',
          kind: 'DataVolume',
          name: 'disk',
          uid: dv.metadata?.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: { storageClassName: 'local', resources: { requests: { storage: '1136234735' } } },
    status: { phase },
  };
}

export function podWith(status: WorkerPod['status']): WorkerPod {
  return {
    metadata: {
      name: 'importer-disk',
      namespace: 'ns',
      uid: 'pod-uid',
      ownerReferences: [
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'disk', uid: 'claim-uid', controller: true },
      ],
    },
    status,
  };
}
