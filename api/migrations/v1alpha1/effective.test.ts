import {
  clusterMigrationConfiguration,
  effectiveMigrationConfiguration,
  matchMigrationPolicy,
  MIGRATION_DEFAULTS,
  type KubeVirtMigrationsSource,
} from './effective';
import type { MigrationPolicy } from './policy';

const kubevirt = (migrations: unknown, name = 'kubevirt'): KubeVirtMigrationsSource => ({
  metadata: { name, namespace: 'kubevirt' },
  spec: { configuration: { migrations } },
});

const policy = (
  name: string,
  selectors: MigrationPolicy['spec']['selectors'],
  settings: Partial<MigrationPolicy['spec']> = {},
): MigrationPolicy => ({
  apiVersion: 'migrations.kubevirt.io/v1alpha1',
  kind: 'MigrationPolicy',
  metadata: { name },
  spec: { selectors, ...settings },
});

describe("KubeVirt's cluster-wide migration settings", () => {
  test('without a KubeVirt object: the defaults of current KubeVirt releases', () => {
    const { configuration, problems } = clusterMigrationConfiguration([]);
    expect(configuration).toEqual({
      nodeDrainTaintKey: 'kubevirt.io/drain',
      parallelOutboundMigrationsPerNode: 2,
      parallelMigrationsPerCluster: 5,
      allowAutoConverge: false,
      bandwidthPerMigration: '0Mi',
      completionTimeoutPerGiB: 150,
      progressTimeout: 150,
      unsafeMigrationOverride: false,
      allowPostCopy: false,
      allowWorkloadDisruption: false,
    });
    expect(problems).toEqual([]);
  });

  test('the KubeVirt object overrides field by field; allowWorkloadDisruption follows allowPostCopy', () => {
    const { configuration, problems } = clusterMigrationConfiguration([
      kubevirt({ parallelMigrationsPerCluster: 10, allowPostCopy: true, bandwidthPerMigration: '64Mi' }),
    ]);
    expect(configuration).toMatchObject({
      parallelMigrationsPerCluster: 10,
      parallelOutboundMigrationsPerNode: 2,
      allowPostCopy: true,
      allowWorkloadDisruption: true,
      bandwidthPerMigration: '64Mi',
      completionTimeoutPerGiB: 150,
    });
    expect(problems).toEqual([]);
    // An explicit allowWorkloadDisruption is kept.
    expect(
      clusterMigrationConfiguration([kubevirt({ allowPostCopy: true, allowWorkloadDisruption: false })])
        .configuration.allowWorkloadDisruption,
    ).toBe(false);
  });

  test('a bad value is left out and named with the object, the field and what is used instead', () => {
    const { configuration, problems } = clusterMigrationConfiguration([
      kubevirt({
        parallelMigrationsPerCluster: 'ten',
        parallelOutboundMigrationsPerNode: -1,
        bandwidthPerMigration: 'fast',
        maxDowntimeMs: 0,
        allowPostCopy: 'yes',
        progresTimeout: 10,
        experimental: { compression: 'gzip' },
        completionTimeoutPerGiB: 300,
      }),
    ]);
    expect(configuration).toMatchObject({
      parallelMigrationsPerCluster: 5,
      parallelOutboundMigrationsPerNode: 2,
      bandwidthPerMigration: '0Mi',
      allowPostCopy: false,
      completionTimeoutPerGiB: 300,
    });
    expect(configuration.maxDowntimeMs).toBeUndefined();
    expect(configuration.experimental).toBeUndefined();
    const where = 'KubeVirt kubevirt/kubevirt spec.configuration.migrations';
    expect(problems).toEqual(
      expect.arrayContaining([
        `${where}.parallelMigrationsPerCluster: "ten" is not a whole number from 0 up; 5 is used instead until it is corrected`,
        `${where}.parallelOutboundMigrationsPerNode: -1 is not a whole number from 0 up; 2 is used instead until it is corrected`,
        `${where}.bandwidthPerMigration: "fast" is not a quantity such as 64Mi (0 means no limit); "0Mi" is used instead until it is corrected`,
        `${where}.maxDowntimeMs: 0 is not a whole number from 1 to 2000000; it stays unset until it is corrected`,
        `${where}.allowPostCopy: "yes" is not true or false; false is used instead until it is corrected`,
        `${where}.progresTimeout: KubeVirt has no such migration setting; it is ignored`,
        expect.stringMatching(
          /^KubeVirt kubevirt\/kubevirt spec\.configuration\.migrations\.experimental: .*compression/,
        ),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  test('valid experimental options are passed on whole', () => {
    const experimental = { compression: 'zstd', downtimeTuning: { initialMs: 100, steps: 3 } };
    expect(clusterMigrationConfiguration([kubevirt({ experimental })]).configuration.experimental).toEqual(
      experimental,
    );
  });

  test('several KubeVirt objects: the first by namespace and name is read, the others are named', () => {
    const { configuration, problems } = clusterMigrationConfiguration([
      kubevirt({ parallelMigrationsPerCluster: 9 }, 'second'),
      kubevirt({ parallelMigrationsPerCluster: 7 }, 'first'),
    ]);
    expect(configuration.parallelMigrationsPerCluster).toBe(7);
    expect(problems).toEqual([
      'KubeVirt kubevirt/second: only one KubeVirt object is allowed; the migration settings of KubeVirt kubevirt/first are used, delete the others',
    ]);
  });

  test('a migrations block that is not an object keeps the defaults and says so', () => {
    const r = clusterMigrationConfiguration([kubevirt('fast please')]);
    expect(r.configuration).toEqual({ ...MIGRATION_DEFAULTS, allowWorkloadDisruption: false });
    expect(r.problems).toEqual([
      'KubeVirt kubevirt/kubevirt spec.configuration.migrations: "fast please" is not an object of migration settings; KubeVirt\'s defaults are used',
    ]);
  });
});

describe('which MigrationPolicy applies', () => {
  const vmiLabels = { app: 'db', tier: 'gold', team: 'a' };
  const nsLabels = { env: 'prod' };

  test('every selector label must match the VMI or its namespace', () => {
    const policies = [
      policy('vmi-mismatch', { virtualMachineInstanceSelector: { app: 'web' } }),
      policy('ns-mismatch', { namespaceSelector: { env: 'dev' } }),
      policy('half', { virtualMachineInstanceSelector: { app: 'db', missing: 'x' } }),
    ];
    expect(matchMigrationPolicy(policies, vmiLabels, nsLabels)).toBeUndefined();
    expect(
      matchMigrationPolicy(
        [...policies, policy('ok', { namespaceSelector: { env: 'prod' } })],
        vmiLabels,
        nsLabels,
      )?.metadata?.name,
    ).toBe('ok');
  });

  test('the most matching labels win; on a tie more VMI labels win; then the first name', () => {
    const two = policy('two-vmi', { virtualMachineInstanceSelector: { app: 'db', tier: 'gold' } });
    const oneAndOne = policy('a-one-and-one', {
      virtualMachineInstanceSelector: { app: 'db' },
      namespaceSelector: { env: 'prod' },
    });
    const three = policy('z-three', {
      virtualMachineInstanceSelector: { app: 'db', tier: 'gold' },
      namespaceSelector: { env: 'prod' },
    });
    expect(matchMigrationPolicy([oneAndOne, two, three], vmiLabels, nsLabels)?.metadata?.name).toBe(
      'z-three',
    );
    // Two labels each: two VMI labels beat one VMI and one namespace label, whatever the names.
    expect(matchMigrationPolicy([oneAndOne, two], vmiLabels, nsLabels)?.metadata?.name).toBe('two-vmi');
    // Same counts: lexicographic order of the names.
    const twoB = policy('b-two-vmi', { virtualMachineInstanceSelector: { app: 'db', team: 'a' } });
    expect(matchMigrationPolicy([two, twoB], vmiLabels, nsLabels)?.metadata?.name).toBe('b-two-vmi');
  });

  test('a VMI without labels matches no policy that selects on VMI labels', () => {
    expect(
      matchMigrationPolicy(
        [policy('db', { virtualMachineInstanceSelector: { app: 'db' } })],
        undefined,
        nsLabels,
      ),
    ).toBeUndefined();
  });
});

describe('the effective settings of one migration', () => {
  test('cluster settings, then the matching policy; its name is reported', () => {
    const r = effectiveMigrationConfiguration({
      kubevirts: [kubevirt({ completionTimeoutPerGiB: 200, parallelMigrationsPerCluster: 8 })],
      policies: [
        policy(
          'databases',
          { virtualMachineInstanceSelector: { app: 'db' } },
          {
            allowPostCopy: true,
            bandwidthPerMigration: '128Mi',
          },
        ),
        policy('web', { virtualMachineInstanceSelector: { app: 'web' } }, { allowAutoConverge: true }),
      ],
      vmiLabels: { app: 'db' },
      namespaceLabels: {},
    });
    expect(r.policyName).toBe('databases');
    expect(r.configuration).toMatchObject({
      completionTimeoutPerGiB: 200,
      parallelMigrationsPerCluster: 8,
      allowPostCopy: true,
      // A policy allowing post-copy without a word on disruption allows it as well.
      allowWorkloadDisruption: true,
      bandwidthPerMigration: '128Mi',
      allowAutoConverge: false,
    });
    expect(r.problems).toEqual([]);
  });

  test('no policy matches: the cluster settings, no policy name', () => {
    const r = effectiveMigrationConfiguration({ kubevirts: [], policies: [], vmiLabels: { app: 'db' } });
    expect(r.policyName).toBeUndefined();
    expect(r.configuration.completionTimeoutPerGiB).toBe(150);
  });

  test("a policy's bad value keeps the cluster's, and is named", () => {
    const bad = policy(
      'databases',
      { virtualMachineInstanceSelector: { app: 'db' } },
      {
        completionTimeoutPerGiB: -5,
        allowAutoConverge: true,
      },
    );
    const r = effectiveMigrationConfiguration({ kubevirts: [], policies: [bad], vmiLabels: { app: 'db' } });
    expect(r.configuration).toMatchObject({ completionTimeoutPerGiB: 150, allowAutoConverge: true });
    expect(r.problems).toEqual([
      'MigrationPolicy databases spec.completionTimeoutPerGiB: -5 is not a whole number from 0 up; 150 is used instead until it is corrected',
    ]);
  });
});
