/** Admission checks of VirtualMachineClone: it names what to clone, and its target is a VM. */
import { defineRule, type Rule } from '../../validation/rule';
import { error, show, type Issue } from '../../validation/issue';
import { dig, record } from '../../validation/readers';
import { typedRefIssues } from '../../validation/typed-ref';
import { jsonPatchIssues } from '../../validation/json-patch';
import { cloneFilterLists, cloneFilterProblem, clonePatchPathProblem } from './filters';

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

export const cloneFilters = defineRule<unknown>({
  id: 'clone.filters',
  summary:
    'Label and annotation filters end in at most one "*" and begin with at most one "!"; patches write only the new VM\'s spec, labels and annotations.',
  check(object) {
    const rule = 'clone.filters';
    const spec = record(dig(object, 'spec'));
    if (!spec) return [];
    const issues: Issue[] = [];
    const strings = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    const template = record(spec.template);
    for (const [field, filters] of cloneFilterLists({
      labelFilters: strings(spec.labelFilters),
      annotationFilters: strings(spec.annotationFilters),
      template: {
        labelFilters: strings(template?.labelFilters),
        annotationFilters: strings(template?.annotationFilters),
      },
    }))
      (filters ?? []).forEach((f, i) => {
        const problem = cloneFilterProblem(f);
        if (problem) issues.push(error(`${field}[${i}]`, problem, rule));
      });
    (Array.isArray(spec.patches) ? spec.patches : []).forEach((p, i) => {
      if (typeof p !== 'string') return;
      let path: unknown;
      try {
        path = (JSON.parse(p) as { path?: unknown }).path;
      } catch {
        return; // clone.overrides says it is not JSON
      }
      const problem = clonePatchPathProblem(path);
      if (problem) issues.push(error(`spec.patches[${i}]`, problem, rule));
    });
    return issues;
  },
});

export const cloneRules: readonly Rule[] = [cloneSourceTarget, cloneOverrides, cloneFilters];
