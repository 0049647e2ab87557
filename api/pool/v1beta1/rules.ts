/** Admission checks of VirtualMachinePool: its selector must select the VMs it creates. */
import { checkVmSpec } from '../../kubevirt/v1/rules/vm';
import { defineRule, type Rule } from '../../validation/rule';
import { error, show, type Issue } from '../../validation/issue';
import { dig, list, record } from '../../validation/readers';

function requirementHolds(labels: Record<string, unknown>, req: Record<string, unknown>): boolean {
  const key = String(req.key);
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  const values = list(req.values).map(String);
  switch (req.operator) {
    case 'In':
      return has && values.includes(String(labels[key]));
    case 'NotIn':
      return !has || !values.includes(String(labels[key]));
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return true; // an unknown operator is the API server's to reject, not a mismatch
  }
}

export const poolSelectorMatchesTemplate = defineRule<unknown>({
  id: 'pool.selector-matches-template',
  summary: 'spec.selector matches the labels of spec.virtualMachineTemplate.metadata.labels.',
  check(object) {
    const rule = 'pool.selector-matches-template';
    const selector = record(dig(object, 'spec', 'selector'));
    if (!selector) return [];
    const labels = record(dig(object, 'spec', 'virtualMachineTemplate', 'metadata', 'labels')) ?? {};
    const issues: Issue[] = [];
    const matchLabels = record(selector.matchLabels) ?? {};
    const matchExpressions = list(selector.matchExpressions);
    if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) {
      return [
        error(
          'spec.selector',
          'the selector is empty and would select every VM in the namespace; set spec.selector.matchLabels to labels of spec.virtualMachineTemplate.metadata.labels',
          rule,
        ),
      ];
    }
    for (const [key, value] of Object.entries(matchLabels)) {
      if (labels[key] !== value) {
        issues.push(
          error(
            `spec.selector.matchLabels["${key}"]`,
            `selector label ${key}=${show(value)} is not on the template (spec.virtualMachineTemplate.metadata.labels has ${show(labels[key] ?? null)}); the pool would never see its own VMs, add the label to the template`,
            rule,
          ),
        );
      }
    }
    matchExpressions.forEach((expr, i) => {
      const req = record(expr);
      if (req && !requirementHolds(labels, req)) {
        issues.push(
          error(
            `spec.selector.matchExpressions[${i}]`,
            `selector requirement ${show(req)} does not hold for the template labels ${show(labels)}; change the requirement or the template labels`,
            rule,
          ),
        );
      }
    });
    return issues;
  },
});

export const poolStrategies = defineRule<unknown>({
  id: 'pool.one-strategy',
  summary:
    'scaleInStrategy and updateStrategy each set at most one of unmanaged, opportunistic and proactive.',
  check(object) {
    const rule = 'pool.one-strategy';
    const issues: Issue[] = [];
    for (const name of ['scaleInStrategy', 'updateStrategy']) {
      const strategy = record(dig(object, 'spec', name));
      const set = Object.keys(strategy ?? {}).filter(
        (k) => strategy?.[k] !== undefined && strategy?.[k] !== null,
      );
      if (set.length > 1)
        issues.push(
          error(`spec.${name}`, `spec.${name} sets ${set.join(' and ')}; choose one of them`, rule),
        );
    }
    return issues;
  },
});

/** The member VM spec gets every VirtualMachine admission rule, at its own path. */
const poolVmTemplate = defineRule<unknown>({
  id: 'pool.vm-template',
  summary: 'the VirtualMachine template of a pool passes the VirtualMachine rules',
  check: (pool) =>
    checkVmSpec(dig(pool, 'spec', 'virtualMachineTemplate', 'spec'), 'spec.virtualMachineTemplate.spec'),
});

export const poolRules: readonly Rule[] = [poolSelectorMatchesTemplate, poolStrategies, poolVmTemplate];
