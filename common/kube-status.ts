/**
 * Kubernetes `Status` failure objects, the way the API server (and KubeVirt's virt-api and
 * virt-handler) answers errors: one builder for every virtkit endpoint that answers with one
 * (`virtkit api`'s subresources and streams, the handler's node API).
 */

/** The Status `reason` of an HTTP code (k8s.io/apimachinery's StatusReason values). */
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
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

/** A Status failure body: `{kind: Status, status: Failure, message, reason, details?, code}`. */
export function failureStatus(
  code: number,
  message: string,
  details?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

/** An HTTP answer: its status code and its Status body. */
export interface FailureAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A failure answer: the HTTP status `code` with its Status body. */
export function failure(code: number, message: string, details?: Record<string, unknown>): FailureAnswer {
  return { status: code, body: failureStatus(code, message, details) };
}
