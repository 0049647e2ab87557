/** Admission checks of the snapshot group: a snapshot names its VM, a restore its snapshot and target. */
import { defineRule, type Rule } from '../../validation/rule';
import { error, type Issue } from '../../validation/issue';
import { dig, text } from '../../validation/readers';
import { typedRefIssues, type AllowedRef } from '../../validation/typed-ref';
import { jsonPatchIssues } from '../../validation/json-patch';
import { parseGoDuration } from '../../kubevirt/v1/vmi-subresources';

const VIRTUAL_MACHINE: AllowedRef = { kind: 'VirtualMachine', apiGroup: 'kubevirt.io' };

export const snapshotSource = defineRule<unknown>({
  id: 'snapshot.source',
  summary: 'A VirtualMachineSnapshot names the VirtualMachine to snapshot.',
  check(object) {
    if (dig(object, 'spec') === undefined) return [];
    return typedRefIssues(
      dig(object, 'spec', 'source'),
      'spec.source',
      'the snapshot source',
      [VIRTUAL_MACHINE],
      'snapshot.source',
    );
  },
});

export const snapshotOverlayScratchSize = defineRule<unknown>({
  id: 'snapshot.overlay-scratch-size',
  summary: 'overlayScratchSize is only used by External mode snapshots.',
  check(object) {
    const size = dig(object, 'spec', 'overlayScratchSize');
    if (size === undefined || dig(object, 'spec', 'snapshotMode') === 'External') return [];
    return [
      error(
        'spec.overlayScratchSize',
        'overlayScratchSize is only used when snapshotMode is External; set spec.snapshotMode: External or remove spec.overlayScratchSize',
        'snapshot.overlay-scratch-size',
      ),
    ];
  },
});

export const snapshotFailureDeadline = defineRule<unknown>({
  id: 'snapshot.failure-deadline',
  summary: 'failureDeadline is a duration (metav1.Duration), such as 5m0s; 0s for none.',
  check(object) {
    const deadline = dig(object, 'spec', 'failureDeadline');
    // Not a string at all is the schema's to say.
    if (typeof deadline !== 'string' || parseGoDuration(deadline) !== undefined) return [];
    return [
      error(
        'spec.failureDeadline',
        `failureDeadline ${JSON.stringify(deadline)} is not a duration; write it as Go does, such as 5m0s, 90s or 1h (0s: no deadline)`,
        'snapshot.failure-deadline',
      ),
    ];
  },
});

export const restoreTarget = defineRule<unknown>({
  id: 'restore.target',
  summary: 'A VirtualMachineRestore names its snapshot and the VirtualMachine to restore onto.',
  check(object) {
    const rule = 'restore.target';
    if (dig(object, 'spec') === undefined) return [];
    const issues: Issue[] = typedRefIssues(
      dig(object, 'spec', 'target'),
      'spec.target',
      'the restore target',
      [VIRTUAL_MACHINE],
      rule,
    );
    if (!text(dig(object, 'spec', 'virtualMachineSnapshotName'))) {
      issues.push(
        error(
          'spec.virtualMachineSnapshotName',
          'the restore names no snapshot; set spec.virtualMachineSnapshotName to a VirtualMachineSnapshot in the same namespace',
          rule,
        ),
      );
    }
    issues.push(...jsonPatchIssues(dig(object, 'spec', 'patches'), 'spec.patches', rule));
    return issues;
  },
});

export const snapshotRules: readonly Rule[] = [
  snapshotSource,
  snapshotOverlayScratchSize,
  snapshotFailureDeadline,
];
export const restoreRules: readonly Rule[] = [restoreTarget];
