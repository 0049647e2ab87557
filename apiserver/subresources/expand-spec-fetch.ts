/**
 * Reads what a VirtualMachine's `spec.instancetype` and `spec.preference` name, with the api
 * component's client (its role may `get` the four kinds of instancetype.kubevirt.io): the
 * namespaced kinds from the VM's namespace, the cluster-wide ones (also when the matcher names
 * no kind) from the cluster. Which object a matcher names is decided in
 * api/instancetype/expand/references.ts. Each object read is checked against its kind's schema
 * before the expansion uses it. A failure is KubeVirt's words (the API server's own for an
 * object that is missing) with the field to fix.
 */
import { apiVersionOf, type KindDefinition } from '../../api/kind';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type {
  VirtualMachineInstancetypeSpec,
  VirtualMachinePreferenceSpec,
} from '../../api/instancetype/v1beta1';
import {
  describeReference,
  resolveReference,
  type ExpansionProblem,
  type ReferenceField,
  type ResolvedSpecs,
} from '../../api/instancetype/expand';
import { issueText } from '../../api/validation/issue';
import { validateAs } from '../../api/validation/validate';
import { errorMessage, isNotFound, KubeApiError, type KubeClient, type ResourceType } from '../../kube';

/** The REST resource of a kind definition (the instancetype kinds have no constant in kube/resources.ts). */
export function resourceOfKind(def: KindDefinition): ResourceType {
  return {
    apiVersion: apiVersionOf(def),
    kind: def.kind,
    plural: def.plural,
    namespaced: def.scope === 'Namespaced',
  };
}

/** A reference that could not be read: the message for the answer and the problem with its fix. */
export interface FetchFailure {
  readonly message: string;
  readonly problem: ExpansionProblem;
}

async function fetchOne(
  client: KubeClient,
  vm: VirtualMachine,
  field: ReferenceField,
  namespace: string,
): Promise<{ spec?: unknown; failure?: FetchFailure }> {
  const { ref, error } = resolveReference(vm, field, namespace);
  const fail = (message: string, fix: string): { failure: FetchFailure } => ({
    failure: {
      message,
      problem: { kind: 'Unresolved', field: `spec.${field}`, summary: message, message: `${message}${fix}` },
    },
  });
  if (error) return fail(error, '');
  if (!ref) return {};
  try {
    const obj = await client.get<{ spec?: unknown }>(resourceOfKind(ref.definition), ref.namespace, ref.name);
    // What the API server stores passed the CRD's schema; the expansion relies on more (types, required fields).
    const problems = validateAs(ref.definition, obj, { schemaOnly: true }).filter(
      (i) => i.severity === 'error',
    );
    if (problems.length)
      return fail(
        `the ${describeReference(ref)} is not valid: ${problems.slice(0, 3).map(issueText).join('; ')}`,
        `; fix the ${ref.definition.kind}, or name another in spec.${field}`,
      );
    return { spec: obj.spec };
  } catch (err) {
    // The API server's own words come first, as KubeVirt passes them on.
    const words = err instanceof KubeApiError && err.serverMessage ? err.serverMessage : errorMessage(err);
    const fix = isNotFound(err)
      ? `; spec.${field} of the VirtualMachine names the ${describeReference(ref)}: create it, or set spec.${field}.name (and .kind) to one that exists`
      : `; reading the ${describeReference(ref)} failed`;
    return fail(words, fix);
  }
}

/** The specs of the instancetype and preference the VM references, or the first that failed. */
export async function fetchReferencedSpecs(
  client: KubeClient,
  vm: VirtualMachine,
  namespace: string,
): Promise<{ specs: ResolvedSpecs } | { failure: FetchFailure }> {
  const instancetype = await fetchOne(client, vm, 'instancetype', namespace);
  if (instancetype.failure) return { failure: instancetype.failure };
  const preference = await fetchOne(client, vm, 'preference', namespace);
  if (preference.failure) return { failure: preference.failure };
  return {
    specs: {
      ...(instancetype.spec ? { instancetype: instancetype.spec as VirtualMachineInstancetypeSpec } : {}),
      ...(preference.spec ? { preference: preference.spec as VirtualMachinePreferenceSpec } : {}),
    },
  };
}
