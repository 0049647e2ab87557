/**
 * The handler's view of the API: resource types it reads and writes, and the write helpers
 * that carry its field manager. The transport (KubeClient: plain JSON, list/watch with the
 * reflector's rules) is the controller's runtime library, shared rather than copied.
 */
import { KubeClient, type Json } from '../controller/runtime/kube-client';
import { objectPath, type ResourceType } from '../controller/runtime/resources';

export { KubeClient, type Json, type ResourceType };
export { PODS, VIRTUAL_MACHINE_INSTANCES, LEASES } from '../controller/runtime/resources';
export {
  isNotFound,
  isConflict,
  isAlreadyExists,
  errorMessage,
  KubeApiError,
} from '../controller/runtime/errors';

/** The field manager of every write the handler makes. */
export const HANDLER_FIELD_MANAGER = 'virtkit-handler';

export const NODES: ResourceType = { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };
export const PVCS: ResourceType = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  namespaced: true,
};
export const PVS: ResourceType = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  namespaced: false,
};
export const SECRETS: ResourceType = {
  apiVersion: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
};
export const CONFIG_MAPS: ResourceType = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};

const q = `fieldManager=${HANDLER_FIELD_MANAGER}`;

/** Server-side apply (force: the handler's fields are the handler's). */
export function applyAs<T = Json>(
  client: KubeClient,
  rt: ResourceType,
  ns: string | undefined,
  name: string,
  body: unknown,
  subresource?: string,
): Promise<T> {
  return client.request<T>(
    'PATCH',
    `${objectPath(rt, ns, name, subresource)}?${q}&force=true`,
    body,
    'application/apply-patch+yaml',
  );
}

/** Strategic merge patch, as kubelet writes Node and Pod status (conditions merge by type). */
export function strategicPatch<T = Json>(
  client: KubeClient,
  rt: ResourceType,
  ns: string | undefined,
  name: string,
  patch: unknown,
  subresource?: string,
): Promise<T> {
  return client.request<T>(
    'PATCH',
    `${objectPath(rt, ns, name, subresource)}?${q}`,
    patch,
    'application/strategic-merge-patch+json',
  );
}

export function createAs<T = Json>(client: KubeClient, path: string, body: unknown): Promise<T> {
  return client.request<T>('POST', `${path}?${q}`, body);
}

export function getObject<T = Json>(
  client: KubeClient,
  rt: ResourceType,
  ns: string | undefined,
  name: string,
): Promise<T> {
  return client.request<T>('GET', objectPath(rt, ns, name));
}

/** Delete now (grace 0), only the object with this uid: what kubelet does once a pod's processes are gone. */
export function deleteNow(
  client: KubeClient,
  rt: ResourceType,
  ns: string | undefined,
  name: string,
  uid: string,
): Promise<Json> {
  return client.request('DELETE', objectPath(rt, ns, name), {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 0,
    preconditions: { uid },
  });
}
