/**
 * Checks of the snapshot.storage.k8s.io/v1 kinds the schema cannot say by itself, in virtkit's
 * words (the CRDs publish the same as CEL rules, which the API server checks).
 */
import { defineRule, type Rule } from '../../validation/rule';
import { error, type Issue } from '../../validation/issue';
import { dig, text } from '../../validation/readers';

/** Exactly one of two members of `spec.source` is set. */
function oneSourceIssues(
  object: unknown,
  members: readonly [string, string],
  meaning: readonly [string, string],
  rule: string,
): Issue[] {
  const source = dig(object, 'spec', 'source');
  if (source === undefined || source === null || typeof source !== 'object') return [];
  const set = members.filter((m) => dig(source, m) !== undefined);
  if (set.length === 1) return [];
  const [a, b] = members;
  return [
    error(
      'spec.source',
      set.length === 0
        ? `spec.source sets neither ${a} nor ${b}; set ${a} (${meaning[0]}) or ${b} (${meaning[1]})`
        : `spec.source sets both ${a} and ${b}; keep only one: ${a} (${meaning[0]}) or ${b} (${meaning[1]})`,
      rule,
    ),
  ];
}

export const volumeSnapshotSource = defineRule<unknown>({
  id: 'volumesnapshot.source',
  summary: 'A VolumeSnapshot names either the claim to snapshot or the content of an existing snapshot.',
  check: (object) =>
    oneSourceIssues(
      object,
      ['persistentVolumeClaimName', 'volumeSnapshotContentName'],
      ['to take a new snapshot of a claim', 'to use a snapshot that exists'],
      'volumesnapshot.source',
    ),
});

export const volumeSnapshotContentSource = defineRule<unknown>({
  id: 'volumesnapshotcontent.source',
  summary: 'A VolumeSnapshotContent is made from either a volume or an existing snapshot.',
  check: (object) =>
    oneSourceIssues(
      object,
      ['volumeHandle', 'snapshotHandle'],
      ['a volume to take the snapshot of', 'a snapshot that exists on the storage'],
      'volumesnapshotcontent.source',
    ),
});

export const volumeSnapshotContentRef = defineRule<unknown>({
  id: 'volumesnapshotcontent.ref',
  summary: 'A VolumeSnapshotContent names the VolumeSnapshot it is bound to (name and namespace).',
  check(object) {
    const ref = dig(object, 'spec', 'volumeSnapshotRef');
    if (ref === undefined || ref === null || typeof ref !== 'object') return [];
    const issues: Issue[] = [];
    for (const f of ['name', 'namespace'])
      if (!text(dig(ref, f)))
        issues.push(
          error(
            `spec.volumeSnapshotRef.${f}`,
            `spec.volumeSnapshotRef.${f} is missing; set it to the ${f} of the VolumeSnapshot this content belongs to`,
            'volumesnapshotcontent.ref',
          ),
        );
    return issues;
  },
});

export const volumeSnapshotRules: readonly Rule[] = [volumeSnapshotSource];
export const volumeSnapshotContentRules: readonly Rule[] = [
  volumeSnapshotContentSource,
  volumeSnapshotContentRef,
];
