import { admitRequest } from './admit';
import type { AdmissionReview } from './review';

const dv = (spec: Record<string, unknown>) => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { name: 'disk', namespace: 'team-a' },
  spec: { storage: { resources: { requests: { storage: '1Gi' } } }, ...spec },
});
const review = (object: Record<string, unknown>, extra: Record<string, unknown> = {}): AdmissionReview => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'r1',
    kind: { group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataVolume' },
    operation: 'CREATE',
    namespace: 'team-a',
    userInfo: { username: 'alice' },
    object,
    ...extra,
  },
});
type Answer = {
  response: { uid: string; allowed: boolean; status?: { code: number; reason: string; message: string } };
};

describe('admitRequest', () => {
  const cross = dv({ source: { pvc: { namespace: 'golden', name: 'fedora' } } });

  it('admits a cross-namespace clone the review allows', async () => {
    const a = (await admitRequest(review(cross), new Set(), () => Promise.resolve(true))) as Answer;
    expect(a.response).toEqual({ uid: 'r1', allowed: true });
  });

  it('refuses one it does not, 422 Invalid naming the object and field', async () => {
    const a = (await admitRequest(review(cross), new Set(), () => Promise.resolve(false))) as Answer;
    expect(a.response.allowed).toBe(false);
    expect(a.response.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(a.response.status?.message).toContain(
      'DataVolume team-a/disk is invalid: spec.source.pvc.namespace: User alice has insufficient permissions in clone source namespace golden',
    );
  });

  it('fails closed when the API server cannot be asked', async () => {
    const a = (await admitRequest(review(cross), new Set(), () =>
      Promise.reject(new Error('timeout')),
    )) as Answer;
    expect(a.response).toMatchObject({
      uid: 'r1',
      allowed: false,
      status: {
        code: 500,
        reason: 'InternalError',
        message: 'could not authorize the clone source: timeout',
      },
    });
  });

  it('never asks for what the pure checks refuse already', async () => {
    let asked = false;
    const bad = dv({ source: { pvc: { namespace: 'golden', name: 'fedora' } }, storage: undefined });
    const a = (await admitRequest(
      review(bad),
      new Set(),
      () => ((asked = true), Promise.resolve(true)),
    )) as Answer;
    expect(a.response.allowed).toBe(false);
    expect(asked).toBe(false);
  });

  it("refuses a change of a DataVolume's spec with CDI's words, and admits a metadata-only update", async () => {
    const old = dv({ source: { blank: {} } });
    const changed = (await admitRequest(
      review(dv({ source: { pvc: { namespace: 'golden', name: 'fedora' } } }), {
        operation: 'UPDATE',
        oldObject: old,
      }),
      new Set(),
      () => Promise.resolve(true),
    )) as Answer;
    expect(changed.response.status?.message).toContain('spec: Cannot update DataVolume Spec');
    const labelled = (await admitRequest(
      review(
        { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } },
        { operation: 'UPDATE', oldObject: old },
      ),
      new Set(),
      () => Promise.resolve(false),
    )) as Answer;
    expect(labelled.response.allowed).toBe(true);
  });
});
