/** Admission checks of VirtualMachineClone: it names what to clone, and its target is a VM. */
import { defineRule, type Rule } from '../../validation/rule';
import { error, show, type Issue } from '../../validation/issue';
import { dig, record } from '../../validation/readers';
import { typedRefIssues } from '../../validation/typed-ref';
import { jsonPatchIssues } from '../../validation/json-patch';

const MAC = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;

export const cloneSourceTarget = defineRule<unknown>({
  id: 'clone.source-target',
  summary:
    'A VirtualMachineClone names a VirtualMachine or VirtualMachineSnapshot to clone, and any target is a VirtualMachine.',
  check(object) {
    const rule = 'clone.source-target';
    if (dig(object, 'spec') === undefined) return [];
    const issues: Issue[] = typedRefIssues(
      dig(object, 'spec', 'source'),
      'spec.source',
      'the clone source',
      [
        { kind: 'VirtualMachine', apiGroup: 'kubevirt.io' },
        { kind: 'VirtualMachineSnapshot', apiGroup: 'snapshot.kubevirt.io' },
      ],
      rule,
    );
    const target = dig(object, 'spec', 'target');
    if (target !== undefined && target !== null) {
      issues.push(
        ...typedRefIssues(
          target,
          'spec.target',
          'the clone target',
          [{ kind: 'VirtualMachine', apiGroup: 'kubevirt.io' }],
          rule,
        ),
      );
      const sourceName = dig(object, 'spec', 'source', 'name');
      if (
        dig(object, 'spec', 'source', 'kind') === 'VirtualMachine' &&
        sourceName !== undefined &&
        dig(target, 'name') === sourceName
      ) {
        issues.push(
          error(
            'spec.target.name',
            `the clone target ${show(sourceName)} is the source VM itself; give the new VM another name`,
            rule,
          ),
        );
      }
    }
    return issues;
  },
});

export const cloneOverrides = defineRule<unknown>({
  id: 'clone.overrides',
  summary: 'newMacAddresses holds MAC addresses and patches are JSON Patch operations.',
  check(object) {
    const rule = 'clone.overrides';
    const issues: Issue[] = [];
    const macs = record(dig(object, 'spec', 'newMacAddresses'));
    for (const [iface, mac] of Object.entries(macs ?? {})) {
      if (typeof mac === 'string' && !MAC.test(mac)) {
        issues.push(
          error(
            `spec.newMacAddresses.${iface}`,
            `${show(mac)} is not a MAC address; write six hex pairs such as 02:00:00:00:be:af`,
            rule,
          ),
        );
      }
    }
    issues.push(...jsonPatchIssues(dig(object, 'spec', 'patches'), 'spec.patches', rule));
    return issues;
  },
});

export const cloneRules: readonly Rule[] = [cloneSourceTarget, cloneOverrides];
