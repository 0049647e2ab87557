/**
 * What integration suites use to talk to the shared control plane: a REST client, server-side
 * apply with field validation Strict (any field the schema does not know fails the request),
 * reading objects back, and paths found through API discovery (so any kind works, ours or core).
 */
import { ApiError, RestClient, type Json } from '../../../cli/local/rest';
import { readShared } from './shared-controlplane';

export { ApiError, RestClient, type Json };

let shared: Promise<RestClient> | undefined;

export function sharedClient(): Promise<RestClient> {
  shared ??= RestClient.fromKubeconfig(readShared().kubeconfig);
  return shared;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const discovery = new Map<string, Promise<ApiResource[]>>();

function groupPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

async function resourcesOf(client: RestClient, apiVersion: string): Promise<ApiResource[]> {
  let entry = discovery.get(apiVersion);
  if (!entry) {
    entry = client
      .get(groupPath(apiVersion))
      .then((r) => (r.body.resources as ApiResource[]).filter((x) => !x.name.includes('/')));
    discovery.set(apiVersion, entry);
    entry.catch(() => discovery.delete(apiVersion));
  }
  return entry;
}

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export function refOf(obj: Json): ObjectRef {
  const metadata = (obj.metadata ?? {}) as Json;
  return {
    apiVersion: String(obj.apiVersion),
    kind: String(obj.kind),
    name: String(metadata.name),
    ...(metadata.namespace ? { namespace: String(metadata.namespace) } : {}),
  };
}

/** The REST path of one object, e.g. /apis/kubevirt.io/v1/namespaces/ns/virtualmachines/vm. */
export async function objectPath(client: RestClient, ref: ObjectRef): Promise<string> {
  const resource = (await resourcesOf(client, ref.apiVersion)).find((r) => r.kind === ref.kind);
  if (!resource)
    throw new Error(
      `${ref.apiVersion} ${ref.kind}: the API server does not serve this kind (is its CRD installed?)`,
    );
  if (resource.namespaced && !ref.namespace)
    throw new Error(`${ref.kind}/${ref.name}: a namespaced kind needs metadata.namespace`);
  const ns = resource.namespaced ? `/namespaces/${ref.namespace}` : '';
  return `${groupPath(ref.apiVersion)}${ns}/${resource.name}/${ref.name}`;
}

export async function kindIsNamespaced(
  client: RestClient,
  apiVersion: string,
  kind: string,
): Promise<boolean> {
  const resource = (await resourcesOf(client, apiVersion)).find((r) => r.kind === kind);
  if (!resource) throw new Error(`${apiVersion} ${kind}: the API server does not serve this kind`);
  return resource.namespaced;
}

/**
 * Server-side apply with fieldValidation=Strict: an unknown or duplicate field fails the
 * request (with the server's message naming the field) instead of being pruned.
 */
export async function applyStrict(
  client: RestClient,
  obj: Json,
  fieldManager = 'virtkit-integration',
): Promise<Json> {
  const path = await objectPath(client, refOf(obj));
  const query = `?fieldManager=${fieldManager}&fieldValidation=Strict&force=true`;
  const res = await client.request('PATCH', `${path}${query}`, obj, 'application/apply-patch+yaml');
  return res.body;
}

export async function readBack(client: RestClient, ref: ObjectRef): Promise<Json> {
  return (await client.get(await objectPath(client, ref))).body;
}

/** Create a namespace for one suite (names must be unique per run; callers add a suffix). */
export async function createNamespace(client: RestClient, name: string): Promise<string> {
  await client.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  return name;
}

export async function deleteNamespace(client: RestClient, name: string): Promise<void> {
  try {
    await client.request('DELETE', `/api/v1/namespaces/${name}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
}
