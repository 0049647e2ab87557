/** migrations.kubevirt.io/v1alpha1 MigrationPolicy: migration settings for a selected set of VMIs. */
import { Obj, Opt, Bool, Int64, Quantity, StringMap, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';

export const Selectors = Obj('Which VMIs the policy applies to; both selectors must match.', {
  namespaceSelector: Opt(StringMap('Labels the namespace of the VMI must carry.')),
  virtualMachineInstanceSelector: Opt(StringMap('Labels the VMI must carry.')),
});
export type Selectors = Static<typeof Selectors>;

export const MigrationPolicySpec = Obj(
  'Selectors and the migration settings they get; unset settings keep the cluster-wide values.',
  {
    selectors: Selectors,
    allowAutoConverge: Opt(Bool('Let QEMU throttle the guest CPU so the migration converges.')),
    bandwidthPerMigration: Opt(
      Quantity('Bandwidth cap per migration, per second, for example 64Mi; 0 means unlimited.'),
    ),
    completionTimeoutPerGiB: Opt(
      Int64(
        'Seconds allowed per GiB of guest memory before the migration is cancelled or switched to post-copy.',
      ),
    ),
    allowPostCopy: Opt(Bool('Switch to post-copy when the completion timeout is reached.')),
    allowWorkloadDisruption: Opt(
      Bool('Pause the guest or use post-copy instead of cancelling a migration that runs too long.'),
    ),
  },
);
export type MigrationPolicySpec = Static<typeof MigrationPolicySpec>;

export const MigrationPolicyStatus = Obj('Observed state of the policy (empty for now).', {});
export type MigrationPolicyStatus = Static<typeof MigrationPolicyStatus>;

export interface MigrationPolicy {
  apiVersion: 'migrations.kubevirt.io/v1alpha1';
  kind: 'MigrationPolicy';
  metadata?: ObjectMeta;
  spec: MigrationPolicySpec;
  status?: MigrationPolicyStatus | null;
}
