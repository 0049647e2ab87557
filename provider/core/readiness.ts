/**
 * How `pulumi up` waits for a virtkit object to be ready, as pure data. The Kubernetes
 * provider (4.18 and later) reads three annotations on any object, custom resources included:
 * `pulumi.com/waitFor` (a `condition=...` or `jsonpath={...}=value` expression, or a JSON
 * list of them that must all hold), `pulumi.com/timeoutSeconds` and `pulumi.com/skipAwait`.
 * The rules below decide, per kind, which of them to write. The VirtualMachine is the
 * exception: it writes skipAwait and waits itself (vm-settle.ts says why).
 */
import type { kubevirtV1 } from '../../api';

export const WAIT_FOR_ANNOTATION = 'pulumi.com/waitFor';
export const TIMEOUT_ANNOTATION = 'pulumi.com/timeoutSeconds';
export const SKIP_AWAIT_ANNOTATION = 'pulumi.com/skipAwait';

/** What "ready" means for one object: every expression must hold, or nothing is awaited. */
export interface Readiness {
  /** Expressions in the provider's `waitFor` syntax; empty means "do not wait". */
  readonly waitFor: readonly string[];
  /** Why, for messages and docs: `Ready condition`, `printableStatus Stopped`... */
  readonly describe: string;
}

/** The caller's say over waiting, as every component exposes it. */
export interface AwaitOptions {
  /** Give up after this many seconds. Default: the kind's own default. */
  readonly timeoutSeconds?: number;
  /** Do not wait at all: the resource counts as created once the API server accepts it. */
  readonly skipAwait?: boolean;
}

const condition = (type: string): string => `condition=${type}`;
const jsonpath = (path: string, value: string): string => `jsonpath={${path}}=${value}`;

export const NO_WAIT: Readiness = { waitFor: [], describe: 'not awaited' };

/**
 * The run strategy a VM spec stands for: `runStrategy` when set, otherwise the deprecated
 * `running` boolean (true is Always, false is Halted).
 */
export function effectiveRunStrategy(spec: {
  readonly runStrategy?: kubevirtV1.RunStrategy;
  readonly running?: boolean | null;
}): kubevirtV1.RunStrategy | undefined {
  if (spec.runStrategy) return spec.runStrategy;
  if (spec.running === true) return 'Always';
  if (spec.running === false) return 'Halted';
  return undefined;
}

export const snapshotReadiness: Readiness = {
  waitFor: [jsonpath('.status.readyToUse', 'true')],
  describe: 'readyToUse',
};

export const restoreReadiness: Readiness = {
  waitFor: [jsonpath('.status.complete', 'true')],
  describe: 'complete',
};

export const dataVolumeReadiness: Readiness = {
  waitFor: [jsonpath('.status.phase', 'Succeeded')],
  describe: 'phase Succeeded',
};

export const subnetReadiness: Readiness = {
  waitFor: [condition('Ready')],
  describe: 'Ready condition',
};

/**
 * The annotations that make the Kubernetes provider wait as `readiness` says. Opting out, or
 * a readiness with nothing to wait for, writes `skipAwait` so that no provider-wide default
 * (such as awaiting every Ready condition) waits on an object that will never get there.
 */
export function awaitAnnotations(
  readiness: Readiness,
  options: AwaitOptions,
  defaultTimeoutSeconds: number,
): Record<string, string> {
  if (options.skipAwait || readiness.waitFor.length === 0) return { [SKIP_AWAIT_ANNOTATION]: 'true' };
  const waitFor = readiness.waitFor.length === 1 ? readiness.waitFor[0] : JSON.stringify(readiness.waitFor);
  return {
    [WAIT_FOR_ANNOTATION]: waitFor,
    [TIMEOUT_ANNOTATION]: String(options.timeoutSeconds ?? defaultTimeoutSeconds),
  };
}

/** Problems with AwaitOptions, as `[field, message]` pairs; empty when they are fine. */
export function checkAwaitOptions(options: AwaitOptions): [string, string][] {
  const t = options.timeoutSeconds;
  if (t === undefined) return [];
  if (!Number.isInteger(t) || t <= 0)
    return [['await.timeoutSeconds', `must be a whole number of seconds above 0, got ${String(t)}`]];
  return [];
}
