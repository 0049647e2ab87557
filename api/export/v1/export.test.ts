import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import { clone, crdProperty, crdVersion, errorLines, undocumentedProperties } from '../../testing/crd-kit';
import { VirtualMachineExportKind, type VirtualMachineExport } from './index';

const link = {
  cert: '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n',
  volumes: [
    {
      name: 'root',
      formats: [
        { format: 'raw', url: 'https://virt-export-web.prod.svc/volumes/root/disk.img' },
        { format: 'gzip', url: 'https://virt-export-web.prod.svc/volumes/root/disk.img.gz' },
      ],
    },
  ],
  manifests: [
    { type: 'all', url: 'https://virt-export-web.prod.svc/internal/manifests/all' },
    { type: 'auth-header-secret', url: 'https://virt-export-web.prod.svc/internal/manifests/secret' },
  ],
};

const vmExport: VirtualMachineExport = {
  apiVersion: 'export.kubevirt.io/v1',
  kind: 'VirtualMachineExport',
  metadata: { name: 'web', namespace: 'prod' },
  spec: {
    source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' },
    tokenSecretRef: 'export-token',
    ttlDuration: '1h30m',
  },
  status: {
    phase: 'Ready',
    serviceName: 'virt-export-web',
    virtualMachineName: 'web',
    tokenSecretRef: 'export-token',
    ttlExpirationTime: '2024-05-01T11:30:00Z',
    links: {
      internal: link,
      external: {
        ...link,
        backups: [
          {
            name: 'root',
            endpoints: [{ endpoint: 'data', url: 'https://export.example.org/backup/root/data' }],
          },
        ],
      },
    },
    conditions: [{ type: 'Ready', status: 'True', reason: 'PodReady' }],
  },
};

describe('VirtualMachineExport', () => {
  it('accepts a realistic export, and PVC and snapshot sources', () => {
    expect(validateAs(VirtualMachineExportKind, vmExport)).toEqual([]);
    const pvc = clone(vmExport);
    pvc.spec.source = { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'data' };
    expect(validateAs(VirtualMachineExportKind, pvc)).toEqual([]);
    const snap = clone(vmExport);
    snap.spec.source = {
      apiGroup: 'snapshot.kubevirt.io',
      kind: 'VirtualMachineSnapshot',
      name: 'web-before-upgrade',
    };
    expect(validateAs(VirtualMachineExportKind, snap)).toEqual([]);
  });

  it('catches an unknown field', () => {
    const e = clone(vmExport) as unknown as { spec: Record<string, unknown> };
    e.spec.ttl = '1h';
    expect(validateAs(VirtualMachineExportKind, e)).toEqual([
      expect.objectContaining({ path: 'spec.ttl', rule: 'schema.unknown-field' }),
    ]);
  });

  it('requires a supported, named source and a duration TTL', () => {
    const e = clone(vmExport);
    e.spec.source = { apiGroup: 'cdi.kubevirt.io', kind: 'DataVolume', name: '' };
    e.spec.ttlDuration = '2 hours';
    expect(errorLines(validateAs(VirtualMachineExportKind, e))).toEqual([
      'spec.source.name: the export source has no name; set spec.source.name to the name of the VirtualMachine, VirtualMachineSnapshot, PersistentVolumeClaim to use',
      'spec.source.kind: the export source kind "DataVolume" is not supported; use one of: VirtualMachine, VirtualMachineSnapshot, PersistentVolumeClaim',
      'spec.ttlDuration: ttlDuration "2 hours" is not a duration; write it like 2h, 90m or 1h30m',
    ]);
    const pvcWithGroup = clone(vmExport);
    pvcWithGroup.spec.source = { apiGroup: 'v1', kind: 'PersistentVolumeClaim', name: 'data' };
    expect(errorLines(validateAs(VirtualMachineExportKind, pvcWithGroup))).toEqual([
      'spec.source.apiGroup: the export source apiGroup "v1" does not serve kind PersistentVolumeClaim; set spec.source.apiGroup to empty (the core group)',
    ]);
  });

  it('publishes KubeVirt names, printer columns, list-map keys and descriptions', () => {
    const crd = crdFor(VirtualMachineExportKind);
    expect(crd.metadata.name).toBe('virtualmachineexports.export.kubevirt.io');
    expect(crd.spec.names).toMatchObject({ shortNames: ['vmexport', 'vmexports'] });
    const v = crdVersion(VirtualMachineExportKind);
    expect(v.name).toBe('v1');
    expect(v.subresources).toEqual({ status: {} });
    expect((v.additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'SourceKind',
      'SourceName',
      'Phase',
    ]);
    const manifests = crdProperty(VirtualMachineExportKind, 'status.links.internal.manifests');
    expect(manifests).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
    expect(undocumentedProperties(VirtualMachineExportKind)).toEqual([]);
  });
});
