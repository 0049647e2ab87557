/**
 * KubeVirt's live migrations, the controller's side, against the real control plane: the
 * controller (ControllerManager, under its own identity and RBAC) reconciles
 * VirtualMachineInstanceMigrations while this suite plays everybody else, as the contract in
 * docs/controller.md ("Live migration") has them: kube-scheduler (it binds pods to two registered
 * nodes), kubelet (pod phases), and the source and target nodes' handlers (the VMI's status and
 * its `migrationState` fields, written by JSON merge patch as they write them).
 *
 * - a migration that goes through: the target pod (KubeVirt's label and annotation, the
 *   anti-affinity that keeps it off the VMI's node, addedNodeSelector), every phase from Pending to
 *   Succeeded, the hand-off and the hand-over (nodeName, activePods, labels, the source pod
 *   deleted), a VMI that never ends while its source pod does;
 * - a target pod deleted mid-way: Failed, and the VMI's migrationState says why;
 * - a migration deleted mid-way: abortRequested for the source handler, the finalizer held until
 *   it reports the abort;
 * - a VMI that is not live-migratable: Failed, quoting the condition's reason and message;
 * - evacuation: a VMI marked with status.evacuationNodeName (as the pod-eviction admission marks
 *   it) gets a `kubevirt-evacuation-*` migration when its eviction strategy is LiveMigrate, none
 *   with evictionStrategy None; both launcher pods get the descheduler's eviction-in-progress hint,
 *   and the evacuation migration's hand-over to the other node clears the mark.
 *
 * Launchers and QEMU are the end-to-end suites' part; no handler runs here.
 */
import { randomBytes } from 'crypto';
import {
  EVENTS,
  NODES,
  PODS,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  VIRTUAL_MACHINE_INSTANCES,
  type KubeClient,
} from '../../kube';
import type { Json } from './support/api';
import { startControllerSuite, type ControllerSuite } from './support/controller-suite';

const id = randomBytes(3).toString('hex');
const NS = `vm-migrations-${id}`;
const NODE_A = `it-migrate-a-${id}`;
const NODE_B = `it-migrate-b-${id}`;
const RACK_LABEL = 'virtkit.io/it-rack';
/** No scheduler serves this name: the suite binds pods itself, as kube-scheduler would. */
const SCHEDULER = 'virtkit-it-by-hand';

type Condition = { type: string; status: string; reason?: string; message?: string };
type MigrationState = Record<string, unknown> & {
  migrationUid?: string;
  sourceNode?: string;
  sourcePod?: string;
  targetNode?: string;
  targetPod?: string;
  failed?: boolean;
  completed?: boolean;
  failureReason?: string;
  abortRequested?: boolean;
  migrationConfiguration?: Record<string, unknown>;
};
type Obj = Json & {
  metadata: Json & {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec?: Json & { nodeName?: string; nodeSelector?: Record<string, string>; affinity?: Json };
  status?: Json & {
    phase?: string;
    nodeName?: string;
    activePods?: Record<string, string>;
    conditions?: Condition[];
    migrationState?: MigrationState;
    phaseTransitionTimestamps?: { phase: string }[];
  };
};

let suite: ControllerSuite;
let admin: KubeClient;
const wait = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> =>
  suite.wait(what, probe, timeoutMs);

const getVmi = (name: string): Promise<Obj> => admin.get<Obj>(VIRTUAL_MACHINE_INSTANCES, NS, name);
const getMigration = (name: string): Promise<Obj | undefined> =>
  admin.getIfExists<Obj>(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, NS, name);
const condition = (o: Obj | undefined, type: string): Condition | undefined =>
  o?.status?.conditions?.find((c) => c.type === type);

/** The migration once it is in `phase`. */
const inPhase = (name: string, phase: string): Promise<Obj> =>
  wait(`VirtualMachineInstanceMigration ${name} to be ${phase}`, async () => {
    const m = await getMigration(name);
    if (m?.status?.phase === 'Failed' && phase !== 'Failed')
      throw new Error(`it failed: ${JSON.stringify(condition(m, 'Failure'))}`);
    return m?.status?.phase === phase ? m : undefined;
  });

/** kube-scheduler's part: bind a pod to a node. */
async function bind(pod: string, node: string): Promise<void> {
  await admin.createSubresource(PODS, NS, pod, 'binding', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: pod, namespace: NS },
    target: { apiVersion: 'v1', kind: 'Node', name: node },
  });
}

/** kubelet's part: the pod's phase (and address). */
async function podPhase(pod: string, phase: string, podIP?: string): Promise<void> {
  await admin.mergePatch(
    PODS,
    NS,
    pod,
    { status: { phase, ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}) } },
    {
      subresource: 'status',
    },
  );
}

/** A handler's part: fields of the VMI's status.migrationState, by JSON merge patch. */
async function handlerWrites(vmi: string, migrationState: Record<string, unknown>): Promise<void> {
  await admin.mergePatch(
    VIRTUAL_MACHINE_INSTANCES,
    NS,
    vmi,
    { status: { migrationState } },
    { subresource: 'status' },
  );
}

const stamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A VMI running on node A as the VMI controller and a node's handler leave it: its launcher pod
 * (made by the controller) bound to node A and Running, the VMI Running with the conditions the
 * handler reports.
 */
async function runningVmi(
  name: string,
  liveMigratable: Condition,
  spec: Json = {},
): Promise<{ vmi: Obj; sourcePod: Obj }> {
  await admin.create(VIRTUAL_MACHINE_INSTANCES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      ...spec,
      schedulerName: SCHEDULER,
      // Registered nodes without a kubelet get tainted: the pods stay regardless.
      tolerations: [{ operator: 'Exists' }],
      terminationGracePeriodSeconds: 0,
      domain: { memory: { guest: '64Mi' }, devices: {} },
    },
  });
  const vmi = await wait(`VMI ${name} to be created`, () =>
    admin.getIfExists<Obj>(VIRTUAL_MACHINE_INSTANCES, NS, name),
  );
  const [pod] = await wait(`the launcher pod of VMI ${name}`, async () => {
    const pods = await admin.list<Obj>(PODS, NS, {
      labelSelector: `kubevirt.io/created-by=${vmi.metadata.uid}`,
    });
    return pods.items.length ? pods.items : undefined;
  });
  await bind(pod.metadata.name, NODE_A);
  await podPhase(pod.metadata.name, 'Running', '10.244.1.10');
  await wait(`VMI ${name} to be Scheduled on ${NODE_A}`, async () => {
    const v = await getVmi(name);
    return v.status?.phase === 'Scheduled' && v.status.nodeName === NODE_A ? v : undefined;
  });
  await admin.mergePatch(
    VIRTUAL_MACHINE_INSTANCES,
    NS,
    name,
    {
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }, liveMigratable],
      },
    },
    { subresource: 'status' },
  );
  return { vmi: await getVmi(name), sourcePod: await admin.get<Obj>(PODS, NS, pod.metadata.name) };
}

const migratable: Condition = { type: 'LiveMigratable', status: 'True' };

async function migrate(name: string, vmi: string, spec: Json = {}): Promise<Obj> {
  return admin.create<Obj>(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { name, namespace: NS },
    spec: { vmiName: vmi, ...spec },
  });
}

const targetPodOf = (migration: Obj): Promise<Obj> =>
  wait(`the target pod of ${migration.metadata.name}`, async () => {
    const pods = await admin.list<Obj>(PODS, NS, {
      labelSelector: `kubevirt.io/migrationJobUID=${migration.metadata.uid}`,
    });
    return pods.items[0];
  });

/** The migration brought to Running: target pod bound to node B and running, both handlers' first fields. */
async function migrateToRunning(name: string, vmi: string): Promise<{ migration: Obj; target: Obj }> {
  const migration = await migrate(name, vmi);
  const target = await targetPodOf(migration);
  await bind(target.metadata.name, NODE_B);
  await podPhase(target.metadata.name, 'Running', '10.244.2.20');
  await inPhase(name, 'PreparingTarget');
  await handlerWrites(vmi, { targetNodeAddress: '10.244.2.20' });
  await inPhase(name, 'TargetReady');
  await handlerWrites(vmi, { startTimestamp: stamp(), mode: 'PreCopy' });
  return { migration: await inPhase(name, 'Running'), target };
}

async function eventsOf(name: string): Promise<{ reason: string; message: string }[]> {
  const events = await admin.list<Json>(EVENTS, NS, { fieldSelector: `involvedObject.name=${name}` });
  return events.items.map((e) => ({ reason: String(e.reason), message: String(e.message) }));
}

beforeAll(async () => {
  suite = await startControllerSuite({ namespace: NS, id, nodeName: NODE_A });
  ({ admin } = suite);
  for (const [node, rack] of [
    [NODE_A, 'a'],
    [NODE_B, 'b'],
  ])
    await admin.create(NODES, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node,
        labels: { 'kubernetes.io/hostname': node, 'kubevirt.io/schedulable': 'true', [RACK_LABEL]: rack },
      },
    });
}, 240_000);

afterAll(async () => {
  if (!suite) return;
  // No kubelet confirms terminations here: pods are removed the way it would, so the VMIs go.
  for (const m of (await admin.list<Obj>(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, NS)).items)
    await admin.delete(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, NS, m.metadata.name).catch(() => undefined);
  for (const v of (await admin.list<Obj>(VIRTUAL_MACHINE_INSTANCES, NS)).items)
    await admin.delete(VIRTUAL_MACHINE_INSTANCES, NS, v.metadata.name).catch(() => undefined);
  await wait("the suite's VMIs to go", async () => {
    for (const p of (await admin.list<Obj>(PODS, NS)).items)
      await admin.delete(PODS, NS, p.metadata.name, { gracePeriodSeconds: 0 }).catch(() => undefined);
    return (await admin.list(VIRTUAL_MACHINE_INSTANCES, NS)).items.length ? undefined : true;
  }).catch(() => undefined);
  await suite.stop([VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, VIRTUAL_MACHINE_INSTANCES]);
  for (const node of [NODE_A, NODE_B]) await admin.delete(NODES, undefined, node).catch(() => undefined);
});

describe('a live migration that goes through', () => {
  let vmiUid = '';
  let source: Obj;
  let target: Obj;
  let migration: Obj;

  test("the target pod: KubeVirt's label and annotation, never on the VMI's node, addedNodeSelector", async () => {
    const started = await runningVmi('mover', migratable);
    vmiUid = started.vmi.metadata.uid;
    source = started.sourcePod;
    migration = await migrate('move-1', 'mover', { addedNodeSelector: { [RACK_LABEL]: 'b' } });
    target = await targetPodOf(migration);
    expect(target.metadata.name).not.toBe(source.metadata.name);
    expect(target.metadata.labels).toMatchObject({
      'kubevirt.io': 'virt-launcher',
      'kubevirt.io/created-by': vmiUid,
      'kubevirt.io/migrationJobUID': migration.metadata.uid,
    });
    expect(target.metadata.annotations).toMatchObject({ 'kubevirt.io/migrationJobName': 'move-1' });
    expect(target.spec?.nodeSelector).toEqual({ [RACK_LABEL]: 'b', 'kubevirt.io/schedulable': 'true' });
    expect(target.spec?.affinity).toEqual({
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { 'kubevirt.io/created-by': vmiUid } },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    });
    const scheduling = await inPhase('move-1', 'Scheduling');
    expect(scheduling.metadata.finalizers).toEqual(['kubevirt.io/migrationJobFinalize']);
    expect(scheduling.metadata.labels).toMatchObject({ 'kubevirt.io/vmi-name': 'mover' });
    // The target pod is not the VMI's: it stays on node A, with its own pod.
    const vmi = await getVmi('mover');
    expect(vmi.status).toMatchObject({ phase: 'Running', nodeName: NODE_A });
    expect(Object.keys(vmi.status?.activePods ?? {})).toEqual([source.metadata.uid]);
  });

  test('bound and running: the hand-off writes the migration state; the handlers move it to Running', async () => {
    await bind(target.metadata.name, NODE_B);
    await inPhase('move-1', 'Scheduled');
    await podPhase(target.metadata.name, 'Running', '10.244.2.20');
    const preparing = await inPhase('move-1', 'PreparingTarget');
    const vmi = await getVmi('mover');
    expect(vmi.status?.migrationState).toMatchObject({
      migrationUid: migration.metadata.uid,
      sourceNode: NODE_A,
      sourcePod: source.metadata.name,
      targetNode: NODE_B,
      targetPod: target.metadata.name,
      migrationConfiguration: {
        parallelMigrationsPerCluster: 5,
        parallelOutboundMigrationsPerNode: 2,
        completionTimeoutPerGiB: 150,
        progressTimeout: 150,
        bandwidthPerMigration: '0Mi',
        allowPostCopy: false,
        allowAutoConverge: false,
      },
    });
    expect(vmi.metadata.labels).toMatchObject({ 'kubevirt.io/migrationTargetNodeName': NODE_B });
    expect(vmi.status?.nodeName).toBe(NODE_A);
    expect(preparing.status?.migrationState).toMatchObject({
      migrationUid: migration.metadata.uid,
      targetNode: NODE_B,
    });

    await handlerWrites('mover', { targetNodeAddress: '10.244.2.20' });
    await inPhase('move-1', 'TargetReady');
    await handlerWrites('mover', { startTimestamp: stamp(), mode: 'PreCopy' });
    await inPhase('move-1', 'Running');
  });

  test('completed and seen on the target: the VMI is handed over to node B and the migration Succeeded', async () => {
    // The source handler reports completion and its launcher exits: the source pod Succeeded.
    await handlerWrites('mover', { completed: true, endTimestamp: stamp() });
    await podPhase(source.metadata.name, 'Succeeded');
    // Still Running (the target node has not seen the guest), mirroring the VMI's state once the
    // controller's round after the handler's write has run.
    const waiting = await wait('move-1 to mirror completed', async () => {
      const m = await inPhase('move-1', 'Running');
      return m.status?.migrationState?.completed ? m : undefined;
    });
    expect(waiting.status?.phase).toBe('Running');
    // The guest runs in the target pod now: the source pod's end is not the VMI's, though the VMI
    // is not handed over yet (the VMI controller reconciles on the pod's update; give it time).
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await getVmi('mover')).status).toMatchObject({ phase: 'Running', nodeName: NODE_A });
    // The target handler sees the guest run there.
    await handlerWrites('mover', { targetNodeDomainDetected: true, targetNodeDomainReadyTimestamp: stamp() });
    const done = await inPhase('move-1', 'Succeeded');
    expect(done.status?.phaseTransitionTimestamps?.map((t) => t.phase)).toEqual([
      'Pending',
      'Scheduling',
      'Scheduled',
      'PreparingTarget',
      'TargetReady',
      'Running',
      'Succeeded',
    ]);
    expect(done.status?.migrationState).toMatchObject({ completed: true, targetNodeDomainDetected: true });
    await wait('the finalizer to go', async () =>
      (await getMigration('move-1'))?.metadata.finalizers?.length ? undefined : true,
    );

    const vmi = await getVmi('mover');
    expect(vmi.status).toMatchObject({
      phase: 'Running',
      nodeName: NODE_B,
      activePods: { [target.metadata.uid]: NODE_B },
    });
    expect(vmi.status?.activePods).not.toHaveProperty(source.metadata.uid);
    expect(vmi.metadata.labels?.['kubevirt.io/nodeName']).toBe(NODE_B);
    expect(vmi.metadata.labels).not.toHaveProperty('kubevirt.io/migrationTargetNodeName');
    // The source pod the guest left is deleted (no kubelet here confirms it: it is removed as one would).
    await wait('the source pod to be deleted', async () => {
      const p = await admin.getIfExists<Obj>(PODS, NS, source.metadata.name);
      return !p || p.metadata.deletionTimestamp ? true : undefined;
    });
    await admin.delete(PODS, NS, source.metadata.name, { gracePeriodSeconds: 0 }).catch(() => undefined);

    expect((await eventsOf('move-1')).map((e) => e.reason)).toEqual(
      expect.arrayContaining(['SuccessfulCreate', 'SuccessfulHandOver', 'SuccessfulMigration']),
    );
    expect(await eventsOf('mover')).toEqual(
      expect.arrayContaining([
        { reason: 'Migrated', message: `The VirtualMachineInstance migrated to node ${NODE_B}.` },
      ]),
    );
  });

  test("with the source pod gone, the target pod is the VMI's: it never ended, it runs on node B", async () => {
    await wait('the source pod to be gone', async () =>
      (await admin.getIfExists(PODS, NS, source.metadata.name)) ? undefined : true,
    );
    // The VMI controller reconciles the VMI on the pod's deletion; give that round time to run.
    await new Promise((r) => setTimeout(r, 2_000));
    const vmi = await getVmi('mover');
    expect(vmi.status).toMatchObject({ phase: 'Running', nodeName: NODE_B });
    const phases = vmi.status?.phaseTransitionTimestamps?.map((t) => t.phase);
    expect(phases).not.toContain('Succeeded');
    expect(phases).not.toContain('Failed');
  });
});

test('a target pod deleted mid-way: the migration Failed, and the VMI says why', async () => {
  await runningVmi('lost-target', migratable);
  const { target } = await migrateToRunning('move-2', 'lost-target');
  // Without a kubelet, the deletion is confirmed at once, as kubelet would once the pod stopped.
  await admin.delete(PODS, NS, target.metadata.name, { gracePeriodSeconds: 0 });
  const failed = await inPhase('move-2', 'Failed');
  // Seen as being deleted or as gone, whichever the watch shows first: the same failure.
  expect(condition(failed, 'Failure')).toMatchObject({
    status: 'True',
    reason: 'TargetPodVanished',
    message: expect.stringContaining(
      `the target pod ${target.metadata.name} of the migration of VMI ${NS}/lost-target was deleted before the migration completed; the VMI stays on node ${NODE_A}`,
    ),
  });
  const vmi = await getVmi('lost-target');
  expect(vmi.status?.migrationState).toMatchObject({
    failed: true,
    failureReason: `Target pod is down: target pod ${target.metadata.name} was deleted`,
  });
  expect(vmi.status).toMatchObject({ phase: 'Running', nodeName: NODE_A });
  expect(failed.status?.migrationState?.failed).toBe(true);
  await wait('the finalizer to go', async () =>
    (await getMigration('move-2'))?.metadata.finalizers?.length ? undefined : true,
  );
  expect(await eventsOf('move-2')).toEqual(
    expect.arrayContaining([
      { reason: 'FailedMigration', message: 'Migration target pod was removed during active migration.' },
    ]),
  );
});

test('a migration deleted mid-way: abortRequested, the finalizer held until the source reports the abort', async () => {
  await runningVmi('aborted', migratable);
  const { target } = await migrateToRunning('move-3', 'aborted');
  await admin.delete(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, NS, 'move-3');
  await wait('abortRequested on the VMI', async () => {
    const v = await getVmi('aborted');
    return v.status?.migrationState?.abortRequested === true ? v : undefined;
  });
  const held = await getMigration('move-3');
  expect(held?.metadata.deletionTimestamp).toBeDefined();
  expect(held?.metadata.finalizers).toEqual(['kubevirt.io/migrationJobFinalize']);
  expect(condition(held, 'migrationAbortRequested')).toMatchObject({ status: 'True' });
  expect(held?.status?.phase).toBe('Running');

  // The source handler cancels the migration and says so.
  await handlerWrites('aborted', {
    abortStatus: 'Succeeded',
    failed: true,
    failureReason: 'Live migration aborted',
    endTimestamp: stamp(),
  });
  await wait('the aborted migration to go', async () => ((await getMigration('move-3')) ? undefined : true));
  await wait('its target pod to be deleted', async () => {
    const p = await admin.getIfExists<Obj>(PODS, NS, target.metadata.name);
    return !p || p.metadata.deletionTimestamp ? true : undefined;
  });
  expect((await getVmi('aborted')).status).toMatchObject({ phase: 'Running', nodeName: NODE_A });
});

test("a VMI that is not live-migratable: Failed, quoting the condition's reason and message", async () => {
  await runningVmi('pinned', {
    type: 'LiveMigratable',
    status: 'False',
    reason: 'DisksNotLiveMigratable',
    message:
      'cannot migrate VMI: PVC root is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
  });
  const m = await migrate('move-4', 'pinned');
  const failed = await inPhase('move-4', 'Failed');
  expect(condition(failed, 'Failure')).toEqual(
    expect.objectContaining({
      status: 'True',
      reason: 'VMINotLiveMigratable',
      message: `VMI ${NS}/pinned is not live-migratable: Cannot migrate VMI, Reason: DisksNotLiveMigratable, Message: cannot migrate VMI: PVC root is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)`,
    }),
  );
  expect(failed.metadata.finalizers ?? []).toEqual([]);
  const targets = await admin.list(PODS, NS, {
    labelSelector: `kubevirt.io/migrationJobUID=${m.metadata.uid}`,
  });
  expect(targets.items).toEqual([]);
  expect((await getVmi('pinned')).status?.migrationState).toBeUndefined();
});

describe('evacuation: a VMI marked for evacuation (status.evacuationNodeName)', () => {
  const EVICTION_IN_PROGRESS = 'descheduler.alpha.kubernetes.io/eviction-in-progress';
  /** What the pod-eviction admission writes when `kubectl drain` evicts the VMI's launcher pod. */
  const markForEvacuation = (vmi: string, node: string): Promise<unknown> =>
    admin.mergePatch(
      VIRTUAL_MACHINE_INSTANCES,
      NS,
      vmi,
      { status: { evacuationNodeName: node } },
      { subresource: 'status' },
    );
  const migrationsOf = async (vmi: string): Promise<Obj[]> =>
    (await admin.list<Obj>(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, NS)).items.filter(
      (m) => (m.spec as { vmiName?: string } | undefined)?.vmiName === vmi,
    );
  const hinted = (pod: Obj): Promise<Obj> =>
    wait(`the eviction-in-progress hint on pod ${pod.metadata.name}`, async () => {
      const p = await admin.get<Obj>(PODS, NS, pod.metadata.name);
      return p.metadata.annotations?.[EVICTION_IN_PROGRESS] === 'kubevirt' ? p : undefined;
    });

  test('evictionStrategy None: no migration, though the pod carries the hint', async () => {
    const { sourcePod } = await runningVmi('stays', migratable, { evictionStrategy: 'None' });
    await markForEvacuation('stays', NODE_A);
    // The hint proves the evacuation controller has seen the mark.
    await hinted(sourcePod);
    expect(await migrationsOf('stays')).toEqual([]);
  });

  test('evictionStrategy LiveMigrate: a kubevirt-evacuation-* migration off the node; its hand-over clears the mark', async () => {
    const { sourcePod } = await runningVmi('evacuee', migratable, { evictionStrategy: 'LiveMigrate' });
    await markForEvacuation('evacuee', NODE_A);
    const [m] = await wait('the evacuation migration of VMI evacuee', async () => {
      const found = await migrationsOf('evacuee');
      return found.length ? found : undefined;
    });
    expect(m.metadata.name).toMatch(/^kubevirt-evacuation-[a-z0-9]+$/);
    expect(m.metadata.annotations).toMatchObject({ 'kubevirt.io/evacuationMigration': NODE_A });
    expect(m.metadata.labels).toMatchObject({ 'kubevirt.io/vmi-name': 'evacuee' });
    // The migration controller makes its target pod, off node A as for any migration.
    const target = await targetPodOf(m);
    expect(target.spec?.affinity).toMatchObject({ podAntiAffinity: expect.anything() });
    await hinted(sourcePod);
    // One migration only: the controller does not make a second while the first is at work.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await migrationsOf('evacuee')).map((x) => x.metadata.name)).toEqual([m.metadata.name]);
    expect(await eventsOf('evacuee')).toEqual(
      expect.arrayContaining([
        { reason: 'SuccessfulCreate', message: `Created Migration ${m.metadata.name}` },
      ]),
    );
    // The target pod is a migration's: it never carries the hint.
    const t = await admin.get<Obj>(PODS, NS, target.metadata.name);
    expect(t.metadata.annotations ?? {}).not.toHaveProperty(EVICTION_IN_PROGRESS);

    // Carried through as the scheduler, kubelet and handlers would: the hand-over ends the evacuation.
    await bind(target.metadata.name, NODE_B);
    await podPhase(target.metadata.name, 'Running', '10.244.2.30');
    await inPhase(m.metadata.name, 'PreparingTarget');
    await handlerWrites('evacuee', { targetNodeAddress: '10.244.2.30' });
    await handlerWrites('evacuee', { startTimestamp: stamp(), mode: 'PreCopy' });
    await inPhase(m.metadata.name, 'Running');
    await handlerWrites('evacuee', {
      completed: true,
      endTimestamp: stamp(),
      targetNodeDomainDetected: true,
      targetNodeDomainReadyTimestamp: stamp(),
    });
    await inPhase(m.metadata.name, 'Succeeded');
    const moved = await getVmi('evacuee');
    expect(moved.status).toMatchObject({ nodeName: NODE_B });
    expect(moved.status).not.toHaveProperty('evacuationNodeName');
    // No mark, no further migration.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await migrationsOf('evacuee')).map((x) => x.metadata.name)).toEqual([m.metadata.name]);
  });
});
