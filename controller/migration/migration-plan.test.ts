import type {
  VirtualMachineInstance,
  VirtualMachineInstanceMigration,
  VirtualMachineInstanceMigrationState,
} from '../../api/kubevirt/v1';
import {
  clusterMigrationConfiguration,
  effectiveMigrationConfiguration,
} from '../../api/migrations/v1alpha1/effective';
import type { LauncherPod } from '../vmi/phase';
import { decideMigration, type MigrationDecision, type MigrationInputs } from './migration-plan';

const NOW = new Date('2025-03-01T12:00:00Z');
const EARLIER = '2025-03-01T11:59:00Z';
const SOURCE_POD = 'virt-launcher-web-srcxx';
const TARGET_POD = 'virt-launcher-web-tgtxx';

type Phase = NonNullable<VirtualMachineInstanceMigration['status']>['phase'];

function migration(phase?: Phase, extra: Partial<VirtualMachineInstanceMigration['metadata']> = {}) {
  const m: VirtualMachineInstanceMigration = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      name: 'move-web',
      namespace: 'ns',
      uid: 'mig-uid',
      creationTimestamp: EARLIER,
      resourceVersion: '7',
      finalizers: ['kubevirt.io/migrationJobFinalize'],
      labels: { 'kubevirt.io/vmi-name': 'web' },
      ...extra,
    },
    spec: { vmiName: 'web' },
    ...(phase
      ? { status: { phase, phaseTransitionTimestamps: [{ phase, phaseTransitionTimestamp: EARLIER }] } }
      : {}),
  };
  return m;
}

function vmi(state?: VirtualMachineInstanceMigrationState, phase = 'Running'): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: 'vmi-uid',
      labels: { app: 'web', 'kubevirt.io/nodeName': 'node-a' },
    },
    spec: { domain: { devices: {} } },
    status: {
      phase: phase as 'Running',
      nodeName: 'node-a',
      activePods: { 'source-uid': 'node-a' },
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'LiveMigratable', status: 'True' },
      ],
      ...(state ? { migrationState: state } : {}),
    },
  };
}

function sourcePod(phase = 'Running'): LauncherPod {
  return {
    metadata: { name: SOURCE_POD, uid: 'source-uid', creationTimestamp: '2025-03-01T10:00:00Z', labels: {} },
    spec: { nodeName: 'node-a' },
    status: { phase },
  };
}

function targetPod(
  o: { phase?: string; node?: string; created?: string; unschedulable?: boolean; deleting?: boolean } = {},
): LauncherPod {
  return {
    metadata: {
      name: TARGET_POD,
      namespace: 'ns',
      uid: 'target-uid',
      creationTimestamp: o.created ?? EARLIER,
      labels: { 'kubevirt.io/migrationJobUID': 'mig-uid' },
      ...(o.deleting ? { deletionTimestamp: NOW.toISOString() } : {}),
    },
    spec: o.node ? { nodeName: o.node } : {},
    status: {
      phase: o.phase ?? 'Pending',
      conditions: o.unschedulable
        ? [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available',
            },
          ]
        : [],
    },
  };
}

/** The migration state the controller writes at the hand-off. */
const handedOff: VirtualMachineInstanceMigrationState = {
  migrationUid: 'mig-uid',
  sourceNode: 'node-a',
  sourcePod: SOURCE_POD,
  targetNode: 'node-b',
  targetPod: TARGET_POD,
};

function inputs(o: Partial<MigrationInputs> & Pick<MigrationInputs, 'migration'>): MigrationInputs {
  const v = 'vmi' in o ? o.vmi : vmi();
  return {
    pods: [sourcePod()],
    migrations: [o.migration],
    vmiNamed: () => v,
    hasTargetPod: () => false,
    cluster: clusterMigrationConfiguration([]).configuration,
    now: NOW,
    ...o,
    ...(v ? { vmi: v } : {}),
  };
}

const failure = (d: MigrationDecision) => d.status.conditions?.find((c) => c.type === 'Failure');
const reasons = (d: MigrationDecision, on: 'migration' | 'vmi' = 'migration') =>
  d.events.filter((e) => e.on === on).map((e) => e.event.reason);
const phases = (d: MigrationDecision) => d.status.phaseTransitionTimestamps?.map((t) => t.phase);

describe('a new migration', () => {
  test('gets its finalizer and KubeVirt label, is Pending, and makes its target pod: Scheduling', () => {
    const fresh = migration(undefined, { finalizers: undefined, labels: undefined });
    const d = decideMigration(inputs({ migration: fresh }));
    expect(d).toMatchObject({ addFinalizer: true, selectorLabel: 'web', createTargetPod: true });
    expect(phases(d)).toEqual(['Pending', 'Scheduling']);
    expect(d.vmiStatus).toBeUndefined();
    expect(failure(d)).toBeUndefined();
  });

  test('while its new target pod is not in the cache, nothing is made twice and nothing fails', () => {
    for (const phase of [undefined, 'Pending', 'Scheduling'] as const) {
      const d = decideMigration(inputs({ migration: migration(phase), podCreationExpected: true }));
      expect(d.createTargetPod).toBeUndefined();
      expect(d.status.phase).not.toBe('Failed');
    }
  });

  test("waits for the VMI's other launcher pods to go (a terminating earlier target, say)", () => {
    const leftover: LauncherPod = { ...targetPod({ node: 'node-c', phase: 'Running', deleting: true }) };
    leftover.metadata = {
      ...leftover.metadata,
      name: 'old-target',
      labels: { 'kubevirt.io/migrationJobUID': 'old' },
    };
    const d = decideMigration(inputs({ migration: migration('Pending'), pods: [sourcePod(), leftover] }));
    expect(d.createTargetPod).toBeUndefined();
    expect(d.waiting).toContain('old-target');
    expect(d.requeueAfterMs).toBe(1000);
  });
});

describe('refusals end the migration Failed, saying why and naming the VMI', () => {
  test('the VMI does not exist', () => {
    const d = decideMigration(inputs({ migration: migration(), vmi: undefined }));
    expect(d.status.phase).toBe('Failed');
    expect(failure(d)).toMatchObject({
      status: 'True',
      reason: 'VMINotFound',
      message: 'VMI ns/web does not exist; create it, or correct spec.vmiName',
    });
    expect(d.events).toEqual([
      {
        on: 'migration',
        event: {
          type: 'Warning',
          reason: 'FailedMigration',
          message: 'Migration failed because vmi does not exist.',
        },
      },
    ]);
    // Nothing is held for a migration that is over.
    expect(d.addFinalizer).toBeUndefined();
    expect(d.removeFinalizer).toBe(true);
    expect(d.createTargetPod).toBeUndefined();
  });

  test('the VMI is not Running', () => {
    const d = decideMigration(inputs({ migration: migration(), vmi: vmi(undefined, 'Scheduled') }));
    expect(failure(d)).toMatchObject({
      reason: 'VMINotRunning',
      message: expect.stringContaining('VMI ns/web is Scheduled, not Running'),
    });
  });

  test("the VMI is not live-migratable: the condition's reason and message are quoted", () => {
    const v = vmi();
    v.status!.conditions = [
      {
        type: 'LiveMigratable',
        status: 'False',
        reason: 'DisksNotLiveMigratable',
        message:
          'cannot migrate VMI: PVC root is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
      },
    ];
    const d = decideMigration(inputs({ migration: migration('Pending'), vmi: v }));
    expect(failure(d)).toMatchObject({
      reason: 'VMINotLiveMigratable',
      message:
        'VMI ns/web is not live-migratable: Cannot migrate VMI, Reason: DisksNotLiveMigratable, Message: cannot migrate VMI: PVC root is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
    });
    expect(d.createTargetPod).toBeUndefined();
  });

  test('another migration of the same VMI is in flight: an older one, or the one the VMI carries', () => {
    const older = migration('Scheduling', {
      name: 'first',
      uid: 'first-uid',
      creationTimestamp: '2025-03-01T11:00:00Z',
    });
    const mine = migration();
    const d = decideMigration(inputs({ migration: mine, migrations: [older, mine] }));
    expect(failure(d)).toMatchObject({
      reason: 'MigrationInProgress',
      message: expect.stringContaining(
        'VMI ns/web is being migrated already by VirtualMachineInstanceMigration ns/first (uid first-uid)',
      ),
    });
    expect(reasons(d)).toEqual(['FailedMigration']);
    // Once the older one is over, this one may go.
    const done = { ...older, status: { phase: 'Succeeded' as const } };
    expect(decideMigration(inputs({ migration: mine, migrations: [done, mine] })).createTargetPod).toBe(true);
    // A younger migration of the VMI does not hold back an older one.
    const younger = migration('Pending', {
      name: 'later',
      uid: 'later-uid',
      creationTimestamp: NOW.toISOString(),
    });
    expect(decideMigration(inputs({ migration: mine, migrations: [mine, younger] })).createTargetPod).toBe(
      true,
    );
    // The VMI carries the hand-off of a newer migration that is still at work.
    const running = migration('Running', {
      name: 'busy',
      uid: 'busy-uid',
      creationTimestamp: NOW.toISOString(),
    });
    const v = vmi({ ...handedOff, migrationUid: 'busy-uid' });
    expect(
      failure(decideMigration(inputs({ migration: mine, vmi: v, migrations: [mine, running] })))?.reason,
    ).toBe('MigrationInProgress');
  });

  test('a spec admission would refuse, and a decentralized migration', () => {
    const bad = migration();
    bad.spec.addedNodeSelector = { 'bad key!': 'x' };
    expect(failure(decideMigration(inputs({ migration: bad })))).toMatchObject({
      reason: 'InvalidSpec',
      message: expect.stringContaining('spec.addedNodeSelector["bad key!"]: label key "bad key!" is invalid'),
    });
    const problems = decideMigration(
      inputs({ migration: migration(), specProblems: ['spec.priority: not one of ...'] }),
    );
    expect(failure(problems)?.message).toContain('spec.priority: not one of ...');
    const remote = migration();
    remote.spec.sendTo = { migrationID: 'x', connectURL: 'https://other' };
    expect(failure(decideMigration(inputs({ migration: remote })))).toMatchObject({
      reason: 'NotSupported',
      message: expect.stringContaining('spec.sendTo asks for a decentralized migration'),
    });
  });
});

describe('parallel migration limits', () => {
  /** Another VMI's migration. */
  const other = (n: number, phase: Phase = 'Running'): VirtualMachineInstanceMigration => ({
    ...migration(phase, { name: `other-${n}`, uid: `other-${n}`, labels: {} }),
    spec: { vmiName: `vm${n}` },
  });
  const onNode = (node: string) => {
    const v = vmi();
    v.status!.nodeName = node;
    return v;
  };

  test('parallelMigrationsPerCluster (5 by default): beyond it the migration stays Pending', () => {
    const others = [1, 2, 3, 4, 5].map((n) => other(n));
    const mine = migration('Pending');
    const d = decideMigration(
      inputs({ migration: mine, migrations: [...others, mine], vmiNamed: () => onNode('node-z') }),
    );
    expect(d.status.phase).toBe('Pending');
    expect(d.createTargetPod).toBeUndefined();
    expect(d.waiting).toBe(
      '5 migrations are running in the cluster, its limit (parallelMigrationsPerCluster) is 5',
    );
    expect(d.requeueAfterMs).toBe(5000);
    // A Pending migration holds a slot once it has its target pod; final ones hold none.
    const mixed = [...others.slice(0, 3), other(6, 'Pending'), other(7, 'Failed'), other(8, 'Succeeded')];
    const withTarget = decideMigration(
      inputs({
        migration: mine,
        migrations: [...mixed, mine],
        vmiNamed: () => onNode('node-z'),
        hasTargetPod: (o) => o.metadata?.name === 'other-6',
      }),
    );
    expect(withTarget.createTargetPod).toBe(true);
    // The KubeVirt object raises the limit.
    const raised = clusterMigrationConfiguration([
      {
        metadata: { name: 'kubevirt', namespace: 'kubevirt' },
        spec: { configuration: { migrations: { parallelMigrationsPerCluster: 6 } } },
      },
    ]).configuration;
    expect(
      decideMigration(
        inputs({
          migration: mine,
          migrations: [...others, mine],
          vmiNamed: () => onNode('node-z'),
          cluster: raised,
        }),
      ).createTargetPod,
    ).toBe(true);
  });

  test("parallelOutboundMigrationsPerNode (2 by default) counts migrations leaving the VMI's node", () => {
    const others = [1, 2].map((n) => other(n));
    const mine = migration('Pending');
    const leaving = decideMigration(
      inputs({ migration: mine, migrations: [...others, mine], vmiNamed: () => onNode('node-a') }),
    );
    expect(leaving.createTargetPod).toBeUndefined();
    expect(leaving.waiting).toBe(
      '2 migrations are leaving node node-a, its limit (parallelOutboundMigrationsPerNode) is 2',
    );
    const elsewhere = decideMigration(
      inputs({ migration: mine, migrations: [...others, mine], vmiNamed: () => onNode('node-b') }),
    );
    expect(elsewhere.createTargetPod).toBe(true);
  });
});

describe('from the target pod to the hand-off', () => {
  test('bound: Scheduled; running: the hand-off asks for the effective settings first', () => {
    const bound = decideMigration(
      inputs({ migration: migration('Scheduling'), pods: [sourcePod(), targetPod({ node: 'node-b' })] }),
    );
    expect(bound.status.phase).toBe('Scheduled');
    expect(bound.vmiStatus).toBeUndefined();
    const running = decideMigration(
      inputs({
        migration: migration('Scheduled'),
        pods: [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })],
      }),
    );
    expect(running.needsConfiguration).toBe(true);
    expect(running.vmiStatus).toBeUndefined();
    // No hand-off without the VMI's pod on its node: the source handler would have nothing to start from.
    const noSource = decideMigration(
      inputs({
        migration: migration('Scheduled'),
        pods: [targetPod({ node: 'node-b', phase: 'Running' })],
        effective: effectiveMigrationConfiguration({ kubevirts: [], policies: [] }),
      }),
    );
    expect(noSource.vmiStatus).toBeUndefined();
    expect(noSource.status.phase).toBe('Scheduled');
    expect(noSource.waiting).toBe('the launcher pod of VMI ns/web on node node-a');
  });

  test('the hand-off writes the migration state with the effective settings; PreparingTarget', () => {
    const effective = effectiveMigrationConfiguration({
      kubevirts: [],
      policies: [
        {
          metadata: { name: 'web-policy' },
          spec: { selectors: { virtualMachineInstanceSelector: { app: 'web' } }, allowAutoConverge: true },
        },
      ],
      vmiLabels: { app: 'web' },
    });
    const d = decideMigration(
      inputs({
        migration: migration('Scheduled'),
        pods: [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })],
        effective,
      }),
    );
    expect(d.vmiStatus?.migrationState).toEqual({
      ...handedOff,
      migrationConfiguration: { ...effective.configuration, allowAutoConverge: true },
      migrationPolicyName: 'web-policy',
    });
    // Nothing else of the VMI's status changes.
    expect({ ...d.vmiStatus, migrationState: undefined }).toEqual({
      ...vmi().status,
      migrationState: undefined,
    });
    expect(d.vmiLabels).toEqual({ 'kubevirt.io/migrationTargetNodeName': 'node-b' });
    expect(d.status.phase).toBe('PreparingTarget');
    expect(d.status.migrationState).toEqual(d.vmiStatus?.migrationState);
    expect(reasons(d)).toEqual(['SuccessfulHandOver']);
  });

  test('invalid settings are left out of the hand-off and named in one Warning', () => {
    const effective = effectiveMigrationConfiguration({
      kubevirts: [
        {
          metadata: { name: 'kv', namespace: 'kubevirt' },
          spec: { configuration: { migrations: { progressTimeout: 'x' } } },
        },
      ],
      policies: [],
    });
    const d = decideMigration(
      inputs({
        migration: migration('Scheduled'),
        pods: [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })],
        effective,
      }),
    );
    expect(d.vmiStatus?.migrationState?.migrationConfiguration?.progressTimeout).toBe(150);
    expect(d.events.find((e) => e.event.reason === 'InvalidMigrationConfiguration')?.event.message).toContain(
      'spec.configuration.migrations.progressTimeout: "x"',
    );
  });

  test('the handlers move it on: TargetReady on targetNodeAddress, Running on startTimestamp', () => {
    const pods = [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })];
    const ready = decideMigration(
      inputs({
        migration: migration('PreparingTarget'),
        pods,
        vmi: vmi({ ...handedOff, targetNodeAddress: '10.0.0.7' }),
      }),
    );
    expect(ready.status.phase).toBe('TargetReady');
    expect(ready.status.migrationState?.targetNodeAddress).toBe('10.0.0.7');
    expect(ready.vmiStatus).toBeUndefined();
    const started = {
      ...handedOff,
      targetNodeAddress: '10.0.0.7',
      startTimestamp: NOW.toISOString(),
      mode: 'PreCopy' as const,
    };
    const running = decideMigration(inputs({ migration: migration('TargetReady'), pods, vmi: vmi(started) }));
    expect(running.status.phase).toBe('Running');
    expect(running.status.migrationState).toEqual(started);
    // Both at once (a fast pair of handlers): both phases are recorded.
    const both = decideMigration(
      inputs({ migration: migration('PreparingTarget'), pods, vmi: vmi(started) }),
    );
    expect(phases(both)).toEqual(['PreparingTarget', 'TargetReady', 'Running']);
  });
});

describe('the end of a migration', () => {
  const completed = {
    ...handedOff,
    targetNodeAddress: '10.0.0.7',
    startTimestamp: EARLIER,
    endTimestamp: NOW.toISOString(),
    completed: true,
  };

  test('completed: waits for the target node to see the guest, then hands the VMI over: Succeeded', () => {
    const pods = [sourcePod('Succeeded'), targetPod({ node: 'node-b', phase: 'Running' })];
    const waiting = decideMigration(inputs({ migration: migration('Running'), pods, vmi: vmi(completed) }));
    expect(waiting.status.phase).toBe('Running');
    expect(waiting.vmiStatus).toBeUndefined();
    const state = {
      ...completed,
      targetNodeDomainDetected: true,
      targetNodeDomainReadyTimestamp: NOW.toISOString(),
    };
    const v = vmi(state);
    v.metadata!.labels!['kubevirt.io/migrationTargetNodeName'] = 'node-b';
    const d = decideMigration(inputs({ migration: migration('Running'), pods, vmi: v }));
    expect(d.vmiStatus).toMatchObject({
      nodeName: 'node-b',
      activePods: { 'target-uid': 'node-b' },
      migrationState: state,
    });
    expect(d.vmiStatus?.activePods).not.toHaveProperty('source-uid');
    expect(d.vmiLabels).toEqual({
      'kubevirt.io/nodeName': 'node-b',
      'kubevirt.io/migrationTargetNodeName': null,
    });
    expect(d.deletePods).toEqual([{ name: SOURCE_POD, uid: 'source-uid' }]);
    expect(d.status.phase).toBe('Succeeded');
    expect(d.status.migrationState).toEqual(state);
    expect(d.removeFinalizer).toBe(true);
    expect(reasons(d)).toEqual(['SuccessfulMigration']);
    expect(d.events.find((e) => e.on === 'vmi')?.event).toEqual({
      type: 'Normal',
      reason: 'Migrated',
      message: 'The VirtualMachineInstance migrated to node node-b.',
    });
  });

  test("the hand-over ends the VMI's evacuation: evacuationNodeName goes; a newer mark stays", () => {
    const pods = [sourcePod('Succeeded'), targetPod({ node: 'node-b', phase: 'Running' })];
    const state = { ...completed, targetNodeDomainDetected: true };
    const marked = (node: string, handedOver = false) => {
      const v = vmi(state);
      v.status!.evacuationNodeName = node;
      if (handedOver) {
        v.status!.nodeName = 'node-b';
        v.status!.activePods = { 'target-uid': 'node-b' };
      }
      return v;
    };
    const d = decideMigration(inputs({ migration: migration('Running'), pods, vmi: marked('node-a') }));
    expect(d.status.phase).toBe('Succeeded');
    expect(d.vmiStatus).toMatchObject({ nodeName: 'node-b' });
    expect(d.vmiStatus).not.toHaveProperty('evacuationNodeName');
    // Handed over by an earlier round whose migration status write was lost: the mark still goes.
    const again = decideMigration(
      inputs({ migration: migration('Running'), pods, vmi: marked('node-a', true) }),
    );
    expect(again.vmiStatus).toMatchObject({ nodeName: 'node-b', activePods: { 'target-uid': 'node-b' } });
    expect(again.vmiStatus).not.toHaveProperty('evacuationNodeName');
    expect(reasons(again, 'vmi')).toEqual([]);
    // node-b is drained in turn once the guest is there: that evacuation is not this one's to end.
    const newer = decideMigration(
      inputs({ migration: migration('Running'), pods, vmi: marked('node-b', true) }),
    );
    expect(newer.vmiStatus).toBeUndefined();
    expect(newer.status.phase).toBe('Succeeded');
  });

  test('a failed migration leaves the evacuation mark, so the evacuation tries again', () => {
    // The controller itself writes the failure into the VMI (its target pod vanished): the mark stays.
    const v = vmi({ ...handedOff, startTimestamp: EARLIER });
    v.status!.evacuationNodeName = 'node-a';
    const d = decideMigration(inputs({ migration: migration('Running'), pods: [sourcePod()], vmi: v }));
    expect(d.status.phase).toBe('Failed');
    expect(d.vmiStatus).toMatchObject({
      nodeName: 'node-a',
      evacuationNodeName: 'node-a',
      migrationState: { failed: true },
    });
  });

  test('the source node reports failure: Failed with its reason; the target pod goes', () => {
    const state = {
      ...handedOff,
      startTimestamp: EARLIER,
      failed: true,
      failureReason: 'Live migration failed: connection reset',
    };
    const d = decideMigration(
      inputs({
        migration: migration('Running'),
        pods: [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })],
        vmi: vmi(state),
      }),
    );
    expect(failure(d)).toMatchObject({
      reason: 'MigrationFailed',
      message: expect.stringContaining(
        'the source node node-a reported that the migration of VMI ns/web failed: Live migration failed: connection reset; the VMI keeps running on node node-a',
      ),
    });
    expect(d.deletePods).toEqual([{ name: TARGET_POD, uid: 'target-uid' }]);
    expect(d.vmiStatus).toBeUndefined();
    expect(d.removeFinalizer).toBe(true);
  });

  test('the target pod vanishes after the hand-off: the VMI says the migration failed, and why', () => {
    const d = decideMigration(
      inputs({ migration: migration('TargetReady'), pods: [sourcePod()], vmi: vmi(handedOff) }),
    );
    expect(d.vmiStatus?.migrationState).toEqual({
      ...handedOff,
      failed: true,
      failureReason: `Target pod is down: target pod ${TARGET_POD} was deleted`,
      endTimestamp: '2025-03-01T12:00:00Z',
    });
    expect(failure(d)).toMatchObject({
      reason: 'TargetPodVanished',
      message: expect.stringContaining(
        'was deleted before the migration completed; the VMI stays on node node-a',
      ),
    });
    expect(reasons(d)).toEqual(['FailedMigration']);
    expect(reasons(d, 'vmi')).toEqual(['FailedMigration']);
    expect(d.status.migrationState?.failed).toBe(true);
  });

  test('the target pod vanishes or fails before the hand-off: Failed; no migration state is written', () => {
    const gone = decideMigration(inputs({ migration: migration('Scheduling'), pods: [sourcePod()] }));
    expect(failure(gone)?.reason).toBe('TargetPodVanished');
    expect(gone.vmiStatus).toBeUndefined();
    const down = decideMigration(
      inputs({
        migration: migration('Scheduled'),
        pods: [sourcePod(), targetPod({ node: 'node-b', phase: 'Failed' })],
      }),
    );
    expect(failure(down)).toMatchObject({
      reason: 'TargetPodDown',
      message: expect.stringContaining('ended with phase Failed'),
    });
    expect(down.events.map((e) => e.event.message)).toEqual([
      'Migration failed because target pod shutdown during migration',
    ]);
  });

  test('a target pod unschedulable past the timeout (or its annotation) fails the migration', () => {
    const stuck = targetPod({ unschedulable: true, created: '2025-03-01T11:56:00Z' }); // 4 min
    const early = decideMigration(inputs({ migration: migration('Scheduling'), pods: [sourcePod(), stuck] }));
    expect(early.status.phase).toBe('Scheduling');
    expect(early.requeueAfterMs).toBe(60_000);
    const short = migration('Scheduling', {
      annotations: { 'kubevirt.io/migrationUnschedulablePodTimeoutSeconds': '120' },
    });
    const d = decideMigration(inputs({ migration: short, pods: [sourcePod(), stuck] }));
    expect(failure(d)).toMatchObject({
      reason: 'TargetPodUnschedulable',
      message: expect.stringContaining(
        `target pod ${TARGET_POD} could not be scheduled (0/3 nodes are available) for 120 s`,
      ),
    });
    expect(d.deletePods).toEqual([{ name: TARGET_POD, uid: 'target-uid' }]);
    expect(d.events[0].event.message).toBe(`unschedulable pod ns/${TARGET_POD} timeout period exceeded`);
  });

  test('the VMI ends during the migration, or is deleted: Failed', () => {
    const ended = decideMigration(
      inputs({
        migration: migration('Running'),
        pods: [targetPod({ node: 'node-b', phase: 'Running' })],
        vmi: vmi({ ...handedOff, startTimestamp: EARLIER }, 'Failed'),
      }),
    );
    expect(failure(ended)?.reason).toBe('VMINotRunning');
    expect(ended.events.map((e) => e.event.message)).toContain(
      'Migration failed vmi shutdown during migration.',
    );
    const deleted = vmi(handedOff);
    deleted.metadata!.deletionTimestamp = NOW.toISOString();
    expect(failure(decideMigration(inputs({ migration: migration('Running'), vmi: deleted })))?.reason).toBe(
      'VMINotFound',
    );
  });

  test("the VMI's migration state taken over by another migration: Failed", () => {
    const d = decideMigration(
      inputs({
        migration: migration('PreparingTarget'),
        pods: [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })],
        vmi: vmi({ ...handedOff, migrationUid: 'someone-else' }),
      }),
    );
    expect(failure(d)).toMatchObject({
      reason: 'MigrationStateLost',
      message: expect.stringContaining('someone-else'),
    });
  });

  test('a final migration is left as it is, holds nothing, and mirrors the VMI', () => {
    const done = migration('Succeeded');
    const state = { ...completed, targetNodeDomainDetected: true };
    const d = decideMigration(
      inputs({ migration: done, pods: [targetPod({ node: 'node-b', phase: 'Running' })], vmi: vmi(state) }),
    );
    expect(d.status.phaseTransitionTimestamps).toEqual(done.status?.phaseTransitionTimestamps);
    expect(d.status.migrationState).toEqual(state);
    expect(d.deletePods).toEqual([]);
    expect(d.removeFinalizer).toBe(true);
    expect(d.events).toEqual([]);
    const released = decideMigration(
      inputs({ migration: migration('Failed', { finalizers: [] }), pods: [sourcePod()] }),
    );
    expect(released.removeFinalizer).toBeUndefined();
  });
});

describe('abort: a migration deleted before it ended', () => {
  const deleted = (phase: Phase) => migration(phase, { deletionTimestamp: NOW.toISOString() });

  test('before the hand-off: the target pod is deleted and the migration Failed at once', () => {
    const d = decideMigration(
      inputs({ migration: deleted('Scheduling'), pods: [sourcePod(), targetPod({ node: 'node-b' })] }),
    );
    expect(d.deletePods).toEqual([
      {
        name: TARGET_POD,
        uid: 'target-uid',
        event: {
          type: 'Normal',
          reason: 'SuccessfulDelete',
          message: `migration canceled and pod ns/${TARGET_POD} is deleted`,
        },
      },
    ]);
    expect(d.status.conditions?.find((c) => c.type === 'migrationAbortRequested')?.status).toBe('True');
    expect(failure(d)?.reason).toBe('MigrationAborted');
    expect(d.events.map((e) => e.event.message)).toEqual(['Migration failed due to being canceled']);
    expect(d.removeFinalizer).toBe(true);
    expect(d.addFinalizer).toBeUndefined();
  });

  test('handed off but not started: the controller ends it on the VMI too', () => {
    const d = decideMigration(
      inputs({
        migration: deleted('PreparingTarget'),
        pods: [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })],
        vmi: vmi(handedOff),
      }),
    );
    expect(d.vmiStatus?.migrationState).toMatchObject({
      abortRequested: true,
      failed: true,
      endTimestamp: '2025-03-01T12:00:00Z',
    });
    expect(d.status.phase).toBe('Failed');
    expect(d.deletePods.map((p) => p.name)).toEqual([TARGET_POD]);
    expect(d.removeFinalizer).toBe(true);
  });

  test('running: abortRequested asks the source node; the finalizer stays until the VMI says how it ended', () => {
    const pods = [sourcePod(), targetPod({ node: 'node-b', phase: 'Running' })];
    const running = { ...handedOff, targetNodeAddress: '10.0.0.7', startTimestamp: EARLIER };
    const asked = decideMigration(inputs({ migration: deleted('Running'), pods, vmi: vmi(running) }));
    expect(asked.vmiStatus?.migrationState).toEqual({ ...running, abortRequested: true });
    expect(asked.status.phase).toBe('Running');
    expect(asked.status.conditions?.find((c) => c.type === 'migrationAbortRequested')).toMatchObject({
      status: 'True',
    });
    expect(asked.removeFinalizer).toBeUndefined();
    expect(asked.deletePods).toEqual([]);
    expect(reasons(asked)).toEqual(['SuccessfulAbortMigration']);
    // Asked once: the next round waits.
    const waiting = decideMigration(
      inputs({ migration: deleted('Running'), pods, vmi: vmi({ ...running, abortRequested: true }) }),
    );
    expect(waiting.vmiStatus).toBeUndefined();
    expect(waiting.events).toEqual([]);
    expect(waiting.removeFinalizer).toBeUndefined();
    // The source node aborted it.
    const aborted = {
      ...running,
      abortRequested: true,
      abortStatus: 'Succeeded' as const,
      failed: true,
      endTimestamp: NOW.toISOString(),
    };
    const done = decideMigration(inputs({ migration: deleted('Running'), pods, vmi: vmi(aborted) }));
    expect(failure(done)).toMatchObject({
      reason: 'MigrationAborted',
      message: expect.stringContaining('the VMI keeps running on node node-a'),
    });
    expect(done.deletePods.map((p) => p.name)).toEqual([TARGET_POD]);
    expect(done.removeFinalizer).toBe(true);
  });

  test('too late to abort: the migration completed, the VMI is handed over all the same', () => {
    const state = {
      ...handedOff,
      startTimestamp: EARLIER,
      abortRequested: true,
      abortStatus: 'Failed' as const,
      completed: true,
      targetNodeDomainDetected: true,
    };
    const d = decideMigration(
      inputs({
        migration: deleted('Running'),
        pods: [sourcePod('Succeeded'), targetPod({ node: 'node-b', phase: 'Running' })],
        vmi: vmi(state),
      }),
    );
    expect(d.status.phase).toBe('Succeeded');
    expect(d.vmiStatus?.nodeName).toBe('node-b');
    expect(d.deletePods.map((p) => p.name)).toEqual([SOURCE_POD]);
    expect(d.removeFinalizer).toBe(true);
  });

  test('the VMI is gone: the finalizer goes', () => {
    const d = decideMigration(inputs({ migration: deleted('Running'), vmi: undefined, pods: [] }));
    expect(d.status.phase).toBe('Failed');
    expect(d.removeFinalizer).toBe(true);
  });
});
