/**
 * The controller's connection to the API server. Objects travel as plain JSON (never through
 * @kubernetes/client-node's typed models, which drop fields they do not know); the kubeconfig,
 * TLS set-up and the streaming watch come from @kubernetes/client-node (KubeConfig, Watch).
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeApiError, KubeEndpoint } from '../../common/kube-rest';
import { collectionPath, objectPath, type ResourceType } from './resources';
import type { ListResult, ListWatchTransport, StatusObject, WatchEventType, WatchHandle } from './watcher';

export const FIELD_MANAGER = 'virtkit-controller';

export type { Json } from '../../common/kube-rest';
import type { Json } from '../../common/kube-rest';

export class KubeClient {
  private readonly watcher: Watch;

  private constructor(private readonly endpoint: KubeEndpoint) {
    this.watcher = new Watch(endpoint.kubeConfig);
  }

  get kubeConfig(): KubeConfig {
    return this.endpoint.kubeConfig;
  }

  static async fromKubeconfig(file: string): Promise<KubeClient> {
    return new KubeClient(await KubeEndpoint.fromKubeconfig(file));
  }

  /** One request; a non-2xx answer becomes a KubeApiError carrying the server's Status. */
  async request<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    return (await this.endpoint.request(method, path, body, contentType)).body as T;
  }

  get<T = Json>(rt: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', objectPath(rt, namespace, name));
  }

  /** Create; fails with AlreadyExists when the name is taken (never modifies an existing object). */
  create<T = Json>(rt: ResourceType, namespace: string | undefined, obj: unknown): Promise<T> {
    return this.request<T>('POST', `${collectionPath(rt, namespace)}?fieldManager=${FIELD_MANAGER}`, obj);
  }

  /** Server-side apply of the fields this controller owns; `force` takes them over from others. */
  apply<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    obj: unknown,
    force = true,
    subresource?: string,
  ): Promise<T> {
    const q = `?fieldManager=${FIELD_MANAGER}${force ? '&force=true' : ''}`;
    return this.request<T>(
      'PATCH',
      `${objectPath(rt, namespace, name, subresource)}${q}`,
      obj,
      'application/apply-patch+yaml',
    );
  }

  /** Replace the status subresource; the object's resourceVersion makes it fail (409) if someone wrote first. */
  updateStatus<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    obj: unknown,
  ): Promise<T> {
    return this.request<T>(
      'PUT',
      `${objectPath(rt, namespace, name, 'status')}?fieldManager=${FIELD_MANAGER}`,
      obj,
    );
  }

  /** JSON patch (RFC 6902), e.g. a `test` of the old finalizers before replacing them. */
  jsonPatch<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    ops: unknown[],
    subresource?: string,
  ): Promise<T> {
    return this.request<T>(
      'PATCH',
      `${objectPath(rt, namespace, name, subresource)}?fieldManager=${FIELD_MANAGER}`,
      ops,
      'application/json-patch+json',
    );
  }

  mergePatch<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ): Promise<T> {
    return this.request<T>(
      'PATCH',
      `${objectPath(rt, namespace, name)}?fieldManager=${FIELD_MANAGER}`,
      patch,
      'application/merge-patch+json',
    );
  }

  /** Delete with an optional UID precondition (never deletes a newer object of the same name). */
  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { uid?: string; propagationPolicy?: string; gracePeriodSeconds?: number } = {},
  ): Promise<Json> {
    const body: Json = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.uid) body.preconditions = { uid: opts.uid };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    return this.request('DELETE', objectPath(rt, namespace, name), body);
  }

  /** A list/watch transport over one resource type (one namespace or all), optionally label-selected. */
  listWatch<T>(rt: ResourceType, labelSelector?: string, namespace?: string): ListWatchTransport<T> {
    const path = collectionPath(rt, namespace);
    const selector = labelSelector ? `labelSelector=${encodeURIComponent(labelSelector)}` : '';
    return {
      description: `${rt.plural}${namespace ? ` in ${namespace}` : ''}${labelSelector ? ` (${labelSelector})` : ''}`,
      list: async (): Promise<ListResult<T>> => {
        const res = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string } }>(
          'GET',
          `${path}${selector ? `?${selector}` : ''}`,
        );
        const kind = rt.kind;
        // List items come without apiVersion/kind; restore them so objects are self-describing.
        const items = (res.items ?? []).map(
          (i) => ({ apiVersion: rt.apiVersion, kind, ...(i as object) }) as T,
        );
        return { items, resourceVersion: res.metadata?.resourceVersion ?? '' };
      },
      watch: async (resourceVersion, onEvent, onDone): Promise<WatchHandle> => {
        const params: Record<string, string | number | boolean> = {
          resourceVersion,
          allowWatchBookmarks: true,
          // Like client-go: a random server-side timeout spreads reconnects out.
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        };
        if (labelSelector) params.labelSelector = labelSelector;
        const controller = await this.watcher.watch(
          path,
          params,
          (type: string, object: unknown) => onEvent(type as WatchEventType, object as T | StatusObject),
          (err: unknown) => {
            if (err instanceof Error && 'statusCode' in err) {
              const code = Number((err as Error & { statusCode: unknown }).statusCode);
              onDone(
                new KubeApiError('WATCH', path, code, code === 410 ? 'Expired' : err.message, err.message),
              );
              return;
            }
            onDone(err ?? undefined);
          },
        );
        return { abort: () => controller.abort() };
      },
    };
  }
}
