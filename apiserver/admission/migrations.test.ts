import { admitRequest } from './admit';
import { migrationCreateCauses, migrationLabelCauses, type MigrationLookup } from './migrations';
import { admit, type AdmissionRequest, type AdmissionReview } from './review';

type Json = Record<string, unknown>;

const migration = (name: string, vmiName: string | undefined, extra: Json = {}): Json => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstanceMigration',
  metadata: { name, namespace: 'prod', uid: `uid-${name}` },
  spec: vmiName === undefined ? {} : { vmiName },
  ...extra,
});
const vmi = (status: Json): Json => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'web', namespace: 'prod', uid: 'vmi-uid' },
  spec: { domain: { devices: {} } },
  status,
});
const migratable = (status: 'True' | 'False', reason?: string, message?: string): Json => ({
  type: 'LiveMigratable',
  status,
  ...(reason ? { reason, message } : {}),
});
const RUNNING = vmi({ phase: 'Running', nodeName: 'node-a', conditions: [migratable('True')] });

const create = (object: Json): AdmissionRequest => ({
  uid: 'u-1',
  operation: 'CREATE',
  kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstanceMigration' },
  namespace: 'prod',
  name: String((object.metadata as Json).name),
  object,
});

/** An in-memory cluster: the VMIs and migrations of namespace prod, and what was asked. */
function cluster(vmis: Json[], migrations: Json[] = []) {
  const asked: string[] = [];
  const lookup: MigrationLookup = {
    vmi: (ns, name) => {
      asked.push(`vmi ${ns}/${name}`);
      return Promise.resolve(
        ns === 'prod' ? vmis.find((v) => (v.metadata as Json).name === name) : undefined,
      );
    },
    migrations: (ns) => {
      asked.push(`migrations ${ns}`);
      return Promise.resolve(ns === 'prod' ? migrations : []);
    },
  };
  return { lookup, asked };
}

const messageOf = async (object: Json, vmis: Json[], migrations: Json[] = []): Promise<string[]> =>
  (await migrationCreateCauses(create(object), cluster(vmis, migrations).lookup)).map((c) => c.message);

describe('creating a migration', () => {
  it('admits one of a Running, migratable VMI with no other migration in flight', async () => {
    const { lookup, asked } = cluster(
      [RUNNING],
      [
        migration('done', 'web', { status: { phase: 'Succeeded' } }),
        migration('broke', 'web', { status: { phase: 'Failed' } }),
        migration('other-vmi', 'db', { status: { phase: 'Running' } }),
        migration('mig-1', 'web'), // the object itself, as a list may already show it
      ],
    );
    expect(await migrationCreateCauses(create(migration('mig-1', 'web')), lookup)).toEqual([]);
    expect(asked).toEqual(['vmi prod/web', 'migrations prod']);
  });

  it("refuses one whose VMI does not exist, in KubeVirt's words, on spec.vmiName", async () => {
    expect(await migrationCreateCauses(create(migration('mig-1', 'web')), cluster([]).lookup)).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.vmiName',
        message:
          'the VMI "prod/web" does not exist; a migration moves a running VMI: start its VM (virtkit start web) or fix spec.vmiName, then create the migration again',
      },
    ]);
  });

  it('refuses one without a vmiName, or with a name no VMI can have, without asking the cluster', async () => {
    const { lookup, asked } = cluster([RUNNING]);
    expect((await migrationCreateCauses(create(migration('m', undefined)), lookup))[0].message).toBe(
      'vmiName is missing; name the VMI to migrate (in the namespace of the migration)',
    );
    const [bad] = await migrationCreateCauses(create(migration('m', 'Web\nforged line')), lookup);
    expect(bad.message).toMatch(/^the VMI "prod\/Web\\nforged line" does not exist; spec.vmiName must be/);
    expect(asked).toEqual([]);
  });

  it('refuses an addedNodeSelector no node label can match, with every problem, next to the VMI check', async () => {
    const m = migration('m', 'web', {
      spec: {
        vmiName: 'web',
        addedNodeSelector: { 'zone/a/b': 'x', ok: 'not ok!', 'kubernetes.io/hostname': 'n1' },
      },
    });
    const causes = await migrationCreateCauses(create(m), cluster([]).lookup);
    expect(causes.map((c) => c.field)).toEqual([
      'spec.addedNodeSelector',
      'spec.addedNodeSelector',
      'spec.vmiName',
    ]);
    expect(causes[0].message).toMatch(
      /^key "zone\/a\/b" is not a label key: must be a name with an optional/,
    );
    expect(causes[1].message).toMatch(/^the value "not ok!" of "ok" is not a label value: must be empty or/);
    expect(causes[2].message).toMatch(/^the VMI "prod\/web" does not exist; /);
    const fine = migration('m', 'web', { spec: { vmiName: 'web', addedNodeSelector: { zone: 'b' } } });
    expect(await migrationCreateCauses(create(fine), cluster([RUNNING]).lookup)).toEqual([]);
  });

  it('refuses one of a VMI that has ended, or is not Running yet', async () => {
    expect(await messageOf(migration('m', 'web'), [vmi({ phase: 'Succeeded' })])).toEqual([
      'Cannot migrate VMI in finalized state. VMI prod/web is Succeeded: start its VM again, then migrate the new VMI',
    ]);
    expect(await messageOf(migration('m', 'web'), [vmi({ phase: 'Scheduling' })])).toEqual([
      'Cannot migrate VMI that is not running; VMI prod/web is in phase Scheduling: create the migration once its status.phase is Running',
    ]);
    expect(await messageOf(migration('m', 'web'), [vmi({})])).toEqual([
      'Cannot migrate VMI that is not running; VMI prod/web is in phase (none yet): create the migration once its status.phase is Running',
    ]);
  });

  it('refuses one of a VMI that is not LiveMigratable, quoting the condition', async () => {
    const stuck = vmi({
      phase: 'Running',
      conditions: [
        migratable(
          'False',
          'DisksNotLiveMigratable',
          'cannot migrate VMI: PVC data is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
        ),
      ],
    });
    expect(await messageOf(migration('m', 'web'), [stuck])).toEqual([
      'Cannot migrate VMI, Reason: DisksNotLiveMigratable, Message: cannot migrate VMI: PVC data is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
    ]);
    // No condition yet is not a refusal (KubeVirt refuses only False).
    expect(await messageOf(migration('m', 'web'), [vmi({ phase: 'Running' })])).toEqual([]);
  });

  it('refuses a second migration while another of the VMI has not ended (no status yet counts)', async () => {
    for (const status of [{ status: { phase: 'Running' } }, {}]) {
      expect(
        await messageOf(migration('second', 'web'), [RUNNING], [migration('first', 'web', status)]),
      ).toEqual([
        `in-flight migration detected. Active migration job (uid-first) is currently already in progress for VMI web. VirtualMachineInstanceMigration prod/first is ${
          'status' in status ? 'Running' : 'Pending'
        }: wait for it to end (Succeeded or Failed) or cancel it (virtkit migrate-cancel web), then create this migration again`,
      ]);
    }
  });

  it("refuses one while the VMI's migrationState is neither completed nor failed", async () => {
    const moving = vmi({
      phase: 'Running',
      conditions: [migratable('True')],
      migrationState: { migrationUid: 'uid-gone', sourceNode: 'node-a' },
    });
    expect(await messageOf(migration('m', 'web'), [moving])).toEqual([
      'in-flight migration detected. Active migration job (uid-gone) is currently already in progress for VMI web. The status.migrationState of VMI prod/web has neither completed nor failed: wait for that migration to end, then create this one again',
    ]);
    for (const ended of [{ completed: true }, { failed: true }]) {
      const after = vmi({
        phase: 'Running',
        migrationState: { migrationUid: 'uid-old', ...ended },
      });
      expect(await messageOf(migration('m', 'web'), [after])).toEqual([]);
    }
  });

  it('judges only the creation of a VirtualMachineInstanceMigration', async () => {
    const { lookup, asked } = cluster([]);
    await migrationCreateCauses({ ...create(migration('m', 'web')), operation: 'UPDATE' }, lookup);
    await migrationCreateCauses(
      {
        ...create(migration('m', 'web')),
        kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' },
      },
      lookup,
    );
    expect(asked).toEqual([]);
  });
});

describe('updating a migration', () => {
  const update = (object: Json, oldObject: Json): AdmissionRequest => ({
    ...create(object),
    operation: 'UPDATE',
    oldObject,
  });
  const labelled = (labels: Json | undefined, phase?: string): Json => {
    const m = migration('m', 'web', phase ? { status: { phase } } : {});
    return { ...m, metadata: { ...(m.metadata as Json), ...(labels ? { labels } : {}) } };
  };

  it("keeps KubeVirt's selector label on an in-flight migration", () => {
    const before = labelled({ 'kubevirt.io/vmi-name': 'web' }, 'Running');
    expect(migrationLabelCauses(update(labelled(undefined, 'Running'), before))).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'metadata.labels[kubevirt.io/vmi-name]',
        message:
          "selector label can't be removed from an in-flight migration; VirtualMachineInstanceMigration prod/m moves VMI web and keeps kubevirt.io/vmi-name=web until it ends",
      },
    ]);
    expect(
      migrationLabelCauses(update(labelled({ 'kubevirt.io/vmi-name': 'db' }, 'Running'), before))[0].message,
    ).toMatch(/^selector label can't be modified on an in-flight migration; /);
    // Other labels may change; an ended migration may lose it; one that never had it may get one.
    expect(
      migrationLabelCauses(update(labelled({ 'kubevirt.io/vmi-name': 'web', team: 'a' }, 'Running'), before)),
    ).toEqual([]);
    expect(migrationLabelCauses(update(labelled(undefined, 'Succeeded'), before))).toEqual([]);
    expect(
      migrationLabelCauses(update(labelled({ 'kubevirt.io/vmi-name': 'x' }), labelled(undefined))),
    ).toEqual([]);
  });

  it("refuses any change of the spec, in KubeVirt's words, through the webhook's pure answer", () => {
    const before = migration('m', 'web');
    const after = migration('m', 'web', { spec: { vmiName: 'web', addedNodeSelector: { zone: 'b' } } });
    const answer = admit({ request: update(after, before) }) as {
      response: { allowed: boolean; status?: { code: number; details?: { causes: unknown[] } } };
    };
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status?.code).toBe(422);
    expect(answer.response.status?.details?.causes).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec',
        message:
          "update of Migration object's spec is restricted; this update of VirtualMachineInstanceMigration prod/m changes spec.addedNodeSelector: to migrate differently, delete this migration (which cancels it if it has not ended) and create a new one",
      },
    ]);
  });
});

describe('admitRequest with the migration rules', () => {
  const review = (request: AdmissionRequest): AdmissionReview => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request,
  });
  type Answer = {
    response: { allowed: boolean; status?: { code: number; reason: string; message: string } };
  };
  const allow = (): Promise<boolean> => Promise.resolve(true);
  const run = async (request: AdmissionRequest, lookup?: MigrationLookup): Promise<Answer> =>
    (await admitRequest(review(request), new Set(), allow, undefined, undefined, lookup)) as Answer;

  it('refuses 422 naming the migration, the field and the migration in flight', async () => {
    const a = await run(
      create(migration('second', 'web')),
      cluster([RUNNING], [migration('first', 'web')]).lookup,
    );
    expect(a.response.allowed).toBe(false);
    expect(a.response.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(a.response.status?.message).toMatch(
      /^VirtualMachineInstanceMigration prod\/second is invalid: spec.vmiName: in-flight migration detected\. /,
    );
  });

  it('admits a migration the rules allow', async () => {
    expect((await run(create(migration('m', 'web')), cluster([RUNNING]).lookup)).response.allowed).toBe(true);
  });

  it('refuses the removal of the selector label of an in-flight migration even without a lookup', async () => {
    const before = migration('m', 'web', { status: { phase: 'Running' } });
    (before.metadata as Json).labels = { 'kubevirt.io/vmi-name': 'web' };
    const after = migration('m', 'web', { status: { phase: 'Running' } });
    const a = await run({ ...create(after), operation: 'UPDATE', oldObject: before });
    expect(a.response).toMatchObject({ allowed: false, status: { code: 422 } });
  });

  it('fails closed when the VMI or the migrations cannot be read', async () => {
    const broken: MigrationLookup = {
      vmi: () => Promise.reject(new Error('virtualmachineinstances "web" is forbidden')),
      migrations: () => Promise.resolve([]),
    };
    const a = await run(create(migration('m', 'web')), broken);
    expect(a.response).toEqual({
      uid: 'u-1',
      allowed: false,
      status: {
        code: 500,
        reason: 'InternalError',
        message:
          'could not read the VMI and the VirtualMachineInstanceMigrations of namespace prod to check the migration: virtualmachineinstances "web" is forbidden',
      },
    });
  });
});
