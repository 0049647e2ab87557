/** Typed failures of API calls, naming the request, the object and what the server said. */

/** A non-2xx answer (or a transport failure, status 0) from the Kubernetes API server. */
import { KubeApiError } from '../../common/kube-error';

export { KubeApiError };

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists';
}

/** An optimistic-concurrency failure: someone else wrote the object first; read again and retry. */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason !== 'AlreadyExists';
}

/** The resourceVersion a list or watch asked for is older than the server keeps (HTTP 410). */
export function isGone(err: unknown): boolean {
  return (
    err instanceof KubeApiError && (err.status === 410 || err.reason === 'Expired' || err.reason === 'Gone')
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
