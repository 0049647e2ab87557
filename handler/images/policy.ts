/**
 * Pure decisions of the image puller: the pull policy (Kubernetes' and KubeVirt's default:
 * Always for `:latest` or no tag, else IfNotPresent), registry mirrors (`--registry-mirror
 * HOST=URL`, like containerd's hosts.toml), credentials from an image pull secret, and the
 * kubelet-style back-off after a failed pull.
 */
import { DOCKER_HUB, effectiveTag, type ImageReference } from '../../common/oci/reference';
import type { Credentials } from '../../common/oci/client';
import type { RegistryMirror } from '../../api/registry-mirror';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
const POLICIES: readonly string[] = ['Always', 'IfNotPresent', 'Never'];

export function pullPolicyOf(ref: ImageReference, given: string | undefined): PullPolicy {
  if (given !== undefined && given !== '') {
    if (!POLICIES.includes(given))
      throw new Error(`imagePullPolicy ${JSON.stringify(given)} is not Always, IfNotPresent or Never`);
    return given as PullPolicy;
  }
  return !ref.digest && effectiveTag(ref) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** What to do with what the cache has for this reference. */
export function pullDecision(policy: PullPolicy, cached: boolean): 'use-cache' | 'resolve' | 'never-pull' {
  if (policy === 'Always') return 'resolve';
  if (cached) return 'use-cache';
  return policy === 'Never' ? 'never-pull' : 'resolve';
}

// The mirror syntax is shared with the install options (api/registry-mirror.ts).
export { parseRegistryMirror, type RegistryMirror } from '../../api/registry-mirror';

/** Base URLs to try for `registry`, in order: its mirrors, then (undefined) the registry itself. */
export function endpointsFor(registry: string, mirrors: readonly RegistryMirror[]): (string | undefined)[] {
  return [...mirrors.filter((m) => m.registry === registry).map((m) => m.endpoint), undefined];
}

/** A docker config's registry key (`https://index.docker.io/v1/`, `quay.io`, `http://host:5000`) as a registry host. */
function registryOfKey(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .split('/')[0]
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

/**
 * Credentials for `registry` in an image pull secret's data (kubernetes.io/dockerconfigjson's
 * `.dockerconfigjson`, or the older kubernetes.io/dockercfg's `.dockercfg`), base64 as stored.
 */
export function credentialsFromSecret(
  data: Record<string, string> | undefined,
  registry: string,
): Credentials | undefined {
  const raw = data?.['.dockerconfigjson'] ?? data?.['.dockercfg'];
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw new Error('the pull secret is not a docker config JSON (.dockerconfigjson)');
  }
  const auths = ((parsed as { auths?: unknown }).auths ?? parsed) as Record<string, unknown>;
  if (!auths || typeof auths !== 'object') return undefined;
  for (const [key, value] of Object.entries(auths)) {
    if (registryOfKey(key) !== registry || !value || typeof value !== 'object') continue;
    const v = value as { auth?: unknown; username?: unknown; password?: unknown };
    if (typeof v.username === 'string')
      return { username: v.username, password: typeof v.password === 'string' ? v.password : '' };
    if (typeof v.auth === 'string') {
      const plain = Buffer.from(v.auth, 'base64').toString('utf8');
      const colon = plain.indexOf(':');
      if (colon > 0) return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
    }
  }
  return undefined;
}

/** kubelet's image back-off: 10 s, doubling, at most 5 minutes. */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

export function backoffMs(failures: number, initial = BACKOFF_INITIAL_MS, max = BACKOFF_MAX_MS): number {
  return Math.min(max, initial * 2 ** Math.max(0, failures - 1));
}
