/** Manifests the runtime suites apply: VMs booting the test guest, namespaces, local PVs. */
import type { GuestImage } from '../../fixtures/guest/build';

export interface GuestVmOptions {
  readonly namespace: string;
  readonly name: string;
  readonly runStrategy: 'Always' | 'RerunOnFailure' | 'Once' | 'Manual' | 'Halted';
  readonly graceSeconds?: number;
  /** A claim mounted as a second disk (the boot counter). */
  readonly dataClaim?: string;
  readonly userData?: string;
  /** A VGA display with its VNC server (autoattachGraphicsDevice). @default false */
  readonly graphics?: boolean;
}

/** A VirtualMachine booting the test guest from a containerDisk that is a local file. */
export function guestVm(image: GuestImage, o: GuestVmOptions): Record<string, unknown> {
  const disks: Record<string, unknown>[] = [{ name: 'rootdisk', disk: { bus: 'virtio' } }];
  const volumes: Record<string, unknown>[] = [
    { name: 'rootdisk', containerDisk: { image: `file://${image.disk}` } },
  ];
  if (o.dataClaim) {
    disks.push({ name: 'data', disk: { bus: 'virtio' } });
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: o.dataClaim } });
  }
  if (o.userData) {
    disks.push({ name: 'cloudinitdisk', disk: { bus: 'virtio' } });
    volumes.push({ name: 'cloudinitdisk', cloudInitNoCloud: { userData: o.userData } });
  }
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      runStrategy: o.runStrategy,
      template: {
        metadata: { labels: { 'e2e/vm': o.name } },
        spec: {
          terminationGracePeriodSeconds: o.graceSeconds ?? 30,
          domain: {
            resources: { requests: { memory: '128Mi' } },
            devices: { disks, autoattachGraphicsDevice: o.graphics ?? false },
          },
          volumes,
        },
      },
    },
  };
}

export function namespace(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/**
 * A DataVolume importing `url` into a claim of the default StorageClass, bound at once
 * (`cdi.kubevirt.io/storage.bind.immediate.requested`: the class waits for a first consumer,
 * and an export is a reader, not one), so it fills without a VM.
 */
export function httpDataVolume(ns: string, name: string, url: string, size: string): Record<string, unknown> {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: {
      name,
      namespace: ns,
      annotations: { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' },
    },
    spec: { source: { http: { url } }, storage: { resources: { requests: { storage: size } } } },
  };
}

/** A hostPath PersistentVolume and a claim bound to it by name. */
export function localClaim(ns: string, name: string, dir: string, size = '16Mi'): Record<string, unknown>[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${ns}-${name}` },
      spec: {
        capacity: { storage: size },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: dir },
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'local',
        claimRef: { namespace: ns, name },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: size } },
        storageClassName: 'local',
        volumeName: `${ns}-${name}`,
      },
    },
  ];
}
