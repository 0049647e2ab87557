/**
 * Validating admission (the role of KubeVirt's virt-api webhooks), as a pure function of an
 * AdmissionReview (admission.k8s.io/v1): the object is checked with the same api/ validation
 * that `virtkit validate`, the constructs and the Pulumi components run, and every problem is
 * answered at once with its JSON path. Nothing is mutated: GitOps users get zero drift.
 */
import { isDeepStrictEqual } from 'util';
import { describeObject, validateUserFields } from '../../api/validation/validate';
import { issueText, type Issue } from '../../api/validation/issue';
import { featureGateIssues } from '../../api/feature-gates';
import { runtimeSupportIssues } from '../../api/runtime-support';
import { updateLockCauses } from './update-locks';

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind?: { group?: string; version?: string; kind?: string };
  readonly operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly name?: string;
  readonly namespace?: string;
  readonly object?: Record<string, unknown> | null;
  readonly oldObject?: Record<string, unknown> | null;
  readonly dryRun?: boolean;
  /** Who sent the request, as the API server authenticated them. */
  readonly userInfo?: {
    readonly username?: string;
    readonly uid?: string;
    readonly groups?: readonly string[];
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
}

export interface AdmissionReview {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly request?: AdmissionRequest;
}

export interface StatusCause {
  readonly type: 'FieldValueInvalid';
  readonly field: string;
  readonly message: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: {
    readonly code: number;
    readonly reason: 'Invalid' | 'BadRequest' | 'InternalError';
    readonly message: string;
    readonly details?: { readonly causes: readonly StatusCause[] };
  };
  readonly warnings?: readonly string[];
}

/** Kubernetes caps each warning at 256 characters and a response's warnings at 4 KiB. */
const MAX_WARNING = 256;
const MAX_WARNINGS = 4096;

function warningsOf(issues: readonly Issue[]): string[] | undefined {
  const out: string[] = [];
  let total = 0;
  for (const i of issues.filter((x) => x.severity === 'warning')) {
    let w = issueText(i);
    if (w.length > MAX_WARNING) w = `${w.slice(0, MAX_WARNING - 3)}...`;
    if (total + w.length > MAX_WARNINGS) break;
    total += w.length;
    out.push(w);
  }
  return out.length ? out : undefined;
}

/**
 * Answer one AdmissionReview request. `featureGates`: the gates the cluster's KubeVirt object
 * turns on; a gated feature whose gate is off is refused, naming the field and the gate.
 */
export function admit(
  review: AdmissionReview,
  featureGates: ReadonlySet<string> = new Set(),
): AdmissionReview {
  const request = review.request;
  const respond = (response: Omit<AdmissionResponse, 'uid'>): AdmissionReview =>
    ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: request?.uid ?? '', ...response },
    }) as AdmissionReview;
  if (!request?.uid)
    return respond({
      allowed: false,
      status: { code: 400, reason: 'BadRequest', message: 'the AdmissionReview has no request.uid' },
    });
  const object = request.object;
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return respond({ allowed: true });
  if (!object || typeof object !== 'object')
    return respond({
      allowed: false,
      status: { code: 400, reason: 'BadRequest', message: `${request.operation} without an object` },
    });
  // CDI's rule: a DataVolume's spec is what was imported or cloned (and authorized); it cannot
  // change afterwards.
  if (
    request.operation === 'UPDATE' &&
    request.kind?.group === 'cdi.kubevirt.io' &&
    request.kind.kind === 'DataVolume' &&
    request.oldObject &&
    !isDeepStrictEqual(request.oldObject.spec, object.spec)
  )
    return respond(
      invalid(object, [
        {
          type: 'FieldValueInvalid',
          field: 'spec',
          message:
            'Cannot update DataVolume Spec: a DataVolume imports or clones once; delete it and create it again with the new spec (its claim goes with it unless another object owns it)',
        },
      ]),
    );
  // An update that leaves the spec as it was (finalizers, labels, a deletion in progress) changes
  // nothing admission judges: the stored spec was checked when it was written.
  const old = request.oldObject;
  if (request.operation === 'UPDATE' && old && isDeepStrictEqual(old.spec, object.spec))
    return respond({ allowed: true });

  const issues = [
    ...validateUserFields(object),
    ...featureGateIssues(object, featureGates),
    ...runtimeSupportIssues(object),
  ];
  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = warningsOf(issues);
  // What a snapshot or restore in progress forbids the update to change (./update-locks.ts).
  const locks = updateLockCauses(request);
  if (!errors.length && !locks.length) return respond({ allowed: true, ...(warnings ? { warnings } : {}) });
  const causes = [
    ...locks,
    ...errors.map<StatusCause>((i) => ({
      type: 'FieldValueInvalid',
      field: i.path,
      message: i.message,
    })),
  ];
  return respond({ ...invalid(object, causes), ...(warnings ? { warnings } : {}) });
}

/** A 422 Invalid answer listing `causes` (each "field: message" in the message too). */
export function invalid(
  object: Record<string, unknown>,
  causes: readonly StatusCause[],
): Omit<AdmissionResponse, 'uid'> {
  const message = `${describeObject(object)} is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join('; ')}`;
  return { allowed: false, status: { code: 422, reason: 'Invalid', message, details: { causes } } };
}
