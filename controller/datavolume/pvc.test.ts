import { requiredSpace } from '../../api/cdi/size';
import { Ann } from './cdi-names';
import { claimOf, dataVolume, httpSpec } from './fixtures.test-helper';
import { claimOwnership, renderClaim } from './pvc';

const GiB = 1024 ** 3;
const local = { metadata: { name: 'local' }, volumeBindingMode: 'WaitForFirstConsumer' };

describe('renderClaim', () => {
  test('storage form: CDI defaults and the filesystem overhead, rounded up as CDI does', () => {
    const dv = dataVolume(httpSpec(), { labels: { team: 'a' }, annotations: { note: 'x' } });
    const r = renderClaim({
      dv,
      source: { type: 'import', kind: 'http' },
      storageClass: local,
      overhead: 0.055,
    });
    if (!r.ok) throw new Error(r.message);
    // ceil(1 GiB / 0.945) = 1136234735 (1 GiB is already 1 MiB-aligned).
    expect(r.claim.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      storageClassName: 'local',
      resources: { requests: { storage: '1136234735' } },
    });
    expect(requiredSpace(0.055, GiB)).toBe(1136234735);
    expect(r.claim.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataVolume',
        name: 'disk',
        uid: 'dv-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(r.claim.metadata?.labels).toEqual({
      team: 'a',
      app: 'containerized-data-importer',
      'app.kubernetes.io/component': 'storage',
      'app.kubernetes.io/managed-by': 'cdi-controller',
    });
    expect(r.claim.metadata?.annotations).toMatchObject({
      note: 'x',
      [Ann.source]: 'http',
      [Ann.endpoint]: 'https://example.test/disk.qcow2',
      [Ann.contentType]: 'kubevirt',
      [Ann.importPod]: 'importer-disk',
      [Ann.podRestarts]: '0',
    });
  });

  test('an unaligned size is aligned to 1 MiB before the overhead', () => {
    const dv = dataVolume(httpSpec({ storage: { resources: { requests: { storage: '1000000' } } } }));
    const r = renderClaim({ dv, source: { type: 'import', kind: 'http' }, overhead: 0.055 });
    if (!r.ok) throw new Error(r.message);
    expect(r.claim.spec?.resources?.requests?.storage).toBe(String(Math.ceil(1048576 / 0.945)));
    expect(r.claim.spec?.storageClassName).toBeUndefined();
  });

  test('pvc form is taken as written; Block in the storage form gets no overhead', () => {
    const pvc = {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'fast',
    };
    const dv = dataVolume({ source: { blank: {} }, pvc });
    const r = renderClaim({ dv, source: { type: 'import', kind: 'blank' }, overhead: 0.055 });
    expect(r.ok && r.claim.spec).toEqual(pvc);
    expect(r.ok && r.claim.metadata?.annotations?.[Ann.source]).toBe('none');
    const block = dataVolume({
      source: { blank: {} },
      storage: {
        volumeMode: 'Block',
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: '2Gi' } },
      },
    });
    const b = renderClaim({ dv: block, source: { type: 'import', kind: 'blank' }, overhead: 0.055 });
    expect(b.ok && b.claim.spec?.resources?.requests?.storage).toBe('2Gi');
    expect(b.ok && b.claim.spec?.accessModes).toEqual(['ReadWriteMany']);
  });

  test('a clone may leave the size out: the source claim size is used as is', () => {
    const dv = dataVolume({ source: { pvc: { namespace: 'ns', name: 'golden' } }, storage: {} });
    const sourceClaim = { spec: { resources: { requests: { storage: '3Gi' } } } };
    const r = renderClaim({
      dv,
      source: { type: 'clone', namespace: 'ns', name: 'golden' },
      sourceClaim,
      overhead: 0.055,
    });
    expect(r.ok && r.claim.spec?.resources?.requests?.storage).toBe('3Gi');
    expect(r.ok && r.claim.metadata?.annotations?.['k8s.io/CloneRequest']).toBe('ns/golden');
  });

  test('a missing or bad size is refused with the field and the fix', () => {
    const noSize = renderClaim({
      dv: dataVolume(httpSpec({ storage: {} })),
      source: { type: 'import', kind: 'http' },
      overhead: 0.055,
    });
    expect(noSize).toMatchObject({ ok: false, reason: 'ErrClaimNotValid' });
    expect(!noSize.ok && noSize.message).toMatch(
      /ns\/disk: spec.storage.resources.requests.storage is missing.*10Gi/,
    );
    const bad = renderClaim({
      dv: dataVolume(httpSpec({ storage: { resources: { requests: { storage: 'lots' } } } })),
      source: { type: 'import', kind: 'http' },
      overhead: 0.055,
    });
    expect(!bad.ok && bad.message).toMatch(/"lots" is not a positive size/);
    const neither = renderClaim({
      dv: dataVolume({ source: { blank: {} } }),
      source: { type: 'import', kind: 'blank' },
      overhead: 0.055,
    });
    expect(!neither.ok && neither.message).toMatch(/neither spec.pvc nor spec.storage/);
  });

  test('registry annotations; kubectl last-applied is not copied', () => {
    const dv = dataVolume(
      {
        source: { registry: { url: 'docker://reg.test/disk:1', secretRef: 's', certConfigMap: 'c' } },
        storage: { resources: { requests: { storage: '1Gi' } } },
      },
      { annotations: { [Ann.lastApplied]: '{}' } },
    );
    const r = renderClaim({ dv, source: { type: 'import', kind: 'registry' }, overhead: 0.055 });
    const a = r.ok ? (r.claim.metadata?.annotations ?? {}) : {};
    expect(a).toMatchObject({
      [Ann.source]: 'registry',
      [Ann.endpoint]: 'docker://reg.test/disk:1',
      [Ann.secret]: 's',
      [Ann.certConfigMap]: 'c',
      [Ann.registryImportMethod]: 'pod',
    });
    expect(a[Ann.lastApplied]).toBeUndefined();
  });
});

describe('claimOwnership', () => {
  const dv = dataVolume(httpSpec());
  test('ours by controller UID; adopted with populatedFor and no controller; otherwise refused untouched', () => {
    expect(claimOwnership(dv, claimOf(dv, 'Bound'))).toEqual({ use: 'ours' });
    const users = { metadata: { name: 'disk', annotations: {} } };
    const refused = claimOwnership(dv, users);
    expect(refused).toMatchObject({ use: 'refuse', reason: 'ErrResourceExists' });
    expect(refused.use === 'refuse' && refused.message).toMatch(
      /^Resource "disk" already exists and is not managed by DataVolume; .*storage.populatedFor: disk/,
    );
    expect(
      claimOwnership(dv, { metadata: { name: 'disk', annotations: { [Ann.populatedFor]: 'disk' } } }),
    ).toEqual({ use: 'adopt' });
    expect(
      claimOwnership(dv, { metadata: { name: 'disk', deletionTimestamp: '2024-01-01T00:00:00Z' } }),
    ).toMatchObject({ use: 'refuse', reason: 'ErrResourceMarkedForDeletion' });
  });
});
