/**
 * KubeVirt's instancetype expansion as subresources.kubevirt.io/v1 serves it (virt-api's
 * ExpandSpecVMRequestHandler and ExpandSpecRequestHandler):
 *
 *   GET .../namespaces/{ns}/virtualmachines/{name}/expand-spec   the stored VM, expanded
 *   PUT .../namespaces/{ns}/expand-vm-spec                       the VM in the body, expanded
 *
 * Both read the instancetype and preference the VM references with the api component's client
 * (./expand-spec-fetch.ts), apply them (api/instancetype/expand, pure) and answer 200 with the
 * expanded VirtualMachine: `spec.template` carries the instancetype's sizes and the
 * preference's defaults, and `spec.instancetype` / `spec.preference` are gone. A VM that
 * references neither comes back as it is.
 *
 * Failures, with virt-api's codes and words: the stored VM missing is a 404
 * (`virtualmachine.kubevirt.io "NAME" not found`). After that, `expand-spec` answers every
 * failure as virt-api does, a 500 `Internal error occurred: <why>`, and `expand-vm-spec` a 400
 * `<why>`: a conflict is `VM field(s) spec.template.spec.domain.cpu.sockets conflicts with
 * selected instance type`, a missing instancetype the API server's
 * `virtualmachineclusterinstancetypes.instancetype.kubevirt.io "NAME" not found`, an unknown
 * matcher kind `got unexpected kind in InstancetypeMatcher: KIND`. Each Status also lists its
 * causes (`details.causes`: the field, the value and the fix). The body of `expand-vm-spec`
 * must be a VirtualMachine (apiVersion kubevirt.io/v1, the VM schema: 400 `Object is not a
 * valid VirtualMachine`, with every problem) whose namespace is empty or the path's (400 `VM
 * namespace must be empty or NS`).
 *
 * KubeVirt does not check the preference's requirements here (its admission does), and
 * neither does virtkit. The api component's RBAC (api/install/rbac.ts API_RULES) grants what
 * this uses: get of virtualmachines and of the four instancetype.kubevirt.io kinds.
 */
import { VirtualMachineKind, type VirtualMachine } from '../../api/kubevirt/v1';
import { apiVersionOf } from '../../api/kind';
import { expandVirtualMachine, type ExpansionProblem } from '../../api/instancetype/expand';
import { validateAs } from '../../api/validation/validate';
import { issueText } from '../../api/validation/issue';
import { failure } from '../../common/kube-status';
import { errorMessage, isNotFound, KubeApiError, VIRTUAL_MACHINES } from '../../kube';
import { fetchReferencedSpecs } from './expand-spec-fetch';
import type { SubresourceAnswer, SubresourceContext, SubresourceHandler, SubresourceRequest } from './types';
import { internalError, vmNotFound } from './vm-state';

type Route = 'expand-spec' | 'expand-vm-spec';

const VM_API_VERSION = apiVersionOf(VirtualMachineKind);
const NOT_A_VM = 'Object is not a valid VirtualMachine';
/** How many schema problems the message of a refused body spells out (all are in the causes). */
const MESSAGE_PROBLEMS = 3;

/** Status cause types, as KubeVirt gives them (metav1.CauseType). */
const CAUSE_TYPE: Readonly<Record<ExpansionProblem['kind'], string>> = {
  InstancetypeConflict: 'FieldValueInvalid',
  PreferenceRequirement: 'FieldValueNotFound',
  Unresolved: 'FieldValueNotFound',
};

/** A refused expansion: virt-api's 500 for the stored VM, 400 for a VM in the body; the causes say what to fix. */
export function expansionRefusal(
  route: Route,
  message: string,
  problems: readonly ExpansionProblem[],
): SubresourceAnswer {
  const causes = problems.map((p) => ({ type: CAUSE_TYPE[p.kind], field: p.field, message: p.message }));
  if (route === 'expand-spec')
    return causes.length
      ? failure(500, `Internal error occurred: ${message}`, { causes })
      : internalError(message);
  return failure(400, message, causes.length ? { causes } : undefined);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The body of expand-vm-spec as a VirtualMachine of the path's namespace, or virt-api's 400. */
export function parseVmBody(
  body: unknown,
  namespace: string,
): { vm: VirtualMachine } | { refusal: SubresourceAnswer } {
  const refuse = (message: string, causes?: { field?: string; message: string }[]) => ({
    refusal: failure(400, message, causes ? { causes } : undefined),
  });
  if (body === undefined)
    return refuse(
      'empty request body: PUT the VirtualMachine to expand as JSON, for example with kubectl replace --raw URL -f vm.json',
    );
  if (!isObject(body))
    return refuse(
      `${NOT_A_VM}: the body is ${Array.isArray(body) ? 'a list' : `a ${body === null ? 'null' : typeof body}`}, not a VirtualMachine object`,
    );
  if (body.apiVersion !== VM_API_VERSION || body.kind !== VirtualMachineKind.kind) {
    const message = `apiVersion ${JSON.stringify(body.apiVersion)} and kind ${JSON.stringify(body.kind)} are not a VirtualMachine; set apiVersion: ${VM_API_VERSION} and kind: ${VirtualMachineKind.kind}`;
    return refuse(`${NOT_A_VM}: ${message}`, [{ field: 'kind', message }]);
  }
  const problems = validateAs(VirtualMachineKind, body, { schemaOnly: true }).filter(
    (i) => i.severity === 'error',
  );
  if (problems.length) {
    const shown = problems.slice(0, MESSAGE_PROBLEMS).map(issueText).join('; ');
    const more =
      problems.length > MESSAGE_PROBLEMS ? ` (and ${problems.length - MESSAGE_PROBLEMS} more)` : '';
    return refuse(
      `${NOT_A_VM}: ${shown}${more}`,
      problems.map((i) => ({ field: i.path, message: i.message })),
    );
  }
  const vm = structuredClone(body) as unknown as VirtualMachine;
  const own = vm.metadata?.namespace;
  if (own && own !== namespace)
    return refuse(
      `VM namespace must be empty or ${namespace}; the body's metadata.namespace is ${JSON.stringify(own)}: leave it out, or send the request to namespaces/${own}/expand-vm-spec`,
      [{ field: 'metadata.namespace', message: `must be empty or ${namespace}, not ${JSON.stringify(own)}` }],
    );
  vm.metadata = { ...vm.metadata, namespace };
  return { vm };
}

async function expandAndAnswer(
  route: Route,
  vm: VirtualMachine,
  namespace: string,
  ctx: SubresourceContext,
): Promise<SubresourceAnswer> {
  const fetched = await fetchReferencedSpecs(ctx.client, vm, namespace);
  if ('failure' in fetched)
    return expansionRefusal(route, fetched.failure.message, [fetched.failure.problem]);
  const result = expandVirtualMachine(vm, fetched.specs);
  if (!result.ok) {
    ctx.log.debug(
      { kind: 'VirtualMachine', namespace, name: vm.metadata?.name, route },
      `expansion refused: ${result.message}`,
    );
    return expansionRefusal(route, result.message, result.problems);
  }
  return { status: 200, body: result.vm };
}

/** `GET .../virtualmachines/{name}/expand-spec`: the stored VM, expanded. */
export const expandSpec: SubresourceHandler = async (req: SubresourceRequest, ctx: SubresourceContext) => {
  const { namespace, name } = req;
  let vm: VirtualMachine;
  try {
    vm = await ctx.client.get<VirtualMachine>(VIRTUAL_MACHINES, namespace, name);
  } catch (err) {
    if (isNotFound(err)) return vmNotFound(name);
    const words = err instanceof KubeApiError && err.serverMessage ? err.serverMessage : errorMessage(err);
    return internalError(`unable to retrieve vm [${name}]: ${words}`);
  }
  return expandAndAnswer('expand-spec', vm, namespace, ctx);
};

/** `PUT .../namespaces/{ns}/expand-vm-spec`: the VM in the body, expanded. */
export const expandVmSpec: SubresourceHandler = async (req: SubresourceRequest, ctx: SubresourceContext) => {
  const parsed = parseVmBody(req.body, req.namespace);
  if ('refusal' in parsed) return parsed.refusal;
  return expandAndAnswer('expand-vm-spec', parsed.vm, req.namespace, ctx);
};
