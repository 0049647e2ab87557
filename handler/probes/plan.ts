/**
 * A VMI's readinessProbe / livenessProbe, read into what the prober runs (pure). KubeVirt's
 * semantics, which are kubelet's for a pod: one action per probe; timeoutSeconds 1,
 * periodSeconds 10, successThreshold 1, failureThreshold 3 by default; an httpGet succeeds on a
 * status from 200 to 399. The probe reaches the guest the way port-forward does (the launcher's
 * connection to the guest's port), so `host` and named ports have nothing to name and are refused;
 * `exec` is refused too (api/runtime-support.ts says so at admission).
 */
import { hasControlCharacters } from '../../api/validation/printable';

export type ProbeKind = 'readiness' | 'liveness';

export type ProbeAction =
  | { readonly type: 'tcpSocket'; readonly port: number }
  | {
      readonly type: 'httpGet';
      readonly port: number;
      readonly path: string;
      readonly scheme: 'HTTP' | 'HTTPS';
      readonly headers: readonly { readonly name: string; readonly value: string }[];
    }
  | { readonly type: 'guestAgentPing' };

export interface ProbePlan {
  readonly kind: ProbeKind;
  readonly action: ProbeAction;
  readonly initialDelayMs: number;
  readonly timeoutMs: number;
  readonly periodMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** A probe the prober cannot run: `message` names the field, the value and the fix. */
export class ProbePlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbePlanError';
  }
}

interface ProbeJson {
  exec?: unknown;
  guestAgentPing?: unknown;
  httpGet?: { path?: unknown; port?: unknown; host?: unknown; scheme?: unknown; httpHeaders?: unknown };
  tcpSocket?: { port?: unknown; host?: unknown };
  initialDelaySeconds?: unknown;
  timeoutSeconds?: unknown;
  periodSeconds?: unknown;
  successThreshold?: unknown;
  failureThreshold?: unknown;
}

/** The field a probe of this kind lives at. */
export const probeField = (kind: ProbeKind): string => `spec.${kind}Probe`;

function seconds(v: unknown, field: string, fallback: number, min: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 86_400)
    throw new ProbePlanError(`${field} is ${JSON.stringify(v)}; use a whole number from ${min} to 86400`);
  return v;
}

function port(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  if (typeof v === 'string')
    throw new ProbePlanError(
      `${field} is the port name ${JSON.stringify(v)}; a VMI probe names its guest port by number, e.g. 8080`,
    );
  throw new ProbePlanError(`${field} is ${JSON.stringify(v)}; use a port number from 1 to 65535`);
}

function noHost(host: unknown, field: string): void {
  if (host !== undefined && host !== null && host !== '')
    throw new ProbePlanError(
      `${field} is ${JSON.stringify(host)}: probing another host is not supported by virtkit yet; leave it out, the probe connects to the VMI's guest`,
    );
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

function headers(v: unknown, field: string): { name: string; value: string }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ProbePlanError(`${field} must be a list of {name, value}`);
  return v.map((h: { name?: unknown; value?: unknown }, i) => {
    if (typeof h?.name !== 'string' || !HEADER_NAME.test(h.name))
      throw new ProbePlanError(
        `${field}[${i}].name is ${JSON.stringify(h?.name)}; use an HTTP header name such as X-Probe`,
      );
    // No control characters: a header value must not split the request.
    if (typeof h.value !== 'string' || hasControlCharacters(h.value) || h.value.length > 4096)
      throw new ProbePlanError(
        `${field}[${i}].value of ${h.name} must be text without control characters, at most 4096 characters`,
      );
    return { name: h.name, value: h.value };
  });
}

/** `probe` read as the prober runs it; throws ProbePlanError naming the field. */
export function probePlan(kind: ProbeKind, probe: ProbeJson): ProbePlan {
  const f = probeField(kind);
  const actions = (['exec', 'guestAgentPing', 'httpGet', 'tcpSocket'] as const).filter(
    (a) => probe[a] !== undefined && probe[a] !== null,
  );
  if (actions.length !== 1)
    throw new ProbePlanError(
      `${f} has ${actions.length ? actions.join(' and ') : 'no action'}; set exactly one of tcpSocket, httpGet or guestAgentPing`,
    );
  let action: ProbeAction;
  if (probe.exec !== undefined)
    throw new ProbePlanError(
      `${f}.exec is not supported by virtkit yet; use tcpSocket, httpGet or guestAgentPing`,
    );
  if (probe.tcpSocket) {
    noHost(probe.tcpSocket.host, `${f}.tcpSocket.host`);
    action = { type: 'tcpSocket', port: port(probe.tcpSocket.port, `${f}.tcpSocket.port`) };
  } else if (probe.httpGet) {
    const h = probe.httpGet;
    noHost(h.host, `${f}.httpGet.host`);
    const path = h.path === undefined || h.path === '' ? '/' : h.path;
    if (
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      path.includes(' ') ||
      hasControlCharacters(path) ||
      path.length > 2048
    )
      throw new ProbePlanError(
        `${f}.httpGet.path is ${JSON.stringify(h.path)}; use an absolute path without spaces or control characters, e.g. /healthz`,
      );
    const scheme = h.scheme === undefined ? 'HTTP' : h.scheme;
    if (scheme !== 'HTTP' && scheme !== 'HTTPS')
      throw new ProbePlanError(`${f}.httpGet.scheme is ${JSON.stringify(h.scheme)}; use HTTP or HTTPS`);
    action = {
      type: 'httpGet',
      port: port(h.port, `${f}.httpGet.port`),
      path,
      scheme,
      headers: headers(h.httpHeaders, `${f}.httpGet.httpHeaders`),
    };
  } else {
    action = { type: 'guestAgentPing' };
  }
  const successThreshold = seconds(probe.successThreshold, `${f}.successThreshold`, 1, 1);
  if (kind === 'liveness' && successThreshold !== 1)
    throw new ProbePlanError(`${f}.successThreshold is ${successThreshold}; a liveness probe must use 1`);
  return {
    kind,
    action,
    initialDelayMs: seconds(probe.initialDelaySeconds, `${f}.initialDelaySeconds`, 0, 0) * 1000,
    timeoutMs: seconds(probe.timeoutSeconds, `${f}.timeoutSeconds`, 1, 1) * 1000,
    periodMs: seconds(probe.periodSeconds, `${f}.periodSeconds`, 10, 1) * 1000,
    successThreshold,
    failureThreshold: seconds(probe.failureThreshold, `${f}.failureThreshold`, 3, 1),
  };
}

/** What one probe run said. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Why it failed (kubelet's words where kubelet has them). */
  readonly message?: string;
}

/** A probe's standing: kubelet's counting of consecutive results against the thresholds. */
export interface ProbeState {
  /** readiness: Ready; liveness: alive. */
  readonly passing: boolean;
  readonly successes: number;
  readonly failures: number;
  /** The last failure's message while failing. */
  readonly message?: string;
}

/** Before the first result: a readiness probe is not ready yet, a liveness probe counts as alive. */
export const initialProbeState = (kind: ProbeKind): ProbeState => ({
  passing: kind === 'liveness',
  successes: 0,
  failures: 0,
});

/** The standing after one more result. Pure. */
export function nextProbeState(prev: ProbeState, result: ProbeResult, plan: ProbePlan): ProbeState {
  if (result.ok) {
    const successes = prev.successes + 1;
    const passing = prev.passing || successes >= plan.successThreshold;
    return { passing, successes, failures: 0, ...(passing ? {} : { message: prev.message }) };
  }
  const failures = prev.failures + 1;
  const passing = prev.passing && failures < plan.failureThreshold;
  return { passing, successes: 0, failures, message: result.message };
}
