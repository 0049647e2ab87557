/**
 * API discovery (the role of client-go's RESTMapper): which resource serves a kind, so any
 * object (ours, core, a CRD installed later) can be read and written from its apiVersion and
 * kind alone. Answers are cached per client; a kind that is not served is asked for again.
 */
import type { KubeClient } from './client';
import { groupVersionPath, type ResourceType } from './resources';

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const cache = new WeakMap<KubeClient, Map<string, Promise<ApiResource[]>>>();

function resourcesOf(client: KubeClient, apiVersion: string): Promise<ApiResource[]> {
  let perClient = cache.get(client);
  if (!perClient) cache.set(client, (perClient = new Map()));
  let entry = perClient.get(apiVersion);
  if (!entry) {
    entry = client
      .getPath<{ resources?: ApiResource[] }>(groupVersionPath(apiVersion))
      .then((doc) => (doc.resources ?? []).filter((r) => !r.name.includes('/')));
    perClient.set(apiVersion, entry);
    const forget = perClient;
    entry.catch(() => forget.delete(apiVersion));
  }
  return entry;
}

/** The resource serving `kind` in `apiVersion`; throws naming the kind when it is not served. */
export async function discoverResource(
  client: KubeClient,
  apiVersion: string,
  kind: string,
): Promise<ResourceType> {
  const found = (await resourcesOf(client, apiVersion)).find((r) => r.kind === kind);
  if (!found) {
    cache.get(client)?.delete(apiVersion);
    throw new Error(`${apiVersion} ${kind}: the API server does not serve this kind (is its CRD installed?)`);
  }
  return { apiVersion, kind, plural: found.name, namespaced: found.namespaced };
}
