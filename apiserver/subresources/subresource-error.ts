/** A subresource failure thrown as its answer (the Status objects themselves: common/kube-status.ts). */
import { KubeApiError } from '../../kube/errors';
import type { SubresourceAnswer } from './types';

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
