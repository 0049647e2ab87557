/** Kubernetes Status objects, the way the API server (and KubeVirt's virt-api) answers errors. */
import type { SubresourceAnswer } from './types';

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  422: 'Invalid',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
};

/** A failure answer: `{kind: Status, status: Failure, code, reason, message}`. */
export function failure(code: number, message: string, details?: Record<string, unknown>): SubresourceAnswer {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: REASONS[code] ?? 'Unknown',
      ...(details ? { details } : {}),
      code,
    },
  };
}
