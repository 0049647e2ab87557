/** KubeVirt's admission rules for a VirtualMachine (and VM templates in pools). */
import { error, type Issue } from '../../../validation/issue';
import { dig, has, record, records, str, type Json } from '../../../validation/readers';
import { checkVmiSpec } from './vmi-spec';
import { RUN_STRATEGIES, RUNNING_AND_RUN_STRATEGY_EXCLUSIVE } from '../vm';

export { RUN_STRATEGIES };

/** VM template fields an instancetype always provides; setting them too is a conflict. */
export const INSTANCETYPE_OWNED_FIELDS: readonly (readonly string[])[] = [
  ['domain', 'cpu', 'sockets'],
  ['domain', 'cpu', 'cores'],
  ['domain', 'cpu', 'threads'],
  ['domain', 'cpu', 'dedicatedCpuPlacement'],
  ['domain', 'memory', 'guest'],
  ['domain', 'resources', 'requests', 'cpu'],
  ['domain', 'resources', 'requests', 'memory'],
  ['domain', 'resources', 'limits', 'cpu'],
  ['domain', 'resources', 'limits', 'memory'],
];

export function checkRunStrategy(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const hasRunning = spec.running !== undefined && spec.running !== null;
  const hasStrategy = spec.runStrategy !== undefined && spec.runStrategy !== null;
  if (hasRunning && hasStrategy) {
    issues.push(error(`${base}.running`, RUNNING_AND_RUN_STRATEGY_EXCLUSIVE, 'vm.run-strategy-exclusive'));
  }
  if (!hasRunning && !hasStrategy) {
    issues.push(
      error(
        `${base}.running`,
        'One of Running or RunStrategy must be specified; set spec.runStrategy, for example Always or Halted',
        'vm.run-strategy-required',
      ),
    );
  }
  const strategy = spec.runStrategy;
  if (hasStrategy && !(RUN_STRATEGIES as readonly unknown[]).includes(strategy)) {
    issues.push(
      error(
        `${base}.runStrategy`,
        `Invalid RunStrategy (${String(strategy)}); use one of ${RUN_STRATEGIES.join(', ')}`,
        'vm.run-strategy-value',
      ),
    );
  }
  return issues;
}

function checkDataVolumeTemplates(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const volumes = records(dig(spec, 'template', 'spec', 'volumes'));
  records(spec.dataVolumeTemplates).forEach((dv, i) => {
    const at = `${base}.dataVolumeTemplates[${i}]`;
    const name = str(dig(dv, 'metadata', 'name'));
    if (!name) {
      issues.push(
        error(
          `${at}.metadata.name`,
          `'name' field must not be empty for DataVolumeTemplate entry ${at}.`,
          'vm.datavolume-template-name',
        ),
      );
      return;
    }
    const referenced = volumes.some(
      (v) => dig(v, 'dataVolume', 'name') === name || dig(v, 'persistentVolumeClaim', 'claimName') === name,
    );
    if (!referenced) {
      issues.push(
        error(
          at,
          `DataVolumeTemplate entry ${at} must be referenced in the VMI template's 'volumes' list; add a volume with dataVolume: {name: ${name}}`,
          'vm.datavolume-template-unreferenced',
        ),
      );
    }
  });
  return issues;
}

function checkInstancetypeConflicts(spec: Json, base: string): Issue[] {
  if (!has(spec, 'instancetype')) return [];
  // An instancetype inferred from a volume is not known until the controller reads the volume's
  // labels; it checks the conflicts then (and with inferFromVolumeFailurePolicy Ignore the
  // template's own memory is the fallback KubeVirt keeps when nothing can be inferred).
  if (dig(spec, 'instancetype', 'inferFromVolume') !== undefined) return [];
  const templateSpec = dig(spec, 'template', 'spec');
  const conflicts = INSTANCETYPE_OWNED_FIELDS.filter((path) => dig(templateSpec, ...path) !== undefined).map(
    (path) => `${base}.template.spec.${path.join('.')}`,
  );
  return conflicts.map((p) =>
    error(
      p,
      `VM field(s) ${p} conflicts with selected instance type; remove it from the VM or choose another instance type`,
      'vm.instancetype-conflict',
    ),
  );
}

/** Every rule for a VirtualMachine spec at `base` (`spec` for a VM). */
export function checkVmSpec(specValue: unknown, base: string): Issue[] {
  const spec = record(specValue);
  if (!spec) return [];
  const issues: Issue[] = [...checkRunStrategy(spec, base)];
  if (!record(spec.template)) {
    issues.push(error(`${base}.template`, 'missing virtual machine template.', 'vm.template-required'));
    return issues;
  }
  issues.push(...checkDataVolumeTemplates(spec, base));
  issues.push(...checkInstancetypeConflicts(spec, base));
  issues.push(
    ...checkVmiSpec(dig(spec, 'template', 'spec'), `${base}.template.spec`, {
      requireMemory: !has(spec, 'instancetype'),
    }),
  );
  return issues;
}
