/**
 * What integration suites use to talk to the shared control plane: virtkit's own client
 * (kube/), server-side apply with field validation Strict (any field the schema does not know
 * fails the request), reading objects back, and resources found through API discovery (so any
 * kind works, ours or core).
 */
import { discoverResource, KubeApiError, KubeClient, NAMESPACES, type Json } from '../../../kube';
import { readShared } from './shared-controlplane';

export { KubeApiError as ApiError, KubeClient, type Json };

let shared: KubeClient | undefined;

export async function sharedClient(): Promise<KubeClient> {
  shared ??= KubeClient.connect({ kubeconfig: readShared().kubeconfig, fieldManager: 'virtkit-integration' });
  return shared;
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

async function resourceOf(client: KubeClient, ref: ObjectRef) {
  const rt = await discoverResource(client, ref.apiVersion, ref.kind);
  if (rt.namespaced && !ref.namespace)
    throw new Error(`${ref.kind}/${ref.name}: a namespaced kind needs metadata.namespace`);
  return rt;
}

export async function kindIsNamespaced(
  client: KubeClient,
  apiVersion: string,
  kind: string,
): Promise<boolean> {
  return (await discoverResource(client, apiVersion, kind)).namespaced;
}

/**
 * Server-side apply with fieldValidation=Strict: an unknown or duplicate field fails the
 * request (with the server's message naming the field) instead of being pruned.
 */
export async function applyStrict(client: KubeClient, obj: Json, fieldManager?: string): Promise<Json> {
  const ref = refOf(obj);
  const rt = await resourceOf(client, ref);
  const writer = fieldManager ? client.withFieldManager(fieldManager) : client;
  return writer.apply(rt, ref.namespace, ref.name, obj, { fieldValidation: 'Strict' });
}

export async function readBack(client: KubeClient, ref: ObjectRef): Promise<Json> {
  return client.get(await resourceOf(client, ref), ref.namespace, ref.name);
}

/** Create a namespace for one suite (names must be unique per run; callers add a suffix). */
export async function createNamespace(client: KubeClient, name: string): Promise<string> {
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.delete(NAMESPACES, undefined, name);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) throw err;
  }
}
