import { admitRequest } from './admit';
import { restoreInProgressCauses, type RestoreLookup } from './restores-in-progress';
import type { AdmissionRequest, AdmissionReview } from './review';

const restore = (
  name: string,
  target: string,
  status?: Record<string, unknown>,
  kind = 'VirtualMachine',
): Record<string, unknown> => ({
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineRestore',
  metadata: { name, namespace: 'prod' },
  spec: { target: { apiGroup: 'kubevirt.io', kind, name: target }, virtualMachineSnapshotName: 'nightly' },
  ...(status ? { status } : {}),
});
const create = (object: Record<string, unknown>): AdmissionRequest => ({
  uid: 'u-1',
  operation: 'CREATE',
  kind: { group: 'snapshot.kubevirt.io', version: 'v1beta1', kind: 'VirtualMachineRestore' },
  namespace: 'prod',
  name: 'second',
  object,
});
const cluster =
  (...restores: Record<string, unknown>[]): RestoreLookup =>
  (ns) =>
    Promise.resolve(ns === 'prod' ? restores : []);

describe('one restore at a time per target', () => {
  it("refuses a restore of a target whose restore is not complete, with KubeVirt's sentence and the fix", async () => {
    const causes = await restoreInProgressCauses(
      create(restore('second', 'web')),
      cluster(restore('first', 'web', { complete: false })),
    );
    expect(causes).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.target',
        message:
          'VirtualMachineRestore "first" in progress; it restores the same target (VirtualMachine prod/web) and is not complete (status.complete is not true): wait for prod/first to complete, or delete it, then create this restore again',
      },
    ]);
    // No status at all is not complete either.
    expect(
      await restoreInProgressCauses(create(restore('second', 'web')), cluster(restore('first', 'web'))),
    ).toHaveLength(1);
  });

  it('admits one when the others are complete, of another target, or the same object', async () => {
    const lookup = cluster(
      restore('done', 'web', { complete: true }),
      restore('other', 'db'),
      restore('second', 'web'),
    );
    expect(await restoreInProgressCauses(create(restore('second', 'web')), lookup)).toEqual([]);
  });

  it('judges only the creation of a VirtualMachineRestore', async () => {
    let asked = false;
    const lookup: RestoreLookup = () => ((asked = true), Promise.resolve([restore('first', 'web')]));
    await restoreInProgressCauses({ ...create(restore('second', 'web')), operation: 'UPDATE' }, lookup);
    await restoreInProgressCauses(
      {
        ...create(restore('second', 'web')),
        kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' },
      },
      lookup,
    );
    expect(asked).toBe(false);
  });
});

describe('admitRequest with the restores', () => {
  const review = (object: Record<string, unknown>): AdmissionReview => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: create(object),
  });
  type Answer = {
    response: { allowed: boolean; status?: { code: number; reason: string; message: string } };
  };
  const allow = (): Promise<boolean> => Promise.resolve(true);

  it('refuses 422 naming the restore, the field and the one in progress', async () => {
    const a = (await admitRequest(
      review(restore('second', 'web')),
      new Set(),
      allow,
      undefined,
      cluster(restore('first', 'web')),
    )) as Answer;
    expect(a.response.allowed).toBe(false);
    expect(a.response.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(a.response.status?.message).toMatch(
      /^VirtualMachineRestore prod\/second is invalid: spec.target: VirtualMachineRestore "first" in progress; /,
    );
  });

  it('admits one with no restore in progress', async () => {
    const a = (await admitRequest(
      review(restore('second', 'web')),
      new Set(),
      allow,
      undefined,
      cluster(),
    )) as Answer;
    expect(a.response.allowed).toBe(true);
  });

  it('fails closed when the restores cannot be listed', async () => {
    const a = (await admitRequest(review(restore('second', 'web')), new Set(), allow, undefined, () =>
      Promise.reject(new Error('forbidden')),
    )) as Answer;
    expect(a.response).toMatchObject({
      allowed: false,
      status: {
        code: 500,
        reason: 'InternalError',
        message:
          'could not list the VirtualMachineRestores of namespace prod to check for one in progress: forbidden',
      },
    });
  });
});
