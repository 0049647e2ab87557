/**
 * Who may clone a claim out of another namespace, decided at admission the way CDI and KubeVirt
 * decide it. A DataVolume whose source is a claim (`spec.source.pvc`) or a DataSource
 * (`spec.sourceRef`) in another namespace is admitted only when the user creating it may
 * `create` the `datavolumes/source` subresource (cdi.kubevirt.io) of that source in that
 * namespace, or may create pods there (CDI's two attributes, either suffices). A VirtualMachine
 * whose `spec.dataVolumeTemplates` clone from another namespace is checked for the VM's
 * ServiceAccount instead (the `serviceAccount` volume's, else `default`): the VM controller
 * creates those DataVolumes later, on the VM's behalf. Refusals use CDI's and KubeVirt's words.
 *
 * A DataVolume's spec cannot change after creation (./review.ts), and a sourceRef is authorized
 * on the DataSource's namespace whatever the DataSource points at now (the DataVolume controller
 * clones across namespaces through a DataSource only from a claim in the DataSource's own
 * namespace), so what was authorized here is what gets cloned.
 *
 * `cloneChecks` is pure; `authorizeClones` asks the API server through the SubjectAccessReview
 * function it is given.
 */
import type { AdmissionRequest, StatusCause } from './review';

type Json = Record<string, unknown>;

export interface ReviewSubject {
  readonly user: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** One clone that needs a decision: `subject` must be allowed to read `namespace`/`name`. */
export interface CloneCheck {
  /** The JSON path of the field that names the source. */
  readonly field: string;
  readonly namespace: string;
  readonly name: string;
  readonly subject: ReviewSubject;
  /** Set for a VM's dataVolumeTemplates: KubeVirt's prefix of the refusal. */
  readonly viaVirtualMachine: boolean;
}

/** SubjectAccessReview spec.resourceAttributes (authorization.k8s.io/v1). */
export interface ResourceAttributes {
  readonly namespace: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly name: string;
}

/** Answers whether `subject` may do `attributes` (a SubjectAccessReview's status.allowed). */
export type AccessReview = (subject: ReviewSubject, attributes: ResourceAttributes) => Promise<boolean>;

const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The claim or DataSource a DataVolume spec clones from, with the field naming it, if any. */
function cloneSourceOf(
  spec: Json | undefined,
  ownNamespace: string,
  path: string,
): { field: string; namespace: string; name: string } | undefined {
  const pvc = obj(obj(spec?.source)?.pvc);
  if (pvc) {
    const name = str(pvc.name);
    if (!name) return undefined;
    return { field: `${path}.source.pvc.namespace`, namespace: str(pvc.namespace) ?? ownNamespace, name };
  }
  const ref = obj(spec?.sourceRef);
  if (ref && (ref.kind === undefined || ref.kind === 'DataSource')) {
    const name = str(ref.name);
    if (!name) return undefined;
    return { field: `${path}.sourceRef.namespace`, namespace: str(ref.namespace) ?? ownNamespace, name };
  }
  return undefined;
}

function requestSubject(request: AdmissionRequest): ReviewSubject {
  const u = request.userInfo ?? {};
  return {
    user: u.username ?? '',
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups?.length ? { groups: u.groups } : {}),
    ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}),
  };
}

/** KubeVirt's rule: the VM's `serviceAccount` volume names its ServiceAccount, else `default`. */
export function vmServiceAccount(vm: Json): string {
  const volumes = obj(obj(obj(vm.spec)?.template)?.spec)?.volumes;
  let account = 'default';
  if (Array.isArray(volumes))
    for (const v of volumes) {
      const name = str(obj(obj(v)?.serviceAccount)?.serviceAccountName);
      if (name) account = name;
    }
  return account;
}

/** How the API server authenticates a ServiceAccount's token: its user name and groups. */
export function serviceAccountSubject(namespace: string, name: string): ReviewSubject {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/**
 * The cross-namespace clones a request needs authorized: a DataVolume's on CREATE (its spec is
 * immutable after), a VM's dataVolumeTemplates on CREATE and on an UPDATE that changes them.
 */
export function cloneChecks(request: AdmissionRequest): CloneCheck[] {
  const object = request.object;
  if (!object || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return [];
  const meta = obj(object.metadata);
  const namespace = str(meta?.namespace) ?? request.namespace ?? '';
  const group = request.kind?.group;
  const kind = request.kind?.kind ?? str(object.kind);
  if (group === 'cdi.kubevirt.io' && kind === 'DataVolume') {
    if (request.operation !== 'CREATE') return [];
    const source = cloneSourceOf(obj(object.spec), namespace, 'spec');
    if (!source || source.namespace === namespace) return [];
    return [{ ...source, subject: requestSubject(request), viaVirtualMachine: false }];
  }
  if (group === 'kubevirt.io' && kind === 'VirtualMachine') {
    const templates = obj(object.spec)?.dataVolumeTemplates;
    if (!Array.isArray(templates)) return [];
    const before = obj(request.oldObject?.spec)?.dataVolumeTemplates;
    if (request.operation === 'UPDATE' && JSON.stringify(before) === JSON.stringify(templates)) return [];
    const subject = serviceAccountSubject(namespace, vmServiceAccount(object));
    const checks: CloneCheck[] = [];
    templates.forEach((t, i) => {
      const source = cloneSourceOf(obj(obj(t)?.spec), namespace, `spec.dataVolumeTemplates[${i}].spec`);
      if (source && source.namespace !== namespace)
        checks.push({ ...source, field: `spec.dataVolumeTemplates[${i}]`, subject, viaVirtualMachine: true });
    });
    return checks;
  }
  return [];
}

/** CDI's two attributes: the `datavolumes/source` subresource of the source, or creating pods. */
export function cloneAttributes(namespace: string, name: string): ResourceAttributes[] {
  return [
    {
      namespace,
      verb: 'create',
      group: 'cdi.kubevirt.io',
      resource: 'datavolumes',
      subresource: 'source',
      name,
    },
    { namespace, verb: 'create', group: '', resource: 'pods', name },
  ];
}

/** CDI's refusal, and the way to grant the permission. */
export function insufficientPermissions(user: string, namespace: string): string {
  return `User ${user} has insufficient permissions in clone source namespace ${namespace} (grant it create on datavolumes/source of cdi.kubevirt.io in ${namespace}, e.g. a RoleBinding there to a ClusterRole with that rule)`;
}

/** The refusals of every check that is not allowed (empty: all allowed). */
export async function authorizeClones(
  request: AdmissionRequest,
  review: AccessReview,
): Promise<StatusCause[]> {
  const causes: StatusCause[] = [];
  for (const check of cloneChecks(request)) {
    let allowed = false;
    for (const attributes of cloneAttributes(check.namespace, check.name)) {
      if (await review(check.subject, attributes)) {
        allowed = true;
        break;
      }
    }
    if (allowed) continue;
    const reason = insufficientPermissions(check.subject.user, check.namespace);
    causes.push({
      type: 'FieldValueInvalid',
      field: check.field,
      message: check.viaVirtualMachine ? `Authorization failed, message is: ${reason}` : reason,
    });
  }
  return causes;
}
