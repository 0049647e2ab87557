/**
 * Which object a VM's `spec.instancetype` or `spec.preference` names, KubeVirt's way: the kind
 * is matched without regard to case against the kind's singular and plural resource names
 * (`VirtualMachineInstancetype`, `virtualmachineinstancetypes`), and a matcher without a kind
 * means the cluster-wide kind. Anything else is KubeVirt's "got unexpected kind in
 * InstancetypeMatcher: KIND". Callers fetch the object (namespaced kinds from the VM's
 * namespace) and pass its spec to the expansion. Pure.
 *
 * Not followed here: `revisionName` and `inferFromVolume`. The VM controller follows both
 * (controller/vm/instancetype-sync.ts: it reads the ControllerRevisions it stored, and infers
 * the name from the volume's labels); expand-spec uses the objects themselves, and refuses a
 * matcher without a name with that said.
 */
import type { VirtualMachine } from '../../kubevirt/v1/vm-kind';
import {
  VirtualMachineClusterInstancetypeKind,
  VirtualMachineClusterPreferenceKind,
  VirtualMachineInstancetypeKind,
  VirtualMachinePreferenceKind,
} from '../v1beta1/kinds';
import type { KindDefinition } from '../../kind';
import { show } from '../../validation/issue';

export type ReferenceField = 'instancetype' | 'preference';

/** The object a matcher names. */
export interface ResolvedReference {
  readonly field: ReferenceField;
  /** The kind definition (group, version, plural, scope) to fetch it by. */
  readonly definition: KindDefinition;
  readonly name: string;
  /** The VM's namespace for a namespaced kind; undefined for a cluster-wide one. */
  readonly namespace?: string;
}

const KINDS: Readonly<
  Record<ReferenceField, { namespaced: KindDefinition; cluster: KindDefinition; matcher: string }>
> = {
  instancetype: {
    namespaced: VirtualMachineInstancetypeKind,
    cluster: VirtualMachineClusterInstancetypeKind,
    matcher: 'InstancetypeMatcher',
  },
  preference: {
    namespaced: VirtualMachinePreferenceKind,
    cluster: VirtualMachineClusterPreferenceKind,
    matcher: 'PreferenceMatcher',
  },
};

const names = (d: KindDefinition): string[] => [d.singular, d.plural];

/** `VirtualMachineClusterInstancetype "u1.small"`, `VirtualMachinePreference "linux" in namespace ns`, for messages. */
export function describeReference(ref: ResolvedReference): string {
  return `${ref.definition.kind} ${show(ref.name)}${ref.namespace ? ` in namespace ${ref.namespace}` : ''}`;
}

/**
 * What `vm.spec[field]` names: `{ref}`, `{}` when the VM has no such matcher, or `{error}` in
 * KubeVirt's words (an unknown kind), or virtkit's (no name).
 */
export function resolveReference(
  vm: VirtualMachine,
  field: ReferenceField,
  namespace = vm.metadata?.namespace,
): { ref?: ResolvedReference; error?: string } {
  const matcher = vm.spec?.[field];
  if (!matcher) return {};
  const kinds = KINDS[field];
  const kind = (matcher.kind ?? '').toLowerCase();
  let definition: KindDefinition;
  if (names(kinds.namespaced).includes(kind)) definition = kinds.namespaced;
  else if (kind === '' || names(kinds.cluster).includes(kind)) definition = kinds.cluster;
  else
    return {
      error: `got unexpected kind in ${kinds.matcher}: ${matcher.kind ?? ''}; set spec.${field}.kind to ${kinds.cluster.kind} (the default) or ${kinds.namespaced.kind}`,
    };
  if (!matcher.name) {
    const infer = matcher.inferFromVolume
      ? ` (virtkit does not infer it from volume ${show(matcher.inferFromVolume)} yet)`
      : '';
    return {
      error: `spec.${field}.name is empty${infer}; set spec.${field}.name to the ${definition.kind} to use`,
    };
  }
  const namespaced = definition.scope === 'Namespaced';
  if (namespaced && !namespace)
    return {
      error: `spec.${field} names the namespaced ${definition.kind} ${show(matcher.name)}, but the VirtualMachine has no namespace; set metadata.namespace`,
    };
  return { ref: { field, definition, name: matcher.name, ...(namespaced ? { namespace } : {}) } };
}
