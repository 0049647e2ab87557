import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import { clone, crdVersion, errorLines, undocumentedProperties } from '../../testing/crd-kit';
import { DataSourceKind, DataVolumeKind, kinds, type DataSource, type DataVolume } from './index';

const importDv: DataVolume = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { name: 'fedora-root', namespace: 'vms' },
  spec: {
    source: {
      http: {
        url: 'https://download.example.org/fedora-40.qcow2',
        certConfigMap: 'internal-ca',
        extraHeaders: ['X-Token: abc'],
      },
    },
    storage: {
      resources: { requests: { storage: '12Gi' } },
      storageClassName: 'fast',
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Block',
    },
    contentType: 'kubevirt',
    preallocation: false,
    priorityClassName: 'importers',
  },
  status: {
    phase: 'ImportInProgress',
    progress: '45.00%',
    restartCount: 1,
    claimName: 'fedora-root',
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'TransferRunning',
        lastTransitionTime: '2024-05-01T10:00:00Z',
        lastHeartbeatTime: null,
      },
    ],
  },
};

const cloneDv: DataVolume = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { name: 'from-golden', namespace: 'vms' },
  spec: {
    sourceRef: { kind: 'DataSource', name: 'fedora', namespace: 'golden-images' },
    pvc: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '30Gi' } },
      volumeMode: 'Filesystem',
    },
  },
};

const dataSource: DataSource = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataSource',
  metadata: { name: 'fedora', namespace: 'golden-images' },
  spec: { source: { pvc: { namespace: 'golden-images', name: 'fedora-40-20240501' } } },
  status: {
    source: { pvc: { namespace: 'golden-images', name: 'fedora-40-20240501' } },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
};

describe('DataVolume', () => {
  it('accepts an http import with storage and a DataSource clone with pvc', () => {
    expect(errorLines(validateAs(DataVolumeKind, importDv))).toEqual([]);
    expect(validateAs(DataVolumeKind, cloneDv)).toEqual([]);
  });

  it('accepts every source kind on its own', () => {
    const sources = [
      { s3: { url: 'https://s3.example.org/bucket/disk.img', secretRef: 's3-creds' } },
      { gcs: { url: 'gs://bucket/disk.img' } },
      {
        registry: {
          url: 'docker://quay.io/containerdisks/fedora:40',
          pullMethod: 'node',
          platform: { architecture: 'amd64' },
        },
      },
      { pvc: { namespace: 'vms', name: 'base' } },
      { upload: {} },
      { blank: {} },
      { imageio: { url: 'https://ovirt.example.org/ovirt-engine/api', diskId: '123', secretRef: 'ovirt' } },
      {
        vddk: {
          url: 'https://vcenter.example.org',
          uuid: '42',
          backingFile: '[ds1] vm/vm.vmdk',
          thumbprint: 'AA:BB',
          secretRef: 'vsphere',
        },
      },
      { snapshot: { namespace: 'vms', name: 'snap-1' } },
    ];
    for (const source of sources) {
      const dv = clone(importDv);
      dv.spec.source = source as DataVolume['spec']['source'];
      expect(errorLines(validateAs(DataVolumeKind, dv))).toEqual([]);
    }
  });

  it('names an unknown field and suggests the right one', () => {
    const dv = clone(importDv) as unknown as { spec: { source: { http: Record<string, unknown> } } };
    dv.spec.source.http.certConfigmap = 'ca';
    const issues = validateAs(DataVolumeKind, dv);
    expect(issues).toEqual([
      expect.objectContaining({ path: 'spec.source.http.certConfigmap', rule: 'schema.unknown-field' }),
    ]);
    expect(issues[0].message).toContain('did you mean "certConfigMap"');
  });

  it('refuses a DataVolume with no source, with two sources, and with source and sourceRef', () => {
    const none = clone(importDv);
    delete none.spec.source;
    expect(errorLines(validateAs(DataVolumeKind, none))).toEqual([
      expect.stringMatching(
        /^spec\.source: the DataVolume has no data source; set spec\.source to one of http/,
      ),
    ]);

    const two = clone(importDv);
    two.spec.source = { http: { url: 'https://a.example/x.img' }, blank: {} };
    expect(errorLines(validateAs(DataVolumeKind, two))).toEqual([
      'spec.source: spec.source sets http and blank; a DataVolume takes exactly one source, keep one of them',
    ]);

    const empty = clone(importDv);
    empty.spec.source = {};
    expect(errorLines(validateAs(DataVolumeKind, empty))[0]).toMatch(/^spec\.source: spec\.source is empty/);

    const both = clone(cloneDv);
    both.spec.source = { blank: {} };
    expect(errorLines(validateAs(DataVolumeKind, both))[0]).toMatch(
      /^spec\.sourceRef: spec\.source and spec\.sourceRef are both set/,
    );
  });

  it('accepts no source when a populator fills the claim', () => {
    const populated = clone(importDv);
    delete populated.spec.source;
    populated.spec.storage = {
      ...populated.spec.storage,
      dataSourceRef: { apiGroup: 'example.io', kind: 'Populator', name: 'p' },
    };
    expect(errorLines(validateAs(DataVolumeKind, populated))).toEqual([]);
  });

  it('refuses a sourceRef to anything but a DataSource', () => {
    const dv = clone(cloneDv);
    dv.spec.sourceRef = { kind: 'PersistentVolumeClaim', name: 'x' };
    expect(errorLines(validateAs(DataVolumeKind, dv))).toEqual([
      'spec.sourceRef.kind: sourceRef kind "PersistentVolumeClaim" is not supported; set spec.sourceRef.kind to "DataSource"',
    ]);
  });

  it('requires exactly one of pvc and storage, and a size on pvc', () => {
    const both = clone(importDv);
    both.spec.pvc = { resources: { requests: { storage: '1Gi' } } };
    expect(errorLines(validateAs(DataVolumeKind, both))[0]).toMatch(
      /^spec\.storage: spec\.pvc and spec\.storage are both set/,
    );

    const neither = clone(importDv);
    delete neither.spec.storage;
    expect(errorLines(validateAs(DataVolumeKind, neither))[0]).toMatch(
      /^spec\.storage: the DataVolume says nothing about its volume/,
    );

    const sizeless = clone(cloneDv);
    sizeless.spec.pvc = { accessModes: ['ReadWriteOnce'] };
    expect(errorLines(validateAs(DataVolumeKind, sizeless))).toEqual([
      expect.stringMatching(/^spec\.pvc\.resources\.requests\.storage: spec\.pvc has no size/),
    ]);
  });

  it('checks import URL schemes', () => {
    const ftp = clone(importDv);
    ftp.spec.source = { http: { url: 'ftp://example.org/disk.img' } };
    expect(errorLines(validateAs(DataVolumeKind, ftp))).toEqual([
      expect.stringMatching(
        /^spec\.source\.http\.url: URL "ftp:\/\/example\.org\/disk\.img" is not a http or https URL/,
      ),
    ]);

    const registry = clone(importDv);
    registry.spec.source = { registry: { url: 'quay.io/containerdisks/fedora:40' } };
    expect(errorLines(validateAs(DataVolumeKind, registry))).toEqual([
      expect.stringMatching(/^spec\.source\.registry\.url: .*start it with docker:\/\/ or oci-archive:\/\//),
    ]);

    const nothing = clone(importDv);
    nothing.spec.source = { registry: {} };
    expect(errorLines(validateAs(DataVolumeKind, nothing))[0]).toMatch(
      /^spec\.source\.registry\.url: the registry source names no image/,
    );
  });

  it('publishes CDI names, status subresource and printer columns', () => {
    const crd = crdFor(DataVolumeKind);
    expect(crd.metadata.name).toBe('datavolumes.cdi.kubevirt.io');
    expect(crd.spec.names).toEqual({
      kind: 'DataVolume',
      listKind: 'DataVolumeList',
      plural: 'datavolumes',
      singular: 'datavolume',
      shortNames: ['dv', 'dvs'],
      categories: ['all'],
    });
    expect(crd.spec.scope).toBe('Namespaced');
    const version = crdVersion(DataVolumeKind);
    expect(version.subresources).toEqual({ status: {} });
    expect(
      (version.additionalPrinterColumns as { name: string; jsonPath: string }[]).map(
        (c) => `${c.name}=${c.jsonPath}`,
      ),
    ).toEqual([
      'Phase=.status.phase',
      'Progress=.status.progress',
      'Restarts=.status.restartCount',
      'Age=.metadata.creationTimestamp',
    ]);
  });
});

describe('DataSource', () => {
  it('accepts a PVC-backed DataSource', () => {
    expect(validateAs(DataSourceKind, dataSource)).toEqual([]);
  });

  it('refuses a DataSource pointing at two things and warns on an empty one', () => {
    const two = clone(dataSource);
    two.spec.source = { pvc: { namespace: 'a', name: 'b' }, snapshot: { namespace: 'a', name: 'c' } };
    expect(errorLines(validateAs(DataSourceKind, two))).toEqual([
      'spec.source: spec.source sets pvc and snapshot; a DataSource points at exactly one of pvc, snapshot or dataSource',
    ]);
    const empty = clone(dataSource);
    empty.spec.source = {};
    expect(validateAs(DataSourceKind, empty)).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'spec.source' }),
    ]);
  });

  it('publishes CDI names', () => {
    const crd = crdFor(DataSourceKind);
    expect(crd.spec.names).toMatchObject({
      plural: 'datasources',
      singular: 'datasource',
      shortNames: ['das'],
    });
    expect(crdVersion(DataSourceKind).subresources).toBeUndefined();
  });
});

describe('cdi.kubevirt.io/v1beta1 CRDs', () => {
  it.each(kinds.map((k) => [k.kind, k] as const))('%s documents every property', (_name, def) => {
    expect(undocumentedProperties(def)).toEqual([]);
  });
});
