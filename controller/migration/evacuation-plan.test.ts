import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import { clusterEvictionStrategy } from '../../api/kubevirt/v1/eviction-strategy';
import { clusterMigrationConfiguration } from '../../api/migrations/v1alpha1/effective';
import type { LauncherPod } from '../vmi/phase';
import { decideEvacuation, evacuationBackoff, type EvacuationInputs } from './evacuation-plan';

const NOW = new Date('2025-03-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();
const SOURCE_POD = 'virt-launcher-web-srcxx';

type Status = NonNullable<VirtualMachineInstance['status']>;

function vmi(
  o: {
    name?: string;
    strategy?: string;
    migratable?: 'True' | 'False';
    status?: Partial<Status>;
    deleting?: boolean;
  } = {},
): VirtualMachineInstance {
  const name = o.name ?? 'web';
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name,
      namespace: 'ns',
      uid: `${name}-uid`,
      ...(o.deleting ? { deletionTimestamp: ago(1) } : {}),
    },
    spec: {
      domain: { devices: {} },
      ...(o.strategy ? { evictionStrategy: o.strategy as 'LiveMigrate' } : {}),
    },
    status: {
      phase: 'Running',
      nodeName: 'node-a',
      evacuationNodeName: 'node-a',
      activePods: { 'source-uid': 'node-a' },
      conditions: [
        { type: 'Ready', status: 'True' },
        {
          type: 'LiveMigratable',
          status: o.migratable ?? 'True',
          ...(o.migratable === 'False'
            ? { reason: 'DisksNotLiveMigratable', message: 'cannot migrate VMI: PVC root is not shared' }
            : {}),
        },
      ],
      ...o.status,
    },
  };
}

type Pod = LauncherPod & { metadata: { annotations?: Record<string, string> } };

function pod(
  o: { name?: string; uid?: string; node?: string; annotations?: Record<string, string> } = {},
): Pod {
  return {
    metadata: {
      name: o.name ?? SOURCE_POD,
      namespace: 'ns',
      uid: o.uid ?? 'source-uid',
      labels: {},
      annotations: { 'kubevirt.io/domain': 'web', ...o.annotations },
    },
    spec: { nodeName: o.node ?? 'node-a' },
    status: { phase: 'Running' },
  };
}

let seq = 0;
function migration(
  o: {
    vmi?: string;
    phase?: string;
    evacuation?: boolean;
    created?: string;
    failedAt?: string;
    deleting?: boolean;
  } = {},
): VirtualMachineInstanceMigration {
  seq++;
  const phase = o.phase as NonNullable<VirtualMachineInstanceMigration['status']>['phase'];
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      name: `m-${seq}`,
      namespace: 'ns',
      uid: `m-${seq}-uid`,
      creationTimestamp: o.created ?? ago(600),
      ...(o.evacuation === false ? {} : { annotations: { 'kubevirt.io/evacuationMigration': 'node-a' } }),
      ...(o.deleting ? { deletionTimestamp: ago(1) } : {}),
    },
    spec: { vmiName: o.vmi ?? 'web' },
    ...(phase
      ? {
          status: {
            phase,
            phaseTransitionTimestamps: o.failedAt
              ? [{ phase: 'Failed' as const, phaseTransitionTimestamp: o.failedAt }]
              : [],
          },
        }
      : {}),
  };
}

function inputs(o: Partial<EvacuationInputs> = {}): EvacuationInputs {
  const v = o.vmi ?? vmi({ strategy: 'LiveMigrate' });
  return {
    vmi: v,
    pods: [pod()],
    migrations: [],
    vmiNamed: (_, name) => (name === v.metadata?.name ? v : undefined),
    hasTargetPod: () => false,
    cluster: clusterMigrationConfiguration([]).configuration,
    now: NOW,
    ...o,
  };
}

const kubevirt = (evictionStrategy: string) => ({
  metadata: { name: 'kubevirt', namespace: 'virtkit' },
  spec: { configuration: { evictionStrategy } },
});

describe('a VMI marked for evacuation', () => {
  test("gets KubeVirt's evacuation migration: generateName, annotation naming the node, label, vmiName", () => {
    const d = decideEvacuation(inputs());
    expect(d.createMigration).toEqual({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: {
        generateName: 'kubevirt-evacuation-',
        namespace: 'ns',
        annotations: { 'kubevirt.io/evacuationMigration': 'node-a' },
        labels: { 'kubevirt.io/vmi-name': 'web' },
      },
      spec: { vmiName: 'web' },
    });
    expect(d.event).toBeUndefined();
    expect(d.requeueAfterMs).toBeUndefined();
  });

  test('a VMI that is not marked gets nothing', () => {
    const d = decideEvacuation(
      inputs({ vmi: vmi({ strategy: 'LiveMigrate', status: { evacuationNodeName: undefined } }) }),
    );
    expect(d).toEqual({ podAnnotations: [] });
  });

  test('is left while it runs elsewhere, has ended, is being deleted, or is migrating', () => {
    const cases: [string, VirtualMachineInstance, VirtualMachineInstanceMigration[]][] = [
      ['moved', vmi({ strategy: 'LiveMigrate', status: { nodeName: 'node-b' } }), []],
      ['ended', vmi({ strategy: 'LiveMigrate', status: { phase: 'Succeeded' } }), []],
      ['deleted', vmi({ strategy: 'LiveMigrate', deleting: true }), []],
      [
        'migrating',
        vmi({ strategy: 'LiveMigrate', status: { migrationState: { startTimestamp: ago(5) } } }),
        [],
      ],
      [
        'its migration is not over',
        vmi({ strategy: 'LiveMigrate' }),
        [migration({ phase: 'Pending', evacuation: false })],
      ],
      ['a new migration', vmi({ strategy: 'LiveMigrate' }), [migration({ evacuation: false })]],
      [
        'two active pods',
        vmi({
          strategy: 'LiveMigrate',
          status: { activePods: { 'source-uid': 'node-a', 'old-uid': 'node-c' } },
        }),
        [],
      ],
    ];
    for (const [what, v, migrations] of cases) {
      const d = decideEvacuation(inputs({ vmi: v, migrations }));
      expect([what, d.createMigration]).toEqual([what, undefined]);
      expect([what, d.waiting]).toEqual([what, expect.any(String)]);
    }
    // A migration that ended (the source reported its end) or a final migration object does not hold it.
    const ended = vmi({
      strategy: 'LiveMigrate',
      status: { migrationState: { startTimestamp: ago(60), endTimestamp: ago(30), failed: true } },
    });
    const d = decideEvacuation(
      inputs({ vmi: ended, migrations: [migration({ phase: 'Succeeded', evacuation: false })] }),
    );
    expect(d.createMigration).toBeDefined();
  });
});

describe('the eviction strategy decides', () => {
  test("the VMI's own, else the cluster's: LiveMigrate migrates, None and External never", () => {
    const cluster = (s: string) => clusterEvictionStrategy([kubevirt(s)]);
    const created = (v: VirtualMachineInstance, clusterStrategy?: string) =>
      decideEvacuation(
        inputs({ vmi: v, ...(clusterStrategy ? { clusterStrategy: cluster(clusterStrategy) } : {}) }),
      ).createMigration !== undefined;
    expect(created(vmi(), 'LiveMigrate')).toBe(true);
    expect(created(vmi({ strategy: 'None' }), 'LiveMigrate')).toBe(false);
    expect(created(vmi({ strategy: 'LiveMigrate' }), 'None')).toBe(true);
    expect(created(vmi({ strategy: 'External' }))).toBe(false);
    expect(created(vmi(), 'External')).toBe(false);
    expect(created(vmi())).toBe(false);
  });

  test('LiveMigrateIfPossible migrates a migratable VMI and quietly leaves one that is not', () => {
    expect(
      decideEvacuation(inputs({ vmi: vmi({ strategy: 'LiveMigrateIfPossible' }) })).createMigration,
    ).toBeDefined();
    const d = decideEvacuation(
      inputs({ vmi: vmi({ strategy: 'LiveMigrateIfPossible', migratable: 'False' }) }),
    );
    expect(d.createMigration).toBeUndefined();
    expect(d.event).toBeUndefined();
  });

  test('a value that is not one of the four is named, with its field, and migrates nothing', () => {
    const d = decideEvacuation(
      inputs({ vmi: vmi(), clusterStrategy: clusterEvictionStrategy([kubevirt('Livemigrate')]) }),
    );
    expect(d.createMigration).toBeUndefined();
    expect(d.waiting).toContain(
      'spec.configuration.evictionStrategy of KubeVirt virtkit/kubevirt is "Livemigrate"',
    );
  });

  test("LiveMigrate but not migratable: KubeVirt's Normal FailedCreate, once per change, looked at every minute", () => {
    const notMigratable = vmi({ strategy: 'LiveMigrate', migratable: 'False' });
    const d = decideEvacuation(inputs({ vmi: notMigratable }));
    expect(d.createMigration).toBeUndefined();
    expect(d.requeueAfterMs).toBe(60_000);
    expect(d.event?.event).toEqual({
      type: 'Normal',
      reason: 'FailedCreate',
      message: 'VirtualMachineInstance is not migrateable',
    });
    // The same state says the same (the reconciler records it once); a changed condition says it anew.
    expect(decideEvacuation(inputs({ vmi: notMigratable })).event?.once).toBe(d.event?.once);
    const unreported = vmi({ strategy: 'LiveMigrate' });
    unreported.status!.conditions = [{ type: 'Ready', status: 'True' }];
    expect(decideEvacuation(inputs({ vmi: unreported })).event?.once).not.toBe(d.event?.once);
  });
});

describe('what holds a migration back', () => {
  test('a migration created for the VMI that the cache does not show yet: nothing is made twice', () => {
    const d = decideEvacuation(inputs({ creationExpected: true }));
    expect(d.createMigration).toBeUndefined();
    expect(d.waiting).toContain('to show in the cache');
  });

  test('parallelMigrationsPerCluster: 5 migrations at work anywhere; looked at again in 5 s', () => {
    const others = [1, 2, 3, 4, 5].map((n) =>
      migration({ vmi: `other-${n}`, phase: 'Running', evacuation: false }),
    );
    const d = decideEvacuation(inputs({ migrations: others }));
    expect(d.createMigration).toBeUndefined();
    expect(d.requeueAfterMs).toBe(5_000);
    expect(d.waiting).toContain('parallelMigrationsPerCluster');
    // A user's migration still Pending holds no slot; four at work leave one.
    const fewer = [...others.slice(0, 4), migration({ vmi: 'other-5', phase: 'Pending', evacuation: false })];
    expect(decideEvacuation(inputs({ migrations: fewer })).createMigration).toBeDefined();
  });

  test('parallelOutboundMigrationsPerNode: 2 leaving the node, pending evacuations included', () => {
    const onA = (name: string) => vmi({ name, strategy: 'LiveMigrate' });
    const v = vmi({ strategy: 'LiveMigrate' });
    const vmiNamed = (_: string, name: string) => (name === 'web' ? v : onA(name));
    const leaving = [
      migration({ vmi: 'db', phase: 'Running', evacuation: false }),
      // Another VMI's evacuation, created but not started: it will take a slot.
      migration({ vmi: 'cache', phase: 'Pending' }),
    ];
    const d = decideEvacuation(inputs({ vmi: v, vmiNamed, migrations: leaving }));
    expect(d.createMigration).toBeUndefined();
    expect(d.waiting).toContain('parallelOutboundMigrationsPerNode');
    expect(d.requeueAfterMs).toBe(5_000);
    // From another node they do not count against node-a.
    const elsewhere = (_: string, name: string) =>
      name === 'web' ? v : vmi({ name, strategy: 'LiveMigrate', status: { nodeName: 'node-c' } });
    expect(
      decideEvacuation(inputs({ vmi: v, vmiNamed: elsewhere, migrations: leaving })).createMigration,
    ).toBeDefined();
  });
});

describe('backoff after failed evacuation migrations', () => {
  test('20 s after the newest failure, a Warning MigrationBackoff, then the next migration', () => {
    const failed = migration({ phase: 'Failed', failedAt: ago(5) });
    const d = decideEvacuation(inputs({ migrations: [failed] }));
    expect(d.createMigration).toBeUndefined();
    expect(d.requeueAfterMs).toBe(15_000);
    expect(d.event).toEqual({
      event: { type: 'Warning', reason: 'MigrationBackoff', message: 'backoff migrating vmi ns/web' },
      once: failed.metadata!.uid,
    });
    const later = decideEvacuation(
      inputs({ migrations: [migration({ phase: 'Failed', failedAt: ago(21) })] }),
    );
    expect(later.createMigration).toBeDefined();
    expect(later.event).toBeUndefined();
  });

  test('doubled for each failure in a row since the last success', () => {
    const failures = (n: number, succeededFirst = false) => [
      ...(succeededFirst ? [migration({ phase: 'Succeeded', created: ago(3000) })] : []),
      ...Array.from({ length: n }, (_, k) =>
        migration({ phase: 'Failed', created: ago(2000 - k * 100), failedAt: ago(1900 - k * 100) }),
      ),
    ];
    const of = (migrations: VirtualMachineInstanceMigration[]) => {
      const b = evacuationBackoff(vmi(), migrations);
      return (
        b &&
        b.until.getTime() -
          Date.parse(b.lastFailed.status!.phaseTransitionTimestamps![0].phaseTransitionTimestamp!)
      );
    };
    expect([1, 2, 3, 4].map((n) => of(failures(n)))).toEqual([20_000, 40_000, 80_000, 160_000]);
    // A success before them does not count; failures before a success do not either.
    const mixed = [
      migration({ phase: 'Failed', created: ago(5000), failedAt: ago(4900) }),
      migration({ phase: 'Succeeded', created: ago(4000) }),
      migration({ phase: 'Failed', created: ago(3000), failedAt: ago(2900) }),
    ];
    expect(evacuationBackoff(vmi(), mixed)?.failures).toBe(1);
    expect(of(failures(2, true))).toBe(40_000);
  });

  test('only evacuation migrations of this VMI count, not being deleted; a newest success ends it', () => {
    const recent = ago(5);
    expect(
      evacuationBackoff(vmi(), [migration({ phase: 'Failed', failedAt: recent, evacuation: false })]),
    ).toBeUndefined();
    expect(
      evacuationBackoff(vmi(), [migration({ vmi: 'db', phase: 'Failed', failedAt: recent })]),
    ).toBeUndefined();
    expect(
      evacuationBackoff(vmi(), [migration({ phase: 'Failed', failedAt: recent, deleting: true })]),
    ).toBeUndefined();
    expect(
      evacuationBackoff(vmi(), [
        migration({ phase: 'Failed', created: ago(100), failedAt: ago(90) }),
        migration({ phase: 'Succeeded', created: ago(50) }),
      ]),
    ).toBeUndefined();
  });
});

describe("the descheduler's eviction-in-progress hint", () => {
  const ANNOTATION = 'descheduler.alpha.kubernetes.io/eviction-in-progress';

  test("on the VMI's pod on the marked node, never on a migration's target pod elsewhere", () => {
    const target = pod({ name: 'virt-launcher-web-tgtxx', uid: 'target-uid', node: 'node-b' });
    const d = decideEvacuation(inputs({ pods: [pod(), target] }));
    expect(d.podAnnotations).toEqual([{ pod: SOURCE_POD, uid: 'source-uid', value: 'kubevirt' }]);
    // Already there: nothing to write.
    const annotated = pod({ annotations: { [ANNOTATION]: 'kubevirt' } });
    expect(decideEvacuation(inputs({ pods: [annotated, target] })).podAnnotations).toEqual([]);
  });

  test('whatever the strategy decides: the mark alone says the eviction is under way', () => {
    const d = decideEvacuation(inputs({ vmi: vmi({ strategy: 'External' }) }));
    expect(d.createMigration).toBeUndefined();
    expect(d.podAnnotations).toEqual([{ pod: SOURCE_POD, uid: 'source-uid', value: 'kubevirt' }]);
  });

  test("an unmarked VMI's pod loses virtkit's value; another component's value is left", () => {
    const unmarked = vmi({ strategy: 'LiveMigrate', status: { evacuationNodeName: undefined } });
    const ours = pod({ annotations: { [ANNOTATION]: 'kubevirt' } });
    expect(decideEvacuation(inputs({ vmi: unmarked, pods: [ours] })).podAnnotations).toEqual([
      { pod: SOURCE_POD, uid: 'source-uid', value: null },
    ]);
    const theirs = pod({ annotations: { [ANNOTATION]: 'someone-else' } });
    expect(decideEvacuation(inputs({ vmi: unmarked, pods: [theirs] })).podAnnotations).toEqual([]);
  });
});
