/** Kubernetes Status objects, the way the API server (and KubeVirt's virt-api) answers errors. */
import { KubeApiError } from '../../kube/errors';
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

/**
 * A failure that already is its answer (a Status with KubeVirt's code and words), thrown by
 * helpers that handlers and streams share (./node-client.ts); the router answers it as it is.
 * It is a KubeApiError too (status, reason, the Status message as serverMessage), so code that
 * passes the API server's 4xx on does the same with it.
 */
export class SubresourceError extends KubeApiError {
  constructor(
    readonly answer: SubresourceAnswer,
    method = 'GET',
    path = '',
  ) {
    const body = (answer.body ?? {}) as { reason?: string; message?: string };
    super(
      method,
      path,
      answer.status,
      body.reason ?? '',
      body.message ?? '',
      body.message ?? `HTTP ${answer.status}`,
    );
    this.name = 'SubresourceError';
  }
}
