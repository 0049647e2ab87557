/** Admission checks of MigrationPolicy. */
import { defineRule, type Rule } from '../../validation/rule';
import { error, show } from '../../validation/issue';
import { dig, record } from '../../validation/readers';

export const migrationPolicySelectors = defineRule<unknown>({
  id: 'migrationpolicy.selectors',
  summary: 'A MigrationPolicy selects VMIs through at least one non-empty selector.',
  check(object) {
    const rule = 'migrationpolicy.selectors';
    const selectors = record(dig(object, 'spec', 'selectors'));
    if (!selectors) return [];
    const count = (v: unknown) => Object.keys(record(v) ?? {}).length;
    if (count(selectors.namespaceSelector) + count(selectors.virtualMachineInstanceSelector) === 0) {
      return [
        error(
          'spec.selectors',
          'both selectors are empty, so the policy would apply to every VMI in the cluster; set spec.selectors.namespaceSelector or spec.selectors.virtualMachineInstanceSelector to the labels to match',
          rule,
        ),
      ];
    }
    return [];
  },
});

export const migrationPolicyValues = defineRule<unknown>({
  id: 'migrationpolicy.values',
  summary: 'Timeouts and bandwidth are not negative.',
  check(object) {
    const rule = 'migrationpolicy.values';
    const timeout = dig(object, 'spec', 'completionTimeoutPerGiB');
    if (typeof timeout === 'number' && timeout < 0) {
      return [
        error(
          'spec.completionTimeoutPerGiB',
          `completionTimeoutPerGiB ${show(timeout)} is negative; use a number of seconds such as 150`,
          rule,
        ),
      ];
    }
    const bandwidth = dig(object, 'spec', 'bandwidthPerMigration');
    if (
      (typeof bandwidth === 'string' && bandwidth.trim().startsWith('-')) ||
      (typeof bandwidth === 'number' && bandwidth < 0)
    ) {
      return [
        error(
          'spec.bandwidthPerMigration',
          `bandwidthPerMigration ${show(bandwidth)} is negative; use a quantity such as 64Mi, or 0 for no limit`,
          rule,
        ),
      ];
    }
    return [];
  },
});

export const migrationPolicyRules: readonly Rule[] = [migrationPolicySelectors, migrationPolicyValues];
