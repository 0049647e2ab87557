import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import {
  clone,
  crdProperty,
  crdVersion,
  errorLines,
  sampleVirtualMachineSpec,
  undocumentedProperties,
} from '../../testing/crd-kit';
import {
  kinds,
  VirtualMachineRestoreKind,
  VirtualMachineSnapshotContentKind,
  VirtualMachineSnapshotKind,
  type VirtualMachineRestore,
  type VirtualMachineSnapshot,
  type VirtualMachineSnapshotContent,
} from './index';

const snapshot: VirtualMachineSnapshot = {
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineSnapshot',
  metadata: { name: 'web-before-upgrade', namespace: 'prod' },
  spec: {
    source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' },
    deletionPolicy: 'Retain',
    failureDeadline: '3m0s',
  },
  status: {
    phase: 'Succeeded',
    readyToUse: true,
    creationTime: '2024-05-01T10:00:00Z',
    sourceUID: '0b3c0a6e-8a44-4b0c-9d6a-6f1a3c2b1d00',
    virtualMachineSnapshotContentName: 'vmsnapshot-content-0b3c0a6e',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Operation complete',
        lastTransitionTime: '2024-05-01T10:00:05Z',
        lastProbeTime: null,
      },
    ],
    indications: ['Online', 'GuestAgent'],
    sourceIndications: [
      {
        indication: 'GuestAgent',
        message: 'The guest filesystems were frozen while the snapshot was taken.',
      },
    ],
    snapshotVolumes: { includedVolumes: ['root'], excludedVolumes: ['cloudinit'] },
  },
};

const content: VirtualMachineSnapshotContent = {
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineSnapshotContent',
  metadata: { name: 'vmsnapshot-content-0b3c0a6e', namespace: 'prod' },
  spec: {
    virtualMachineSnapshotName: 'web-before-upgrade',
    source: {
      virtualMachine: {
        metadata: { name: 'web', namespace: 'prod' },
        spec: sampleVirtualMachineSpec() as never,
      },
    },
    volumeBackups: [
      {
        volumeName: 'root',
        persistentVolumeClaim: {
          metadata: { name: 'web-root' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '20Gi' } },
            storageClassName: 'ceph-rbd',
            volumeMode: 'Block',
          },
        },
        volumeSnapshotName: 'vmsnapshot-0b3c0a6e-volume-root',
      },
    ],
  },
  status: {
    readyToUse: true,
    creationTime: '2024-05-01T10:00:04Z',
    snapshotMode: 'Direct',
    volumeSnapshotStatus: [
      {
        volumeSnapshotName: 'vmsnapshot-0b3c0a6e-volume-root',
        readyToUse: true,
        creationTime: '2024-05-01T10:00:04Z',
      },
    ],
  },
};

const restore: VirtualMachineRestore = {
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineRestore',
  metadata: { name: 'web-rollback', namespace: 'prod' },
  spec: {
    target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web-copy' },
    virtualMachineSnapshotName: 'web-before-upgrade',
    targetReadinessPolicy: 'StopTarget',
    volumeRestorePolicy: 'PrefixTargetName',
    volumeRestoreOverrides: [{ volumeName: 'root', restoreName: 'web-copy-root', labels: { tier: 'gold' } }],
    patches: ['{"op": "add", "path": "/metadata/labels/restored-from", "value": "web-before-upgrade"}'],
  },
  status: {
    complete: true,
    restoreTime: '2024-05-02T08:00:00Z',
    restores: [
      {
        volumeName: 'root',
        persistentVolumeClaim: 'web-copy-root',
        volumeSnapshotName: 'vmsnapshot-0b3c0a6e-volume-root',
      },
    ],
  },
};

describe('VirtualMachineSnapshot', () => {
  it('accepts a realistic snapshot with status', () => {
    expect(validateAs(VirtualMachineSnapshotKind, snapshot)).toEqual([]);
  });

  it('catches an unknown field', () => {
    const s = clone(snapshot) as unknown as { spec: Record<string, unknown> };
    s.spec.deletionPolcy = 'Retain';
    expect(validateAs(VirtualMachineSnapshotKind, s)).toEqual([
      expect.objectContaining({ path: 'spec.deletionPolcy', rule: 'schema.unknown-field' }),
    ]);
  });

  it('requires a named VirtualMachine source in kubevirt.io', () => {
    const noName = clone(snapshot) as unknown as { spec: { source: Record<string, unknown> } };
    delete noName.spec.source.name;
    expect(errorLines(validateAs(VirtualMachineSnapshotKind, noName))).toEqual([
      'spec.source.name: the snapshot source has no name; set spec.source.name to the name of the VirtualMachine to use',
    ]);
    const pvc = clone(snapshot);
    pvc.spec.source = { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'data' };
    expect(errorLines(validateAs(VirtualMachineSnapshotKind, pvc))).toEqual([
      'spec.source.kind: the snapshot source kind "PersistentVolumeClaim" is not supported; use one of: VirtualMachine',
    ]);
    const group = clone(snapshot);
    group.spec.source.apiGroup = 'kubevirt.io/v1';
    expect(errorLines(validateAs(VirtualMachineSnapshotKind, group))).toEqual([
      'spec.source.apiGroup: the snapshot source apiGroup "kubevirt.io/v1" does not serve kind VirtualMachine; set spec.source.apiGroup to "kubevirt.io"',
    ]);
    const missing = clone(snapshot) as unknown as { spec: Record<string, unknown> };
    delete missing.spec.source;
    expect(errorLines(validateAs(VirtualMachineSnapshotKind, missing))).toEqual([
      expect.stringMatching(
        /^spec\.source: the snapshot source is missing; set spec\.source to \{apiGroup, kind, name\}/,
      ),
    ]);
  });

  it('refuses overlayScratchSize outside External mode', () => {
    const s = clone(snapshot);
    s.spec.overlayScratchSize = '2Gi';
    expect(errorLines(validateAs(VirtualMachineSnapshotKind, s))).toEqual([
      expect.stringMatching(
        /^spec\.overlayScratchSize: overlayScratchSize is only used when snapshotMode is External/,
      ),
    ]);
    s.spec.snapshotMode = 'External';
    expect(validateAs(VirtualMachineSnapshotKind, s)).toEqual([]);
  });

  it('takes failureDeadline as a Go duration, and says how to write one', () => {
    for (const ok of ['5m0s', '90s', '1h', '0s', '1.5m']) {
      const s = clone(snapshot);
      s.spec.failureDeadline = ok;
      expect([ok, validateAs(VirtualMachineSnapshotKind, s)]).toEqual([ok, []]);
    }
    const s = clone(snapshot);
    s.spec.failureDeadline = '5 minutes';
    expect(errorLines(validateAs(VirtualMachineSnapshotKind, s))).toEqual([
      'spec.failureDeadline: failureDeadline "5 minutes" is not a duration; write it as Go does, such as 5m0s, 90s or 1h (0s: no deadline)',
    ]);
  });

  it('publishes KubeVirt names and printer columns', () => {
    const crd = crdFor(VirtualMachineSnapshotKind);
    expect(crd.metadata.name).toBe('virtualmachinesnapshots.snapshot.kubevirt.io');
    expect(crd.spec.names).toMatchObject({ shortNames: ['vmsnapshot', 'vmsnapshots'], categories: ['all'] });
    const v = crdVersion(VirtualMachineSnapshotKind);
    expect(v.subresources).toEqual({ status: {} });
    expect((v.additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'SourceKind',
      'SourceName',
      'Phase',
      'ReadyToUse',
      'CreationTime',
      'Error',
    ]);
  });
});

describe('VirtualMachineSnapshotContent', () => {
  it('accepts content that embeds the VM', () => {
    expect(errorLines(validateAs(VirtualMachineSnapshotContentKind, content))).toEqual([]);
  });

  it('catches an unknown field inside a volume backup', () => {
    const c = clone(content) as unknown as { spec: { volumeBackups: Record<string, unknown>[] } };
    c.spec.volumeBackups[0].snapshotName = 'x';
    expect(validateAs(VirtualMachineSnapshotContentKind, c)).toEqual([
      expect.objectContaining({ path: 'spec.volumeBackups[0].snapshotName', rule: 'schema.unknown-field' }),
    ]);
  });

  it('publishes the embedded VM metadata as an open object, as KubeVirt does', () => {
    const vm = crdProperty(VirtualMachineSnapshotContentKind, 'spec.source.virtualMachine.metadata');
    expect(vm).toMatchObject({
      type: 'object',
      nullable: true,
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(crdFor(VirtualMachineSnapshotContentKind).spec.names).toMatchObject({
      shortNames: ['vmsnapshotcontent', 'vmsnapshotcontents'],
    });
  });
});

describe('VirtualMachineRestore', () => {
  it('accepts a realistic restore', () => {
    expect(validateAs(VirtualMachineRestoreKind, restore)).toEqual([]);
  });

  it('requires the snapshot name and a VirtualMachine target', () => {
    const r = clone(restore);
    r.spec.virtualMachineSnapshotName = '';
    r.spec.target = { apiGroup: 'kubevirt.io', kind: 'VirtualMachineInstance', name: 'web' };
    expect(errorLines(validateAs(VirtualMachineRestoreKind, r))).toEqual([
      'spec.target.kind: the restore target kind "VirtualMachineInstance" is not supported; use one of: VirtualMachine',
      'spec.virtualMachineSnapshotName: the restore names no snapshot; set spec.virtualMachineSnapshotName to a VirtualMachineSnapshot in the same namespace',
    ]);
  });

  it('refuses patches that are not JSON Patch operations', () => {
    const r = clone(restore);
    r.spec.patches = [
      '{"op": "rename", "path": "/metadata/name"}',
      'not json',
      '{"op": "replace", "path": "metadata/name", "value": "x"}',
    ];
    const lines = errorLines(validateAs(VirtualMachineRestoreKind, r));
    expect(lines).toEqual([
      expect.stringMatching(/^spec\.patches\[0\]: patch op "rename" is not a JSON Patch operation/),
      expect.stringMatching(/^spec\.patches\[1\]: patch "not json" is not valid JSON/),
      expect.stringMatching(
        /^spec\.patches\[2\]: patch path "metadata\/name" must be a JSON pointer starting with "\/"/,
      ),
    ]);
  });

  it("keeps patches to the new VM's spec, labels and annotations, with KubeVirt's words", () => {
    const r = clone(restore);
    r.spec.patches = [
      '{"op": "replace", "path": "/spec/runStrategy", "value": "Always"}',
      '{"op": "add", "path": "/metadata/labels/tier", "value": "gold"}',
      '{"op": "remove", "path": "/metadata/annotations/note"}',
      '{"op": "move", "from": "/spec/template/metadata/labels/a", "path": "/spec/template/metadata/labels/b"}',
    ];
    expect(validateAs(VirtualMachineRestoreKind, r)).toEqual([]);
    r.spec.patches = [
      '{"op": "replace", "path": "/metadata/name", "value": "web-copy"}',
      '{"op": "replace", "path": "/spec", "value": {}}',
      '{"op": "move", "from": "/metadata/namespace", "path": "/spec/x"}',
      '["not", "an", "operation"]',
    ];
    expect(validateAs(VirtualMachineRestoreKind, r)).toEqual([
      expect.objectContaining({ path: 'spec.patches[0]', rule: 'restore.patches' }),
      expect.objectContaining({ path: 'spec.patches[1]', rule: 'restore.patches' }),
      expect.objectContaining({ path: 'spec.patches[2]', rule: 'restore.patches' }),
      expect.objectContaining({ path: 'spec.patches[3]', rule: 'restore.patches' }),
    ]);
    expect(errorLines(validateAs(VirtualMachineRestoreKind, r))).toEqual([
      'spec.patches[0]: patching is valid only for elements under /spec/ only: "path": "/metadata/name"; a restore may patch the VM it creates under /spec/..., /metadata/labels/... or /metadata/annotations/... (its name is spec.target.name)',
      'spec.patches[1]: patching is valid only for elements under /spec/ only: "path": "/spec"; a restore may patch the VM it creates under /spec/..., /metadata/labels/... or /metadata/annotations/... (its name is spec.target.name)',
      'spec.patches[2]: patching is valid only for elements under /spec/ only: "from": "/metadata/namespace"; a restore may patch the VM it creates under /spec/..., /metadata/labels/... or /metadata/annotations/... (its name is spec.target.name)',
      'spec.patches[3]: patch "[\\"not\\", \\"an\\", \\"operation\\"]" must be one JSON object with "op" and "path", not a list',
    ]);
  });

  it('wants a volume name and at least one overridden field in each volumeRestoreOverride', () => {
    const r = clone(restore);
    r.spec.volumeRestoreOverrides = [
      { volumeName: 'root', restoreName: 'web-copy-root' },
      { volumeName: 'data', labels: {} },
      { volumeName: 'logs', annotations: { a: 'b' } },
    ];
    expect(validateAs(VirtualMachineRestoreKind, r)).toEqual([]);
    r.spec.volumeRestoreOverrides = [{ restoreName: 'x' }, { volumeName: 'data' }, {}];
    const issues = validateAs(VirtualMachineRestoreKind, r);
    expect(issues.every((i) => i.rule === 'restore.volume-restore-overrides')).toBe(true);
    expect(errorLines(issues)).toEqual([
      'spec.volumeRestoreOverrides[0].volumeName: must provide a volume name; set volumeName to the name of a volume in the snapshot (spec.template.spec.volumes[].name of the VM it was taken from)',
      'spec.volumeRestoreOverrides[1]: must provide at least one overriden field; give volume "data" a restoreName, labels or annotations, or remove the entry',
      'spec.volumeRestoreOverrides[2].volumeName: must provide a volume name; set volumeName to the name of a volume in the snapshot (spec.template.spec.volumes[].name of the VM it was taken from)',
      'spec.volumeRestoreOverrides[2]: must provide at least one overriden field; give this override a restoreName, labels or annotations, or remove the entry',
    ]);
  });

  it('publishes KubeVirt names and printer columns', () => {
    expect(crdFor(VirtualMachineRestoreKind).spec.names).toMatchObject({
      plural: 'virtualmachinerestores',
      shortNames: ['vmrestore', 'vmrestores'],
    });
    expect(
      (crdVersion(VirtualMachineRestoreKind).additionalPrinterColumns as { jsonPath: string }[]).map(
        (c) => c.jsonPath,
      ),
    ).toEqual(['.spec.target.kind', '.spec.target.name', '.status.complete', '.status.restoreTime']);
  });
});

describe('snapshot.kubevirt.io/v1beta1 CRDs', () => {
  it.each(kinds.map((k) => [k.kind, k] as const))('%s documents every property', (_name, def) => {
    expect(undocumentedProperties(def)).toEqual([]);
  });
});
