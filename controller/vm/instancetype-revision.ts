/**
 * The ControllerRevisions in which the VM controller keeps, once per VM, the instancetype and
 * preference the VM uses, in KubeVirt's format, and the `status.instancetypeRef` /
 * `status.preferenceRef` that name them. Pure.
 *
 * KubeVirt's rules, followed here:
 * - name `<vm>-<object name>-<object version>-<object uid>-<object generation>`
 *   (`web-u1.small-v1beta1-6f1c…-1`), in the VM's namespace, controlled by the VM (so it goes
 *   with the VM), labelled `instancetype.kubevirt.io/object-{name,kind,uid,version,generation}`;
 * - `data` is the object itself (apiVersion, kind, spec, metadata without labels, annotations,
 *   finalizers, owner references and managed fields);
 * - the status ref is captured once: it keeps naming the same revision until the matcher's
 *   name, kind or inferFromVolume changes (then a new copy is taken) or the matcher names a
 *   `revisionName` itself (then that revision is used). Later edits of the instancetype object
 *   never reach the VM: not its running VMI, and not the VMIs it starts later either.
 *
 * Where virtkit differs: KubeVirt versions before v1.4 wrote the revision name into
 * `spec.instancetype.revisionName`; virtkit (like current KubeVirt) never writes spec, only
 * status. A matcher without a kind is recorded with the kind it resolves to
 * (`VirtualMachineClusterInstancetype`), where KubeVirt's webhook writes the default into spec.
 */
import type { ObjectMeta } from '../../api/k8s/meta';
import type { InstancetypeStatusRef, VirtualMachine } from '../../api/kubevirt/v1';
import type { KindDefinition } from '../../api/kind';
import { resolveReference, type ReferenceField } from '../../api/instancetype/expand';
import { vmControllerRef } from './vmi-from-vm';

/** apps/v1 ControllerRevision, the fields virtkit reads and writes. */
export interface ControllerRevision {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  data?: unknown;
  revision?: number;
}

/** An instancetype or preference object as the API server stores it. */
export interface InstancetypeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: unknown;
}

export const OBJECT_NAME_LABEL = 'instancetype.kubevirt.io/object-name';
export const OBJECT_KIND_LABEL = 'instancetype.kubevirt.io/object-kind';
export const OBJECT_UID_LABEL = 'instancetype.kubevirt.io/object-uid';
export const OBJECT_VERSION_LABEL = 'instancetype.kubevirt.io/object-version';
export const OBJECT_GENERATION_LABEL = 'instancetype.kubevirt.io/object-generation';

const GROUP = 'instancetype.kubevirt.io';

/** The longest name the API server takes for a ControllerRevision (a DNS subdomain). */
const MAX_NAME = 253;

function versionOf(obj: InstancetypeObject): string {
  const apiVersion = obj.apiVersion ?? '';
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

/** KubeVirt's name of the revision of `obj` for the VM named `vmName`. */
export function instancetypeRevisionName(vmName: string, obj: InstancetypeObject): string {
  const m = obj.metadata ?? {};
  return `${vmName}-${m.name ?? ''}-${versionOf(obj)}-${m.uid ?? ''}-${m.generation ?? 0}`;
}

/**
 * The ControllerRevision holding `obj` for `vm`, or an error (naming the VM, the object and the
 * fix) when the name would be longer than the API server takes.
 */
export function instancetypeRevision(
  vm: VirtualMachine,
  obj: InstancetypeObject,
): { revision: ControllerRevision } | { error: string } {
  const name = instancetypeRevisionName(vm.metadata?.name ?? '', obj);
  if (name.length > MAX_NAME)
    return {
      error: `the ControllerRevision name for ${obj.kind} ${obj.metadata?.name} of VirtualMachine ${vm.metadata?.name} would be ${name.length} characters (at most ${MAX_NAME}): shorten the VM's or the ${obj.kind}'s name`,
    };
  const metadata: ObjectMeta = { ...(obj.metadata ?? {}) };
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields'] as const)
    delete (metadata as Record<string, unknown>)[k];
  const m = obj.metadata ?? {};
  return {
    revision: {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: vm.metadata?.namespace,
        ownerReferences: [vmControllerRef(vm)],
        labels: {
          [OBJECT_GENERATION_LABEL]: String(m.generation ?? 0),
          [OBJECT_KIND_LABEL]: obj.kind ?? '',
          [OBJECT_NAME_LABEL]: m.name ?? '',
          [OBJECT_UID_LABEL]: m.uid ?? '',
          [OBJECT_VERSION_LABEL]: versionOf(obj),
        },
      },
      data: { apiVersion: obj.apiVersion, kind: obj.kind, metadata, spec: obj.spec },
      revision: 0,
    },
  };
}

/** The kinds a revision for `field` may hold. */
function kindsFor(field: ReferenceField): string[] {
  return field === 'instancetype'
    ? ['VirtualMachineInstancetype', 'VirtualMachineClusterInstancetype']
    : ['VirtualMachinePreference', 'VirtualMachineClusterPreference'];
}

/**
 * The object a revision holds for `field`: an instancetype (either kind) for `instancetype`, a
 * preference for `preference`, of instancetype.kubevirt.io/v1beta1. Anything else is an error
 * naming the revision, what it holds and what was expected.
 */
export function objectOfRevision(
  revision: ControllerRevision,
  field: ReferenceField,
): { object: InstancetypeObject } | { error: string } {
  const name = revision.metadata?.name ?? '';
  const data = revision.data as InstancetypeObject | undefined;
  const expected = kindsFor(field);
  if (!data || typeof data !== 'object' || Array.isArray(data))
    return {
      error: `ControllerRevision ${name} holds no object in data; expected a ${expected.join(' or ')}`,
    };
  if (!expected.includes(data.kind ?? '') || data.apiVersion !== `${GROUP}/v1beta1`)
    return {
      error: `ControllerRevision ${name} holds ${data.apiVersion ?? '(no apiVersion)'} ${data.kind ?? '(no kind)'}; spec.${field} needs a ${GROUP}/v1beta1 ${expected.join(' or ')}`,
    };
  if (!data.spec || typeof data.spec !== 'object')
    return { error: `ControllerRevision ${name} holds a ${data.kind} without a spec` };
  return { object: data };
}

/** Which kind definition a kind string means for `field` (case-insensitive, plural or singular; empty = cluster-wide). */
export function definitionOf(field: ReferenceField, kind: string | undefined): KindDefinition | undefined {
  const probe = {
    metadata: { namespace: 'probe' },
    spec: { [field]: { name: 'probe', ...(kind ? { kind } : {}) } },
  } as unknown as VirtualMachine;
  return resolveReference(probe, field).ref?.definition;
}

/** What to record in status for `field` this round, and whether a new copy must be taken. */
export interface StatusRefPlan {
  /** The status ref; `controllerRevisionRef` is unset when `capture` is true. */
  readonly ref: InstancetypeStatusRef;
  /** No revision is known: copy the object the matcher names into a new one. */
  readonly capture: boolean;
}

/**
 * The status ref of `field` after this round, from the matcher and the previous status ref
 * (KubeVirt's rules, see the file's comment). Undefined when the VM has no such matcher: the
 * ref is then removed from status.
 */
export function planStatusRef(vm: VirtualMachine, field: ReferenceField): StatusRefPlan | undefined {
  const matcher = vm.spec?.[field];
  if (!matcher) return undefined;
  const prev = field === 'instancetype' ? vm.status?.instancetypeRef : vm.status?.preferenceRef;
  const ref: InstancetypeStatusRef = structuredClone(prev ?? {});
  let changed = false;
  if (matcher.name && matcher.name !== ref.name) {
    ref.name = matcher.name;
    changed = true;
  }
  const wanted = definitionOf(field, matcher.kind);
  const kind = matcher.kind || wanted?.kind;
  // A ref without a kind (written by others) means the cluster-wide kind, as a matcher without one does.
  if (kind && (wanted === undefined || definitionOf(field, ref.kind) !== wanted)) {
    ref.kind = kind as InstancetypeStatusRef['kind'];
    changed = true;
  } else if (kind && !ref.kind) ref.kind = kind as InstancetypeStatusRef['kind'];
  if (matcher.inferFromVolume && matcher.inferFromVolume !== ref.inferFromVolume) {
    ref.inferFromVolume = matcher.inferFromVolume;
    changed = true;
  }
  if (changed) delete ref.controllerRevisionRef;
  if (matcher.inferFromVolumeFailurePolicy)
    ref.inferFromVolumeFailurePolicy = matcher.inferFromVolumeFailurePolicy;
  if (matcher.revisionName && ref.controllerRevisionRef?.name !== matcher.revisionName)
    ref.controllerRevisionRef = { name: matcher.revisionName };
  return { ref, capture: !ref.controllerRevisionRef?.name };
}
