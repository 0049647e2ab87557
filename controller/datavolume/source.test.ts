import type { DataSource } from '../../api/cdi/v1beta1';
import { dataVolume, httpSpec } from './fixtures.test-helper';
import { crossNamespaceRefusal, resolveSource } from './source';

const none = () => undefined;
const ds = (source: DataSource['spec']['source']): DataSource => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataSource',
  metadata: { name: 'fedora', namespace: 'images' },
  spec: { source },
});

describe('resolveSource', () => {
  test('imports and clones', () => {
    expect(resolveSource(dataVolume(httpSpec()), none)).toEqual({ type: 'import', kind: 'http' });
    expect(resolveSource(dataVolume({ source: { blank: {} } }), none)).toEqual({
      type: 'import',
      kind: 'blank',
    });
    expect(resolveSource(dataVolume({ source: { registry: { url: 'docker://r/i' } } }), none)).toEqual({
      type: 'import',
      kind: 'registry',
    });
    expect(resolveSource(dataVolume({ source: { pvc: { namespace: 'ns', name: 'g' } } }), none)).toEqual({
      type: 'clone',
      namespace: 'ns',
      name: 'g',
    });
  });

  test('upload waits for an upload; snapshot and the other importers are refused as not supported yet', () => {
    expect(resolveSource(dataVolume({ source: { upload: {} } }), none)).toEqual({ type: 'upload' });
    for (const s of [{ s3: { url: 'x' } }, { snapshot: { namespace: 'a', name: 'b' } }])
      expect(resolveSource(dataVolume({ source: s }), none)).toMatchObject({
        type: 'blocked',
        reason: 'NotSupported',
      });
  });

  test('sourceRef: a DataSource pvc becomes a clone; a missing one waits, named; a snapshot one is refused', () => {
    const dv = dataVolume({
      sourceRef: { kind: 'DataSource', name: 'fedora', namespace: 'images' },
      storage: {},
    });
    expect(
      resolveSource(dv, (k) =>
        k === 'images/fedora' ? ds({ pvc: { namespace: 'images', name: 'fedora-pvc' } }) : undefined,
      ),
    ).toEqual({
      type: 'clone',
      namespace: 'images',
      name: 'fedora-pvc',
      via: 'images/fedora',
    });
    const missing = resolveSource(dv, none);
    expect(missing).toMatchObject({
      type: 'blocked',
      reason: 'CloneWithoutSource',
      waitsFor: 'images/fedora',
    });
    expect(missing.type === 'blocked' && missing.message).toMatch(
      /^The source DataSource images\/fedora doesn't exist/,
    );
    expect(resolveSource(dv, () => ds({ snapshot: { namespace: 'images', name: 's' } }))).toMatchObject({
      reason: 'NotSupported',
    });
    // The namespace defaults to the DataVolume's.
    const local = dataVolume({ sourceRef: { kind: 'DataSource', name: 'fedora' } });
    expect(resolveSource(local, none)).toMatchObject({ waitsFor: 'ns/fedora' });
  });

  test('a claim named directly may be in any namespace (admission authorized it)', () => {
    const dv = dataVolume({ source: { pvc: { namespace: 'other', name: 'g' } } });
    expect(crossNamespaceRefusal(dv, { namespace: 'other', name: 'g' })).toBeUndefined();
    expect(crossNamespaceRefusal(dv, { namespace: 'ns', name: 'g' })).toBeUndefined();
  });

  test("through a DataSource, only from a claim in the DataSource's own namespace", () => {
    const dv = dataVolume({ sourceRef: { kind: 'DataSource', namespace: 'images', name: 'fedora' } });
    expect(
      crossNamespaceRefusal(dv, { namespace: 'images', name: 'f40', via: 'images/fedora' }),
    ).toBeUndefined();
    const r = crossNamespaceRefusal(dv, { namespace: 'secrets', name: 'db', via: 'images/fedora' });
    expect(r).toMatchObject({ type: 'blocked', reason: 'ErrClaimNotValid' });
    expect(r?.type === 'blocked' && r.message).toContain(
      'DataSource images/fedora points at PersistentVolumeClaim secrets/db in another namespace than its own',
    );
    // A DataSource in the DataVolume's namespace may not reach into a third one either...
    const local = dataVolume({ sourceRef: { kind: 'DataSource', name: 'fedora' } });
    expect(
      crossNamespaceRefusal(local, { namespace: 'secrets', name: 'db', via: 'ns/fedora' }),
    ).toMatchObject({
      type: 'blocked',
    });
    // ...but may point at the DataVolume's own namespace from anywhere.
    expect(crossNamespaceRefusal(dv, { namespace: 'ns', name: 'own', via: 'images/fedora' })).toBeUndefined();
  });
});
