/** The typed failure of a Kubernetes API call; no dependencies, so pure code and unit tests can use it. */
/** A non-2xx answer (or a transport failure, status 0) from the API server. */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** The Status reason (NotFound, AlreadyExists, Conflict, Expired...). */
    readonly reason: string,
    readonly serverMessage: string,
  ) {
    super(`${method} ${path}: HTTP ${status} ${reason}: ${serverMessage}`);
    this.name = 'KubeApiError';
  }
}
