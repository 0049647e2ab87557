/**
 * A VirtualMachine with its instancetype and preference applied, as KubeVirt's expand-spec
 * returns it: `spec.template` carries what the instancetype imposes and what the preference
 * fills in, and `spec.instancetype` / `spec.preference` are gone, so the result stands on its
 * own. A VM that references neither comes back as it is. A VM field the instancetype also sets
 * refuses the expansion with KubeVirt's message ("VM field(s) ... conflicts with selected
 * instance type"); the preference's requirements are KubeVirt's admission check, not part of
 * its expand-spec, and are checked here only when asked (`checkRequirements`).
 *
 * The caller resolves the references (./references.ts says which object each names) and passes
 * the specs; nothing here does I/O, and the inputs are never modified.
 *
 * What KubeVirt's expansion does besides, and virtkit does too: a disk for every volume without
 * one and the implicit pod interface are made explicit first (./implicit-devices.ts), so the
 * preference's disk and interface settings reach them; the preferred architecture and storage
 * class are applied as KubeVirt's mutating webhook would have. What it does and virtkit does not:
 * KubeVirt then writes its cluster defaults into the template (machine type, architecture, image
 * pull policies, CPU and memory defaults...); virtkit writes no defaults into a spec, and its
 * runtime applies the same ones where it needs them. Empty objects Go would print (`acpi: {}`,
 * `bootloader: {}`) are left out, and quantities stay as written.
 */
import type { VirtualMachine } from '../../kubevirt/v1/vm-kind';
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { VirtualMachineInstancetypeSpec } from '../v1beta1/instancetype';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { conflictProblem, conflictsMessage, type ExpansionProblem } from './conflicts';
import { addDefaultPodInterface, addDefaultVolumeDisks } from './implicit-devices';
import { applyInstancetype, type TemplateMetadata } from './instancetype-apply';
import { applyPreference, applyStorageClassPreference } from './preference-apply';
import { checkPreferenceRequirements, DEFAULT_ARCHITECTURE } from './requirements';
import { describeReference, resolveReference, type ReferenceField } from './references';

/** The specs of the objects the VM references, already fetched. */
export interface ResolvedSpecs {
  readonly instancetype?: VirtualMachineInstancetypeSpec;
  readonly preference?: VirtualMachinePreferenceSpec;
}

export interface ExpandOptions {
  /** Also refuse a VM that does not meet the preference's requirements. @default false (as expand-spec) */
  readonly checkRequirements?: boolean;
  /** The architecture of a VM that names none, for the architecture requirement. @default 'amd64' */
  readonly defaultArchitecture?: string;
}

export type ExpansionResult =
  | { readonly ok: true; readonly vm: VirtualMachine }
  | {
      readonly ok: false;
      /** KubeVirt's message for the refusal (what its API answers). */
      readonly message: string;
      /** Every problem, each with its field, value and fix. */
      readonly problems: readonly ExpansionProblem[];
    };

/** Whether the VM references an instancetype or a preference at all. */
export function referencesInstancetypeOrPreference(vm: VirtualMachine): boolean {
  return !!vm.spec?.instancetype || !!vm.spec?.preference;
}

function unresolved(vm: VirtualMachine, specs: ResolvedSpecs): ExpansionProblem[] {
  const problems: ExpansionProblem[] = [];
  for (const field of ['instancetype', 'preference'] as const) {
    if (!vm.spec?.[field] || specs[field]) continue;
    const { ref, error } = resolveReference(vm, field);
    const summary = error ?? `the ${describeReference(ref!)} referenced by spec.${field} was not resolved`;
    problems.push({
      kind: 'Unresolved',
      field: `spec.${field}`,
      summary,
      message: error ? summary : `${summary}; create it or fix spec.${field}`,
    });
  }
  return problems;
}

function who(vm: VirtualMachine, field: ReferenceField): string {
  const { ref } = resolveReference(vm, field);
  return ref ? `the ${describeReference(ref)}` : 'the instance type';
}

/** The template of a copy of the VM, with the spec, domain and devices every step writes to. */
function templateOf(copy: VirtualMachine): { spec: VirtualMachineInstanceSpec; metadata: TemplateMetadata } {
  const template = (copy.spec.template ??= {});
  const spec = (template.spec ??= { domain: { devices: {} } });
  spec.domain ??= { devices: {} };
  spec.domain.devices ??= {};
  return { spec, metadata: { annotations: template.metadata?.annotations } };
}

/** Applies the metadata the steps wrote back to the template (only when there are annotations). */
function writeMetadata(copy: VirtualMachine, metadata: TemplateMetadata): void {
  if (!metadata.annotations) return;
  const template = copy.spec.template;
  template.metadata = { ...template.metadata, annotations: metadata.annotations };
}

function conflictsOf(
  vm: VirtualMachine,
  specs: ResolvedSpecs,
): { copy: VirtualMachine; problems: ExpansionProblem[] } {
  const copy = structuredClone(vm);
  const { spec, metadata } = templateOf(copy);
  addDefaultVolumeDisks(spec);
  addDefaultPodInterface(spec);
  if (specs.instancetype) {
    const conflicts = applyInstancetype(
      specs.instancetype,
      specs.preference,
      spec,
      metadata,
      who(vm, 'instancetype'),
    );
    if (conflicts.length) return { copy, problems: conflicts.map(conflictProblem) };
  }
  if (specs.preference) {
    applyPreference(specs.preference, spec, metadata);
    applyStorageClassPreference(specs.preference, copy.spec.dataVolumeTemplates);
  }
  writeMetadata(copy, metadata);
  return { copy, problems: [] };
}

function requirementProblems(
  vm: VirtualMachine,
  specs: ResolvedSpecs,
  options: ExpandOptions,
): ExpansionProblem[] {
  const problem = checkPreferenceRequirements(
    specs.instancetype,
    specs.preference,
    vm.spec?.template?.spec ?? { domain: { devices: {} } },
    options.defaultArchitecture ?? DEFAULT_ARCHITECTURE,
  );
  return problem ? [problem] : [];
}

/**
 * The VM expanded with the instancetype and preference specs it references (see the file's
 * comment), or KubeVirt's refusal with every problem. The VM and the specs are not modified.
 */
export function expandVirtualMachine(
  vm: VirtualMachine,
  specs: ResolvedSpecs,
  options: ExpandOptions = {},
): ExpansionResult {
  if (!referencesInstancetypeOrPreference(vm)) return { ok: true, vm: structuredClone(vm) };
  const missing = unresolved(vm, specs);
  if (missing.length) return { ok: false, message: missing[0].summary, problems: missing };
  const { copy, problems } = conflictsOf(vm, specs);
  if (problems.length) return { ok: false, message: conflictsMessage(problems), problems };
  if (options.checkRequirements) {
    const failed = requirementProblems(vm, specs, options);
    if (failed.length) return { ok: false, message: failed[0].summary, problems: failed };
  }
  delete copy.spec.instancetype;
  delete copy.spec.preference;
  return { ok: true, vm: copy };
}

/**
 * Everything that keeps the VM from running with what it references, as `{field, message}`
 * problems for callers that report rather than refuse (the VM's status conditions): an
 * unresolved reference, every conflict with the instancetype, and the first preference
 * requirement not met. Empty when the VM expands cleanly.
 */
export function expansionProblems(
  vm: VirtualMachine,
  specs: ResolvedSpecs,
  options: Omit<ExpandOptions, 'checkRequirements'> = {},
): ExpansionProblem[] {
  if (!referencesInstancetypeOrPreference(vm)) return [];
  const missing = unresolved(vm, specs);
  if (missing.length) return missing;
  return [...conflictsOf(vm, specs).problems, ...requirementProblems(vm, specs, options)];
}
