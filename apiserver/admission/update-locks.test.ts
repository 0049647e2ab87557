import { admit, type AdmissionReview, type AdmissionRequest } from './review';
import { updateLockCauses } from './update-locks';

const volumes = [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } }];
const spec = (extra: Record<string, unknown> = {}, vols: unknown[] = volumes): Record<string, unknown> => ({
  runStrategy: 'Halted',
  template: {
    spec: {
      domain: { memory: { guest: '1Gi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
      volumes: vols,
    },
  },
  ...extra,
});
const vm = (s: Record<string, unknown>, status: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'web', namespace: 'prod' },
  spec: s,
  status,
});
const update = (object: unknown, oldObject: unknown, kind = 'VirtualMachine'): AdmissionRequest => ({
  uid: 'u-1',
  operation: 'UPDATE',
  kind: { group: kind === 'VirtualMachine' ? 'kubevirt.io' : 'snapshot.kubevirt.io', version: 'v1', kind },
  namespace: 'prod',
  object: object as Record<string, unknown>,
  oldObject: oldObject as Record<string, unknown>,
});
const snapshotting = { snapshotInProgress: 'nightly' };
const restoring = { restoreInProgress: 'rollback' };

describe('a VM whose snapshot is in progress', () => {
  it("refuses a change of its volumes, with KubeVirt's sentence and the fix", () => {
    const old = vm(spec(), snapshotting);
    const added = vm(
      spec({}, [...volumes, { name: 'data', persistentVolumeClaim: { claimName: 'd' } }]),
      snapshotting,
    );
    expect(updateLockCauses(update(added, old))).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec',
        message:
          'Cannot update vm disks or volumes until snapshot "nightly" completes; VirtualMachine prod/web changes spec.template.spec.volumes while the snapshot copies them: wait for VirtualMachineSnapshot prod/nightly to finish (status.snapshotInProgress is cleared then) or delete it, then apply the change again',
      },
    ]);
  });

  it('refuses a change of its running state (runStrategy, running, or one written as the other)', () => {
    const old = vm(spec(), snapshotting);
    expect(updateLockCauses(update(vm(spec({ runStrategy: 'Always' }), snapshotting), old))).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec',
        message:
          'Cannot update vm running state until snapshot "nightly" completes; VirtualMachine prod/web changes spec.runStrategy "Halted" to spec.runStrategy "Always": wait for VirtualMachineSnapshot prod/nightly to finish (status.snapshotInProgress is cleared then) or delete it, then apply the change again',
      },
    ]);
    const running = vm({ ...spec(), runStrategy: undefined, running: true }, snapshotting);
    const stopped = vm({ ...spec(), runStrategy: undefined, running: false }, snapshotting);
    expect(updateLockCauses(update(stopped, running))[0]?.message).toMatch(
      /^Cannot update vm running state until snapshot "nightly" completes; VirtualMachine prod\/web changes spec.running true to spec.running false:/,
    );
    // KubeVirt compares running with running and runStrategy with runStrategy: a switch of field is a change.
    const asStrategy = vm(spec({ runStrategy: 'Always' }), snapshotting);
    expect(updateLockCauses(update(asStrategy, running))[0]?.message).toMatch(
      /changes spec.running true to spec.runStrategy "Always":/,
    );
  });

  it('admits any other change, and anything once the snapshot is done', () => {
    const old = vm(spec(), snapshotting);
    const relabelled = vm(
      spec({ template: { ...(spec().template as object), metadata: { labels: { a: 'b' } } } }),
      snapshotting,
    );
    expect(updateLockCauses(update(relabelled, old))).toEqual([]);
    expect(updateLockCauses(update(vm(spec({ runStrategy: 'Always' })), vm(spec())))).toEqual([]);
  });
});

describe('a VM whose restore is in progress', () => {
  it("refuses an update that would start it, with KubeVirt's sentence and the fix", () => {
    const old = vm(spec(), restoring);
    expect(updateLockCauses(update(vm(spec({ runStrategy: 'Always' }), restoring), old))).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec',
        message:
          'Cannot start VM until restore "rollback" completes; VirtualMachine prod/web changes spec.runStrategy "Halted" to spec.runStrategy "Always" (run strategy Halted to Always) while VirtualMachineRestore prod/rollback rewrites its volumes: wait for the restore to complete (status.complete: true; status.restoreInProgress is cleared then) or delete it, then start the VM',
      },
    ]);
    const stopped = vm({ ...spec(), runStrategy: undefined, running: false }, restoring);
    const started = vm({ ...spec(), runStrategy: undefined, running: true }, restoring);
    expect(updateLockCauses(update(started, stopped))[0]?.message).toMatch(
      /^Cannot start VM until restore "rollback" completes; .* \(run strategy Halted to Always\)/,
    );
    expect(updateLockCauses(update(vm(spec({ runStrategy: 'Manual' }), restoring), old))).toHaveLength(1);
  });

  it("admits the restore's own rewrite of a stopped VM's spec, a stop, and labels", () => {
    // The restore controller replaces the volumes and keeps the run strategy (KubeVirt does too).
    const manual = vm(spec({ runStrategy: 'Manual' }), restoring);
    const rewritten = vm(
      spec({ runStrategy: 'Manual' }, [{ name: 'root', persistentVolumeClaim: { claimName: 'restored' } }]),
      restoring,
    );
    expect(updateLockCauses(update(rewritten, manual))).toEqual([]);
    const halted = vm(spec(), restoring);
    expect(updateLockCauses(update(vm(spec({}, []), restoring), halted))).toEqual([]);
    // Stopping is always allowed.
    expect(
      updateLockCauses(update(vm(spec(), restoring), vm(spec({ runStrategy: 'Always' }), restoring))),
    ).toEqual([]);
  });
});

describe('a VirtualMachineRestore', () => {
  const restore = (target: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineRestore',
    metadata: { name: 'rollback', namespace: 'prod' },
    spec: {
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: target },
      virtualMachineSnapshotName: 'nightly',
      ...extra,
    },
  });

  it('refuses any change of its spec, naming what changed', () => {
    expect(
      updateLockCauses(
        update(restore('db', { volumeRestorePolicy: 'InPlace' }), restore('web'), 'VirtualMachineRestore'),
      ),
    ).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec',
        message:
          'spec is immutable after creation; this update of VirtualMachineRestore prod/rollback changes spec.target, spec.volumeRestorePolicy: to restore differently, create a new VirtualMachineRestore (delete this one first if it is not complete)',
      },
    ]);
  });

  it('admits an update that leaves the spec alone', () => {
    const withStatus = { ...restore('web'), status: { complete: true } };
    expect(updateLockCauses(update(withStatus, restore('web'), 'VirtualMachineRestore'))).toEqual([]);
  });
});

describe('the webhook answer', () => {
  const answer = (request: AdmissionRequest) =>
    (
      admit({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request } as AdmissionReview) as {
        response: {
          allowed: boolean;
          status?: { code: number; message: string; details?: { causes: unknown[] } };
        };
      }
    ).response;

  it('is a 422 naming the VM, the field and the lock', () => {
    const r = answer(update(vm(spec({ runStrategy: 'Always' }), restoring), vm(spec(), restoring)));
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(422);
    expect(r.status?.message).toMatch(
      /^VirtualMachine prod\/web is invalid: spec: Cannot start VM until restore "rollback" completes; /,
    );
  });

  it('lists the locks and the validation problems together', () => {
    const r = answer(update(vm(spec({ runStrategy: 'Sometimes' }), snapshotting), vm(spec(), snapshotting)));
    expect(r.status?.details?.causes).toEqual([
      expect.objectContaining({
        field: 'spec',
        message: expect.stringMatching(/^Cannot update vm running state/),
      }),
      expect.objectContaining({ field: 'spec.runStrategy' }),
    ]);
  });

  it('admits an update that changes nothing locked', () => {
    expect(answer(update(vm(spec({ runStrategy: 'Always' })), vm(spec()))).allowed).toBe(true);
  });
});
