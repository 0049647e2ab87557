/**
 * Typed failures of Kubernetes API calls, naming the request, the object and what the server
 * said. Dependency-free, so pure code and unit tests can use it without loading the client.
 */

/** A non-2xx answer (or a transport failure, status 0) from the Kubernetes API server. */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** The Status reason (NotFound, AlreadyExists, Conflict, Expired, Unauthorized, Forbidden...). */
    readonly reason: string,
    readonly serverMessage: string,
    /** The whole message; by default the request, the status and the server's words. */
    message = `${method} ${path}: HTTP ${status} ${reason}: ${serverMessage}`,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

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

/** The credentials were refused (401) or lack a permission (403): retrying cannot help. */
/** 429: the server asks to be asked later (a CRD's storage still initializing, rate limits). */
export function isTooManyRequests(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 429;
}

export function isAuthFailure(err: unknown): boolean {
  return err instanceof KubeApiError && (err.status === 401 || err.status === 403);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A reconciler's step that failed: the object it concerned, what was being done, and why. Each
 * reconciler names its own subclass (the error's `name`), so logs say which controller it was.
 */
export class StepError extends Error {
  constructor(
    readonly object: string,
    readonly step: string,
    cause: unknown,
  ) {
    super(`${object}: ${step}: ${errorMessage(cause)}`);
    this.name = new.target.name;
  }
}
