/** Admission checks of the snapshot group: a snapshot names its VM, a restore its snapshot and target. */
import { defineRule, type Rule } from '../../validation/rule';
import { error, show, type Issue } from '../../validation/issue';
import { dig, has, list, record, records, text } from '../../validation/readers';
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
    return issues;
  },
});

/** Where a restore's patches may write (KubeVirt's vmrestore admitter): the new VM's spec, labels and annotations. */
const RESTORE_PATCH_PREFIXES = ['/spec/', '/metadata/labels/', '/metadata/annotations/'];

export const restorePatches = defineRule<unknown>({
  id: 'restore.patches',
  summary:
    'Each of spec.patches is one JSON Patch operation on the new VM, under /spec/, /metadata/labels/ or /metadata/annotations/.',
  check(object) {
    const rule = 'restore.patches';
    const patches = dig(object, 'spec', 'patches');
    const issues = jsonPatchIssues(patches, 'spec.patches', rule);
    const malformed = new Set(issues.map((i) => i.path));
    list(patches).forEach((entry, i) => {
      const at = `spec.patches[${i}]`;
      if (typeof entry !== 'string' || malformed.has(at)) return;
      const op = record(JSON.parse(entry) as unknown);
      // KubeVirt reads only "path"; a move also removes what its "from" names, so it is held to the same bounds.
      const pointers: [string, unknown][] = [['path', op?.path]];
      if (op?.op === 'move') pointers.push(['from', op.from]);
      for (const [key, pointer] of pointers) {
        if (typeof pointer !== 'string' || RESTORE_PATCH_PREFIXES.some((p) => pointer.startsWith(p)))
          continue;
        issues.push(
          error(
            at,
            `patching is valid only for elements under /spec/ only: "${key}": ${show(pointer)}; a restore may patch the VM it creates under /spec/..., /metadata/labels/... or /metadata/annotations/... (its name is spec.target.name)`,
            rule,
          ),
        );
      }
    });
    // In the order of the entries (Array.prototype.sort is stable).
    const index = (i: Issue): number => Number(/\[(\d+)\]$/.exec(i.path)?.[1] ?? 0);
    return issues.sort((a, b) => index(a) - index(b));
  },
});

export const restoreVolumeOverrides = defineRule<unknown>({
  id: 'restore.volume-restore-overrides',
  summary:
    'Each of spec.volumeRestoreOverrides names a volume and changes at least one of restoreName, labels and annotations.',
  check(object) {
    const rule = 'restore.volume-restore-overrides';
    const issues: Issue[] = [];
    records(dig(object, 'spec', 'volumeRestoreOverrides')).forEach((o, i) => {
      const at = `spec.volumeRestoreOverrides[${i}]`;
      const volume = text(o.volumeName);
      if (!volume)
        issues.push(
          error(
            `${at}.volumeName`,
            'must provide a volume name; set volumeName to the name of a volume in the snapshot (spec.template.spec.volumes[].name of the VM it was taken from)',
            rule,
          ),
        );
      // "overriden" is KubeVirt's spelling; an empty labels or annotations map counts as given, as there.
      if (!text(o.restoreName) && !has(o, 'labels') && !has(o, 'annotations'))
        issues.push(
          error(
            at,
            `must provide at least one overriden field; give ${volume ? `volume ${show(volume)}` : 'this override'} a restoreName, labels or annotations, or remove the entry`,
            rule,
          ),
        );
    });
    return issues;
  },
});

export const snapshotRules: readonly Rule[] = [
  snapshotSource,
  snapshotOverlayScratchSize,
  snapshotFailureDeadline,
];
export const restoreRules: readonly Rule[] = [restoreTarget, restorePatches, restoreVolumeOverrides];
