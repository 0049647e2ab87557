/**
 * The migration settings in effect for one migration (KubeVirt defaults merged with a
 * matching MigrationPolicy), as reported in status.migrationState.migrationConfiguration.
 */
import { Obj, Opt, Str, Bool, Int32, Int64, Enum, Quantity, type Static } from '../../schema/dsl';

export const StallDetectorOptions = Obj('Tuning of how a stalled migration is detected (experimental).', {
  stallMargin: Opt(
    Int64(
      'Tolerance, in percent, when remaining bytes are compared with the best value seen; defaults to 4.',
      { minimum: 0, maximum: 100 },
    ),
  ),
  ewmaAlpha: Opt(Quantity('Smoothing factor, in (0, 1], of the bandwidth moving average; defaults to 0.4.')),
  stallProgressTimeout: Opt(
    Int64('Length in seconds of the window used to spot missing progress; defaults to 40.', { minimum: 0 }),
  ),
  switchoverTimeout: Opt(
    Int64(
      'Seconds a stop-and-copy or post-copy switchover may take before the migration is aborted; defaults to 60.',
      { minimum: 0 },
    ),
  ),
  precopyPossibleFactor: Opt(
    Quantity(
      'How far estimated downtime may exceed the maximum while a soft switchover is still tried; defaults to 1.5.',
    ),
  ),
  patienceWindowDecayFactor: Opt(
    Quantity('Factor applied to the patience window after each relaxation step; defaults to 0.5.'),
  ),
  searchLocalMinima: Opt(
    Bool('Wait for remaining bytes to reach a local minimum before acting; defaults to true.'),
  ),
  completionTimeoutFactor: Opt(
    Quantity('Multiplier of the completion timeout used to decide on a forced switchover; defaults to 2.'),
  ),
});
export type StallDetectorOptions = Static<typeof StallDetectorOptions>;

export const DowntimeTuningOptions = Obj(
  'Gradual raising of the allowed downtime to help a migration converge (experimental).',
  {
    initialMs: Opt(
      Int64('Allowed downtime, in milliseconds, at the start; defaults to 150.', { minimum: 1 }),
    ),
    steps: Opt(Int32('Number of equal steps up to the cluster maximum; defaults to 7.', { minimum: 1 })),
    startAfterIteration: Opt(
      Int64('Memory copy iteration after which tuning starts; defaults to 3.', { minimum: 1 }),
    ),
    cooldownSeconds: Opt(Int32('Minimum seconds between two increases; defaults to 10.', { minimum: 1 })),
  },
);
export type DowntimeTuningOptions = Static<typeof DowntimeTuningOptions>;

export const MIGRATION_COMPRESSIONS = ['none', 'zstd'] as const;

export const ExperimentalMigrationOptions = Obj('Experimental migration tunables; expect them to change.', {
  stallDetector: Opt(StallDetectorOptions),
  downtimeTuning: Opt(DowntimeTuningOptions),
  compression: Opt(Enum('Compression of the migration stream; unset means none.', MIGRATION_COMPRESSIONS)),
});
export type ExperimentalMigrationOptions = Static<typeof ExperimentalMigrationOptions>;

export const VMIMConfigurationOptions = Obj('The migration settings applied to this migration.', {
  nodeDrainTaintKey: Opt(Str('Taint key that marks a node to drain; defaults to kubevirt.io/drain.')),
  parallelOutboundMigrationsPerNode: Opt(
    Int64('Maximum outgoing migrations per node; defaults to 2.', { minimum: 0 }),
  ),
  parallelMigrationsPerCluster: Opt(
    Int64('Maximum migrations in the cluster; defaults to 5.', { minimum: 0 }),
  ),
  allowAutoConverge: Opt(
    Bool('Let QEMU throttle the guest CPU so the migration converges; defaults to false.'),
  ),
  bandwidthPerMigration: Opt(Quantity('Bandwidth cap per migration, per second; 0 means unlimited.')),
  completionTimeoutPerGiB: Opt(
    Int64(
      'Seconds allowed per GiB of guest memory before the migration is cancelled or switched; defaults to 150.',
    ),
  ),
  maxDowntimeMs: Opt(
    Int64(
      "Longest guest pause tolerated at switchover, in milliseconds; unset leaves QEMU's own limit, 300 (KubeVirt sets none unless given).",
      {
        minimum: 1,
        maximum: 2000000,
      },
    ),
  ),
  progressTimeout: Opt(
    Int64('Seconds without transferred data before the migration is cancelled; defaults to 150.'),
  ),
  utilityVolumesTimeout: Opt(
    Int64('Seconds a migration waits for utility volumes to detach before failing; defaults to 150.'),
  ),
  unsafeMigrationOverride: Opt(
    Bool('Migrate even when the compatibility check calls it unsafe; defaults to false.'),
  ),
  allowPostCopy: Opt(Bool('Switch to post-copy when the completion timeout is reached; defaults to false.')),
  allowWorkloadDisruption: Opt(
    Bool('Pause the guest or use post-copy instead of cancelling a migration that runs too long.'),
  ),
  disableTLS: Opt(Bool('Send migration traffic without TLS; defaults to false.')),
  network: Opt(Str('Name of a dedicated migration network; by default the pod network is used.')),
  matchSELinuxLevelOnMigration: Opt(
    Bool('Let the target pod get its own SELinux level instead of the source one.'),
  ),
  experimental: Opt(ExperimentalMigrationOptions),
});
export type VMIMConfigurationOptions = Static<typeof VMIMConfigurationOptions>;
