/**
 * The webhook's whole answer: the pure checks of ./review.ts first, then, for what they admit,
 * the cross-namespace clone authorization of ./clone-authorization.ts (SubjectAccessReviews
 * through `review`). A review that cannot be asked refuses the request (failing closed) with
 * what went wrong.
 */
import { authorizeClones, type AccessReview } from './clone-authorization';
import { admit, invalid, type AdmissionReview } from './review';

export async function admitRequest(
  review: AdmissionReview,
  featureGates: ReadonlySet<string>,
  accessReview: AccessReview,
): Promise<AdmissionReview> {
  const answer = admit(review, featureGates);
  const response = (answer as { response?: { allowed?: boolean; warnings?: readonly string[] } }).response;
  const request = review.request;
  if (!response?.allowed || !request?.object) return answer;
  let causes;
  try {
    causes = await authorizeClones(request, accessReview);
  } catch (err) {
    return {
      ...answer,
      response: {
        uid: request.uid,
        allowed: false,
        status: {
          code: 500,
          reason: 'InternalError',
          message: `could not authorize the clone source: ${(err as Error).message}`,
        },
      },
    } as AdmissionReview;
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
