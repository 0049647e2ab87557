/** Install CustomResourceDefinitions and wait until the API server serves them. */
import type { CustomResourceDefinition } from '../../api/crd/generate';
import { CrdInstallError } from './errors';
import { CUSTOM_RESOURCE_DEFINITIONS as CRDS, KubeApiError, type KubeClient } from '../../kube';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface CrdFailure {
  readonly name: string;
  readonly message: string;
}

/** Create or replace one CRD, with Strict field validation so a generator typo is an error. */
async function applyCrd(client: KubeClient, crd: CustomResourceDefinition): Promise<void> {
  const name = crd.metadata.name;
  try {
    await client.create(CRDS, undefined, crd, { fieldValidation: 'Strict' });
  } catch (err) {
    if (!(err instanceof KubeApiError) || err.status !== 409) throw err;
    const current = await client.get<{ metadata: { resourceVersion?: string } }>(CRDS, undefined, name);
    await client.replace(
      CRDS,
      undefined,
      name,
      { ...crd, metadata: { ...crd.metadata, resourceVersion: current.metadata.resourceVersion } },
      { fieldValidation: 'Strict' },
    );
  }
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** undefined while pending, '' when Established, otherwise why it never will be. */
async function establishedState(client: KubeClient, name: string): Promise<string | undefined> {
  const crd = await client.get<{ status?: { conditions?: Condition[] } }>(CRDS, undefined, name);
  const conditions = crd.status?.conditions ?? [];
  const names = conditions.find((c) => c.type === 'NamesAccepted');
  if (names?.status === 'False')
    return `names not accepted: ${names.reason ?? ''} ${names.message ?? ''}`.trim();
  const nonStructural = conditions.find((c) => c.type === 'NonStructuralSchema' && c.status === 'True');
  if (nonStructural) return `schema is not structural: ${nonStructural.message ?? ''}`;
  return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? '' : undefined;
}

/**
 * Apply every CRD, then wait until each is Established. Gathers every failure (with the API
 * server's own message) instead of stopping at the first; returns them, never throws for them.
 */
export async function applyCrds(
  client: KubeClient,
  crds: readonly CustomResourceDefinition[],
  timeoutMs = 60_000,
): Promise<CrdFailure[]> {
  const failures: CrdFailure[] = [];
  const pending = new Set<string>();
  for (const crd of crds) {
    try {
      await applyCrd(client, crd);
      pending.add(crd.metadata.name);
    } catch (err) {
      failures.push({
        name: crd.metadata.name,
        message: err instanceof KubeApiError ? err.serverMessage : String(err),
      });
    }
  }
  return [...failures, ...(await waitEstablished(client, [...pending], timeoutMs))];
}

/** Waits until each CRD is Established; returns those that are not, and why (never throws for them). */
export async function waitEstablished(
  client: KubeClient,
  names: readonly string[],
  timeoutMs = 60_000,
): Promise<CrdFailure[]> {
  const failures: CrdFailure[] = [];
  const pending = new Set(names);
  const deadline = Date.now() + timeoutMs;
  while (pending.size) {
    for (const name of [...pending]) {
      const state = await establishedState(client, name);
      if (state === undefined) continue;
      pending.delete(name);
      if (state !== '') failures.push({ name, message: state });
    }
    if (!pending.size) break;
    if (Date.now() > deadline) {
      for (const name of pending)
        failures.push({ name, message: `not Established after ${timeoutMs / 1000}s` });
      break;
    }
    await sleep(200);
  }
  return failures;
}

/** applyCrds, throwing CrdInstallError listing every CRD that failed. */
export async function installCrds(
  client: KubeClient,
  crds: readonly CustomResourceDefinition[],
  timeoutMs?: number,
): Promise<void> {
  const failures = await applyCrds(client, crds, timeoutMs);
  if (failures.length) throw new CrdInstallError(failures);
}

/**
 * Kubernetes' volume snapshot CRDs (snapshot.storage.k8s.io/v1), created where the cluster has
 * none: a cluster's own (the external-snapshotter's, of another version perhaps) are never
 * replaced. Returns the names created; throws CrdInstallError like installCrds.
 */
export async function installVolumeSnapshotCrds(
  client: KubeClient,
  crds: readonly CustomResourceDefinition[],
  timeoutMs?: number,
): Promise<string[]> {
  const missing: CustomResourceDefinition[] = [];
  for (const crd of crds)
    if (!(await client.getIfExists(CRDS, undefined, crd.metadata.name))) missing.push(crd);
  await installCrds(client, missing, timeoutMs);
  return missing.map((c) => c.metadata.name);
}
