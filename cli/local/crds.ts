/** Install CustomResourceDefinitions and wait until the API server serves them. */
import type { CustomResourceDefinition } from '../../api/crd/generate';
import { CrdInstallError } from './errors';
import { ApiError, type Json, type RestClient } from './rest';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface CrdFailure {
  readonly name: string;
  readonly message: string;
}

/** Create or replace one CRD, with Strict field validation so a generator typo is an error. */
async function applyCrd(client: RestClient, crd: CustomResourceDefinition): Promise<void> {
  const name = crd.metadata.name;
  try {
    await client.request('POST', `${CRD_PATH}?fieldValidation=Strict&fieldManager=virtkit`, crd);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 409) throw err;
    const current = await client.get(`${CRD_PATH}/${name}`);
    const metadata = current.body.metadata as Json;
    await client.request('PUT', `${CRD_PATH}/${name}?fieldValidation=Strict&fieldManager=virtkit`, {
      ...crd,
      metadata: { ...crd.metadata, resourceVersion: metadata.resourceVersion },
    });
  }
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** undefined while pending, '' when Established, otherwise why it never will be. */
async function establishedState(client: RestClient, name: string): Promise<string | undefined> {
  const { body } = await client.get(`${CRD_PATH}/${name}`);
  const conditions = ((body.status as Json | undefined)?.conditions ?? []) as Condition[];
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
  client: RestClient,
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
        message: err instanceof ApiError ? err.serverMessage : String(err),
      });
    }
  }
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
  client: RestClient,
  crds: readonly CustomResourceDefinition[],
  timeoutMs?: number,
): Promise<void> {
  const failures = await applyCrds(client, crds, timeoutMs);
  if (failures.length) throw new CrdInstallError(failures);
}
