import { crdFor, volumeSnapshotCrds } from '../../crd/generate';
import { structuralProblems } from '../../crd/structural-check';
import { volumeSnapshotKinds } from '../../registry';
import { validateAs } from '../../validation/validate';
import {
  clone,
  crdProperty,
  crdSchema,
  crdVersion,
  errorLines,
  undocumentedProperties,
} from '../../testing/crd-kit';
import {
  kinds,
  snapshotContentNameFor,
  VolumeSnapshotClassKind,
  VolumeSnapshotContentKind,
  VolumeSnapshotKind,
  type VolumeSnapshot,
  type VolumeSnapshotClass,
  type VolumeSnapshotContent,
} from './index';

const snapshotClass: VolumeSnapshotClass = {
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshotClass',
  metadata: {
    name: 'local-snapshots',
    annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' },
  },
  driver: 'virtkit.io/local-volume',
  deletionPolicy: 'Delete',
  parameters: { anything: 'opaque' },
};

const snapshot: VolumeSnapshot = {
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshot',
  metadata: { name: 'root-before-upgrade', namespace: 'prod', uid: '0b3c0a6e-8a44-4b0c-9d6a-6f1a3c2b1d00' },
  spec: { source: { persistentVolumeClaimName: 'root' }, volumeSnapshotClassName: 'local-snapshots' },
  status: {
    boundVolumeSnapshotContentName: 'snapcontent-0b3c0a6e-8a44-4b0c-9d6a-6f1a3c2b1d00',
    creationTime: '2024-05-01T10:00:04Z',
    readyToUse: true,
    restoreSize: '10Gi',
  },
};

const content: VolumeSnapshotContent = {
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshotContent',
  metadata: { name: 'snapcontent-0b3c0a6e-8a44-4b0c-9d6a-6f1a3c2b1d00' },
  spec: {
    volumeSnapshotRef: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      name: 'root-before-upgrade',
      namespace: 'prod',
      uid: '0b3c0a6e-8a44-4b0c-9d6a-6f1a3c2b1d00',
    },
    deletionPolicy: 'Delete',
    driver: 'virtkit.io/local-volume',
    source: { volumeHandle: 'pvc-5d1e0c5a-3b43-4a8e-9d0b-0c2f3a1b4e55' },
    volumeSnapshotClassName: 'local-snapshots',
    sourceVolumeMode: 'Filesystem',
  },
  status: {
    snapshotHandle: 'node-a/snapcontent-0b3c0a6e-8a44-4b0c-9d6a-6f1a3c2b1d00',
    creationTime: 1714557604000000000,
    readyToUse: true,
    restoreSize: 10737418240,
  },
};

describe('VolumeSnapshotClass', () => {
  it('accepts a class with its fields at the top level', () => {
    expect(validateAs(VolumeSnapshotClassKind, snapshotClass)).toEqual([]);
  });

  it('requires the driver and the deletion policy, and knows only Delete and Retain', () => {
    const c = clone(snapshotClass) as unknown as Record<string, unknown>;
    delete c.driver;
    c.deletionPolicy = 'Keep';
    const lines = errorLines(validateAs(VolumeSnapshotClassKind, c));
    expect(lines).toEqual([
      expect.stringMatching(/^driver: /),
      expect.stringMatching(/^deletionPolicy: .*Keep/),
    ]);
    const schema = crdSchema(VolumeSnapshotClassKind);
    expect(schema.required).toEqual(['driver', 'deletionPolicy']);
    expect(crdProperty(VolumeSnapshotClassKind, 'deletionPolicy')?.enum).toEqual(['Delete', 'Retain']);
  });

  it('publishes the upstream names and columns, cluster-scoped', () => {
    const crd = crdFor(VolumeSnapshotClassKind);
    expect(crd.metadata.name).toBe('volumesnapshotclasses.snapshot.storage.k8s.io');
    expect(crd.spec).toMatchObject({ scope: 'Cluster', names: { shortNames: ['vsclass', 'vsclasses'] } });
    expect(
      (crdVersion(VolumeSnapshotClassKind).additionalPrinterColumns as { name: string }[]).map((c) => c.name),
    ).toEqual(['Driver', 'DeletionPolicy', 'Age']);
  });
});

describe('VolumeSnapshot', () => {
  it('accepts a bound, ready snapshot', () => {
    expect(validateAs(VolumeSnapshotKind, snapshot)).toEqual([]);
  });

  it('takes exactly one source, and says which two there are', () => {
    const none = clone(snapshot);
    none.spec.source = {};
    expect(errorLines(validateAs(VolumeSnapshotKind, none))).toEqual([
      'spec.source: spec.source sets neither persistentVolumeClaimName nor volumeSnapshotContentName; set persistentVolumeClaimName (to take a new snapshot of a claim) or volumeSnapshotContentName (to use a snapshot that exists)',
    ]);
    const both = clone(snapshot);
    both.spec.source = { persistentVolumeClaimName: 'root', volumeSnapshotContentName: 'c' };
    expect(errorLines(validateAs(VolumeSnapshotKind, both))).toEqual([
      expect.stringMatching(
        /^spec\.source: spec\.source sets both persistentVolumeClaimName and volumeSnapshotContentName; keep only one/,
      ),
    ]);
  });

  it('catches an unknown field', () => {
    const s = clone(snapshot) as unknown as { spec: Record<string, unknown> };
    s.spec.snapshotClassName = 'x';
    expect(validateAs(VolumeSnapshotKind, s)).toEqual([
      expect.objectContaining({ path: 'spec.snapshotClassName', rule: 'schema.unknown-field' }),
    ]);
  });

  it('publishes the upstream columns and CEL rules the API server checks', () => {
    const crd = crdFor(VolumeSnapshotKind);
    expect(crd.metadata.name).toBe('volumesnapshots.snapshot.storage.k8s.io');
    expect(crd.spec).toMatchObject({ scope: 'Namespaced', names: { shortNames: ['vs'] } });
    const v = crdVersion(VolumeSnapshotKind);
    expect(v.subresources).toEqual({ status: {} });
    expect((v.additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'ReadyToUse',
      'SourcePVC',
      'SourceSnapshotContent',
      'RestoreSize',
      'SnapshotClass',
      'SnapshotContent',
      'CreationTime',
      'Age',
    ]);
    const rules = crdProperty(VolumeSnapshotKind, 'spec.source')?.['x-kubernetes-validations'] as {
      rule: string;
    }[];
    expect(rules.map((r) => r.rule)).toEqual([
      'has(self.persistentVolumeClaimName) != has(self.volumeSnapshotContentName)',
      'self == oldSelf',
    ]);
    expect(crdProperty(VolumeSnapshotKind, 'status.restoreSize')).toMatchObject({
      'x-kubernetes-int-or-string': true,
    });
  });
});

describe('VolumeSnapshotContent', () => {
  it('accepts a ready content of the local driver', () => {
    expect(validateAs(VolumeSnapshotContentKind, content)).toEqual([]);
  });

  it('takes exactly one source and a reference with name and namespace', () => {
    const c = clone(content);
    c.spec.source = { volumeHandle: 'pvc-1', snapshotHandle: 'node-a/x' };
    delete c.spec.volumeSnapshotRef.namespace;
    expect(errorLines(validateAs(VolumeSnapshotContentKind, c))).toEqual([
      expect.stringMatching(
        /^spec\.source: spec\.source sets both volumeHandle and snapshotHandle; keep only one/,
      ),
      'spec.volumeSnapshotRef.namespace: spec.volumeSnapshotRef.namespace is missing; set it to the namespace of the VolumeSnapshot this content belongs to',
    ]);
  });

  it('keeps status times and sizes as int64, and the reference atomic', () => {
    expect(crdProperty(VolumeSnapshotContentKind, 'status.creationTime')).toMatchObject({
      type: 'integer',
      format: 'int64',
    });
    expect(crdProperty(VolumeSnapshotContentKind, 'status.restoreSize')).toMatchObject({
      type: 'integer',
      format: 'int64',
    });
    expect(crdProperty(VolumeSnapshotContentKind, 'spec.volumeSnapshotRef')).toMatchObject({
      'x-kubernetes-map-type': 'atomic',
      'x-kubernetes-validations': [{ rule: 'has(self.name) && has(self.__namespace__)' }],
    });
    expect(crdSchema(VolumeSnapshotContentKind)).toMatchObject({ required: ['spec'] });
    expect(crdProperty(VolumeSnapshotContentKind, 'spec')?.required).toEqual([
      'volumeSnapshotRef',
      'deletionPolicy',
      'driver',
      'source',
    ]);
  });

  it('publishes the upstream names and columns, cluster-scoped', () => {
    expect(crdFor(VolumeSnapshotContentKind).spec).toMatchObject({
      scope: 'Cluster',
      names: { plural: 'volumesnapshotcontents', shortNames: ['vsc', 'vscs'] },
    });
    expect(
      (crdVersion(VolumeSnapshotContentKind).additionalPrinterColumns as { name: string }[]).map(
        (c) => c.name,
      ),
    ).toEqual([
      'ReadyToUse',
      'RestoreSize',
      'DeletionPolicy',
      'Driver',
      'VolumeSnapshotClass',
      'VolumeSnapshot',
      'VolumeSnapshotNamespace',
      'Age',
    ]);
  });

  it('names a dynamic content after its snapshot uid', () => {
    expect(snapshotContentNameFor('0b3c')).toBe('snapcontent-0b3c');
  });
});

describe('snapshot.storage.k8s.io/v1 CRDs', () => {
  it.each(kinds.map((k) => [k.kind, k] as const))(
    '%s is structural and documents every property',
    (_n, def) => {
      expect(structuralProblems(crdSchema(def))).toEqual([]);
      expect(undocumentedProperties(def)).toEqual([]);
    },
  );

  it('are the registry volume snapshot kinds, approved as *.k8s.io CRDs must be', () => {
    expect(volumeSnapshotKinds()).toEqual(kinds);
    for (const crd of volumeSnapshotCrds())
      expect(crd.metadata.annotations?.['api-approved.kubernetes.io']).toMatch(/^https:\/\//);
  });
});
