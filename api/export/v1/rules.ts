/** Admission checks of VirtualMachineExport: it names what to export, and its TTL is a duration. */
import { defineRule, type Rule } from '../../validation/rule';
import { error, show, type Issue } from '../../validation/issue';
import { dig } from '../../validation/readers';
import { typedRefIssues } from '../../validation/typed-ref';

/** Go's time.ParseDuration syntax: one or more number+unit pairs, such as 1h30m or 90s. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export const exportSource = defineRule<unknown>({
  id: 'export.source',
  summary: 'A VirtualMachineExport names a VirtualMachine, VirtualMachineSnapshot or PersistentVolumeClaim.',
  check(object) {
    const rule = 'export.source';
    if (dig(object, 'spec') === undefined) return [];
    const issues: Issue[] = typedRefIssues(
      dig(object, 'spec', 'source'),
      'spec.source',
      'the export source',
      [
        { kind: 'VirtualMachine', apiGroup: 'kubevirt.io' },
        { kind: 'VirtualMachineSnapshot', apiGroup: 'snapshot.kubevirt.io' },
        { kind: 'PersistentVolumeClaim', apiGroup: '' },
      ],
      rule,
    );
    const ttl = dig(object, 'spec', 'ttlDuration');
    if (typeof ttl === 'string' && !GO_DURATION.test(ttl)) {
      issues.push(
        error(
          'spec.ttlDuration',
          `ttlDuration ${show(ttl)} is not a duration; write it like 2h, 90m or 1h30m`,
          rule,
        ),
      );
    }
    return issues;
  },
});

export const exportRules: readonly Rule[] = [exportSource];
