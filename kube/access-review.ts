/**
 * Asks the API server whether a user may do something: a SubjectAccessReview
 * (authorization.k8s.io/v1), answered by the cluster's own authorizers (RBAC and the rest).
 * Needs `create` on subjectaccessreviews.
 */
import type { KubeClient } from './client';
import { SUBJECT_ACCESS_REVIEWS } from './resources';

export interface AccessSubject {
  readonly user: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface AccessAttributes {
  readonly namespace?: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly name?: string;
}

/** True when the cluster allows `subject` to do `attributes`. */
export async function isAllowed(
  client: KubeClient,
  subject: AccessSubject,
  attributes: AccessAttributes,
): Promise<boolean> {
  const answer = await client.create<{ status?: { allowed?: boolean } }>(SUBJECT_ACCESS_REVIEWS, undefined, {
    apiVersion: SUBJECT_ACCESS_REVIEWS.apiVersion,
    kind: SUBJECT_ACCESS_REVIEWS.kind,
    spec: {
      user: subject.user,
      ...(subject.uid ? { uid: subject.uid } : {}),
      ...(subject.groups ? { groups: subject.groups } : {}),
      ...(subject.extra ? { extra: subject.extra } : {}),
      resourceAttributes: attributes,
    },
  });
  return answer.status?.allowed === true;
}
