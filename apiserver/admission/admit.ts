/**
 * The webhook's whole answer: the pure checks of ./review.ts first, then, for what they admit,
 * the cross-namespace clone authorization of ./clone-authorization.ts (SubjectAccessReviews
 * through `review`) and the fixed Kube-OVN addresses of ./kube-ovn-addresses.ts (the cluster's
 * Subnets and IP objects through `kubeOvn`) and one restore at a time per target of
 * ./restores-in-progress.ts (the namespace's VirtualMachineRestores through `restores`) and the
 * migration rules of ./migrations.ts (the VMI a migration names and the namespace's migrations
 * through `migrations`). A check that cannot be made refuses the request (failing closed) with
 * what went wrong.
 */
import { authorizeClones, type AccessReview } from './clone-authorization';
import { kubeOvnAddressCauses, type KubeOvnLookup } from './kube-ovn-addresses';
import { restoreInProgressCauses, type RestoreLookup } from './restores-in-progress';
import { migrationCreateCauses, migrationLabelCauses, type MigrationLookup } from './migrations';
import { admit, invalid, type AdmissionReview } from './review';

export async function admitRequest(
  review: AdmissionReview,
  featureGates: ReadonlySet<string>,
  accessReview: AccessReview,
  kubeOvn?: KubeOvnLookup,
  restores?: RestoreLookup,
  migrations?: MigrationLookup,
): Promise<AdmissionReview> {
  const answer = admit(review, featureGates);
  const response = (answer as { response?: { allowed?: boolean; warnings?: readonly string[] } }).response;
  const request = review.request;
  if (!response?.allowed || !request?.object) return answer;
  let causes;
  try {
    causes = await authorizeClones(request, accessReview);
  } catch (err) {
    return internalError(
      answer,
      request.uid,
      `could not authorize the clone source: ${(err as Error).message}`,
    );
  }
  if (kubeOvn) {
    try {
      causes = [...causes, ...(await kubeOvnAddressCauses(request, kubeOvn))];
    } catch (err) {
      return internalError(
        answer,
        request.uid,
        `could not check the Kube-OVN addresses against the Subnets: ${(err as Error).message}`,
      );
    }
  }
  if (restores) {
    try {
      causes = [...causes, ...(await restoreInProgressCauses(request, restores))];
    } catch (err) {
      return internalError(
        answer,
        request.uid,
        `could not list the VirtualMachineRestores of namespace ${request.namespace ?? ''} to check for one in progress: ${(err as Error).message}`,
      );
    }
  }
  // KubeVirt's selector label of an in-flight migration (pure; the spec's immutability is review.ts').
  causes = [...causes, ...migrationLabelCauses(request)];
  if (migrations) {
    try {
      causes = [...causes, ...(await migrationCreateCauses(request, migrations))];
    } catch (err) {
      return internalError(
        answer,
        request.uid,
        `could not read the VMI and the VirtualMachineInstanceMigrations of namespace ${request.namespace ?? ''} to check the migration: ${(err as Error).message}`,
      );
    }
  }
  if (!causes.length) return answer;
  return {
    ...answer,
    response: {
      uid: request.uid,
      ...invalid(request.object, causes),
      ...(response.warnings ? { warnings: response.warnings } : {}),
    },
  } as AdmissionReview;
}

/** A refusal because a check could not be made (the webhook fails closed). */
function internalError(answer: AdmissionReview, uid: string, message: string): AdmissionReview {
  return {
    ...answer,
    response: { uid, allowed: false, status: { code: 500, reason: 'InternalError', message } },
  } as AdmissionReview;
}
