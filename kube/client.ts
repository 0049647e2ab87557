/**
 * The one Kubernetes client every virtkit process uses (the role of client-go's REST client).
 * Objects travel as plain JSON, never through @kubernetes/client-node's typed models, which
 * drop fields they do not know. Authentication is client-node's: before each request its
 * KubeConfig applies the current user's credentials (client certificate, bearer token, token
 * file, exec plugin, auth provider, in-cluster ServiceAccount), so rotated tokens and expiring
 * exec credentials are picked up. Request paths are built here and nowhere else.
 */
import { createHash } from 'crypto';
import * as http from 'http';
import * as https from 'https';
import { Watch } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import { resolveKubeConfig, type KubeConfigOptions, type ResolvedKubeConfig } from './config';
import { isNotFound, KubeApiError } from './errors';
import { collectionPath, describeResource, objectPath, type ResourceType } from './resources';
import { openWebSocket, streamRefusedError, type StreamOptions } from './stream';
import type { ListResult, ListWatchTransport, StatusObject, WatchEventType, WatchHandle } from './watcher';

export type Json = Record<string, unknown>;

export interface KubeResponse<T = Json> {
  readonly status: number;
  readonly body: T;
  /** Warning headers (e.g. unknown fields under fieldValidation=Warn, deprecated APIs). */
  readonly warnings: readonly string[];
}

export type QueryValue = string | number | boolean | undefined;

/** What one request is, for paths and for messages that name the verb and the resource. */
interface Target {
  readonly verb: string;
  readonly rt?: ResourceType;
  readonly namespace?: string;
  readonly name?: string;
}

export interface WriteOptions {
  /** Where the field is `status`, `scale` or another subresource. */
  readonly subresource?: string;
  /** Strict: an unknown or duplicated field fails the request instead of being pruned. */
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  readonly dryRun?: boolean;
}

export interface ApplyOptions extends WriteOptions {
  /** Take fields over from other managers. @default true */
  readonly force?: boolean;
}

export interface DeleteOptions {
  /** Only delete the object with this uid (never a newer one of the same name). */
  readonly uid?: string;
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  readonly gracePeriodSeconds?: number;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** At most this many items (the server returns a continue token for the rest). */
  readonly limit?: number;
}

export interface ConnectOptions extends KubeConfigOptions {
  /** The field manager of every write. @default virtkit */
  readonly fieldManager?: string;
}

const VERB_OF: Record<string, string> = {
  GET: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

function query(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Shared by every client made from one configuration: TLS agents keyed by their credentials. */
class Transport {
  private readonly agents = new Map<string, http.Agent>();
  readonly watcher: Watch;
  readonly server: URL;

  constructor(readonly config: ResolvedKubeConfig) {
    this.watcher = new Watch(config.kubeConfig);
    this.server = new URL(config.server);
  }

  /**
   * The request options with the current credentials applied by client-node. The agent it
   * makes is replaced by a kept-alive one per distinct TLS identity (a rotated client certificate
   * gets a new agent; requests with the same one share connections).
   */
  async options(): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    await this.config.kubeConfig.applyToHTTPSOptions(opts);
    if (this.config.kubeConfig.getCurrentCluster()?.proxyUrl) return opts;
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          opts.ca?.toString(),
          opts.cert?.toString(),
          opts.key?.toString(),
          opts.rejectUnauthorized,
          opts.servername,
        ]),
      )
      .digest('hex');
    let agent = this.agents.get(key);
    if (!agent) {
      agent =
        this.server.protocol === 'http:'
          ? new http.Agent({ keepAlive: true })
          : new https.Agent({
              keepAlive: true,
              ca: opts.ca,
              cert: opts.cert,
              key: opts.key,
              rejectUnauthorized: opts.rejectUnauthorized,
              servername: opts.servername,
            });
      this.agents.set(key, agent);
    }
    opts.agent = agent;
    return opts;
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

export class KubeClient {
  private constructor(
    private readonly transport: Transport,
    /** The field manager of every write this client makes. */
    readonly fieldManager: string,
  ) {}

  /** Connect as kubectl would (see kube/config.ts); nothing is sent until the first request. */
  static connect(options: ConnectOptions = {}): KubeClient {
    return KubeClient.fromResolved(resolveKubeConfig(options), options.fieldManager);
  }

  static fromResolved(config: ResolvedKubeConfig, fieldManager = 'virtkit'): KubeClient {
    return new KubeClient(new Transport(config), fieldManager);
  }

  /** The same connection, writing under another field manager. */
  withFieldManager(fieldManager: string): KubeClient {
    return new KubeClient(this.transport, fieldManager);
  }

  get config(): ResolvedKubeConfig {
    return this.transport.config;
  }

  /** The namespace from `-n`, the context, or `default`. */
  get namespace(): string {
    return this.transport.config.namespace;
  }

  /** Close kept-alive connections (a short-lived command calls this before it exits). */
  close(): void {
    this.transport.close();
  }

  get<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource?: string,
  ): Promise<T> {
    return this.call<T>('GET', objectPath(rt, namespace, name, subresource), undefined, {
      verb: 'get',
      rt,
      namespace,
      name,
    });
  }

  /** The object, or undefined when it does not exist. */
  async getIfExists<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(rt, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One list (all namespaces when `namespace` is undefined); items get their apiVersion and kind back. */
  async list<T = Json>(rt: ResourceType, namespace?: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    const res = await this.call<{ items?: T[]; metadata?: { resourceVersion?: string } }>(
      'GET',
      collectionPath(rt, namespace) +
        query({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit }),
      undefined,
      { verb: 'list', rt, namespace },
    );
    // List items come without apiVersion/kind; restore them so objects are self-describing.
    const items = (res.items ?? []).map(
      (i) => ({ apiVersion: rt.apiVersion, kind: rt.kind, ...(i as object) }) as T,
    );
    return { items, resourceVersion: res.metadata?.resourceVersion ?? '' };
  }

  /** Create; fails with AlreadyExists when the name is taken (never modifies an existing object). */
  create<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    obj: unknown,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.call<T>('POST', collectionPath(rt, namespace) + this.writeQuery(opts), obj, {
      verb: 'create',
      rt,
      namespace,
    });
  }

  /** Replace (PUT); the object's resourceVersion makes it fail with 409 when someone wrote first. */
  replace<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    obj: unknown,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.call<T>(
      'PUT',
      objectPath(rt, namespace, name, opts.subresource) + this.writeQuery(opts),
      obj,
      {
        verb: 'update',
        rt,
        namespace,
        name,
      },
    );
  }

  /** Replace the status subresource (optimistic concurrency through the resourceVersion). */
  updateStatus<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    obj: unknown,
  ): Promise<T> {
    return this.replace<T>(rt, namespace, name, obj, { subresource: 'status' });
  }

  /** Server-side apply of the fields this client's manager owns. */
  apply<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    obj: unknown,
    opts: ApplyOptions = {},
  ): Promise<T> {
    return this.patch<T>(rt, namespace, name, obj, 'application/apply-patch+yaml', opts, opts.force ?? true);
  }

  /** JSON patch (RFC 6902), e.g. a `test` of the old finalizers before replacing them. */
  jsonPatch<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    ops: unknown[],
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.patch<T>(rt, namespace, name, ops, 'application/json-patch+json', opts);
  }

  /** JSON merge patch (RFC 7386). */
  mergePatch<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.patch<T>(rt, namespace, name, patch, 'application/merge-patch+json', opts);
  }

  /** Strategic merge patch, as kubelet writes Node and Pod status (conditions merge by type). */
  strategicPatch<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.patch<T>(rt, namespace, name, patch, 'application/strategic-merge-patch+json', opts);
  }

  /** POST to a subresource of one object: a pod's `binding` or `eviction`, a token request... */
  createSubresource<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<T> {
    return this.call<T>('POST', objectPath(rt, namespace, name, subresource) + this.writeQuery({}), body, {
      verb: 'create',
      rt: { ...rt, plural: `${rt.plural}/${subresource}` },
      namespace,
      name,
    });
  }

  /**
   * PUT to a subresource of one object, the way KubeVirt's aggregated API takes its verbs:
   * `virtualmachines/{name}/start` of subresources.kubevirt.io with a StartOptions body. The
   * whole answer comes back (virt-api answers 202 with no body); a refusal becomes a
   * KubeApiError carrying the server's Status message.
   */
  putSubresource<T = Json>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<KubeResponse<T>> {
    return this.send<T>('PUT', objectPath(rt, namespace, name, subresource), body, 'application/json', {
      verb: 'update',
      rt: { ...rt, plural: `${rt.plural}/${subresource}` },
      namespace,
      name,
    });
  }

  /**
   * Opens a websocket stream to a subresource of one object, the way KubeVirt's clients open
   * `virtualmachineinstances/{name}/console` or `/vnc` of subresources.kubevirt.io (subprotocol
   * `plain.kubevirt.io`): a GET upgrade through the API server, with this client's credentials.
   * Resolves with the open websocket, paused until the caller has its listeners on and calls
   * `resume()`; a refusal is a KubeApiError with the server's message (401/403 with who was
   * refused and what for).
   */
  async openStream(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string,
    o: StreamOptions = {},
  ): Promise<WebSocket> {
    const target: Target = {
      verb: 'get',
      rt: { ...rt, plural: `${rt.plural}/${subresource}` },
      namespace,
      name,
    };
    const path = objectPath(rt, namespace, name, subresource) + query(o.query ?? {});
    let opts: https.RequestOptions;
    try {
      opts = await this.transport.options();
    } catch (err) {
      throw new KubeApiError(
        'GET',
        path,
        0,
        'CredentialsUnavailable',
        (err as Error).message,
        `${this.whoAmI()}: could not get credentials: ${(err as Error).message}`,
      );
    }
    const server = this.transport.server;
    const url = new URL(server.origin + server.pathname.replace(/\/$/, '') + path);
    url.protocol = server.protocol === 'http:' ? 'ws:' : 'wss:';
    return openWebSocket(url, opts, o, {
      refused: (r) =>
        r.status === 401 || r.status === 403
          ? this.authError('GET', path, r.status, r.message, target)
          : streamRefusedError(path, r),
      failed: (err) =>
        new KubeApiError(
          'GET',
          path,
          0,
          'ConnectionFailed',
          err.message,
          `GET ${path}: cannot reach the API server ${server.origin} (${this.config.source}): ${err.message}`,
        ),
    });
  }

  /** Delete with an optional UID precondition (never deletes a newer object of the same name). */
  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<Json> {
    const body: Json = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.uid) body.preconditions = { uid: opts.uid };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    return this.call('DELETE', objectPath(rt, namespace, name), body, {
      verb: 'delete',
      rt,
      namespace,
      name,
    });
  }

  /** Delete every object of a type in a namespace (optionally label-selected). */
  deleteCollection(rt: ResourceType, namespace: string | undefined, opts: ListOptions = {}): Promise<Json> {
    return this.call(
      'DELETE',
      collectionPath(rt, namespace) +
        query({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector }),
      undefined,
      { verb: 'deletecollection', rt, namespace },
    );
  }

  /**
   * GET a path that is not a resource: discovery documents (`apiGroupPaths`), `/version`,
   * `/readyz`. Resource paths come from the typed methods above.
   */
  getPath<T = Json>(path: string): Promise<T> {
    return this.call<T>('GET', path, undefined, { verb: 'get' });
  }

  /** The whole response of a GET of a non-resource path, with its warnings. */
  getPathResponse<T = Json>(path: string): Promise<KubeResponse<T>> {
    return this.send<T>('GET', path, undefined, 'application/json', { verb: 'get' });
  }

  /** A list/watch transport over one resource type (one namespace or all), optionally label-selected. */
  listWatch<T>(rt: ResourceType, labelSelector?: string, namespace?: string): ListWatchTransport<T> {
    const path = collectionPath(rt, namespace);
    return {
      description: `${rt.plural}${namespace ? ` in ${namespace}` : ''}${labelSelector ? ` (${labelSelector})` : ''}`,
      list: () => this.list<T>(rt, namespace, { labelSelector }),
      watch: async (resourceVersion, onEvent, onDone): Promise<WatchHandle> => {
        const params: Record<string, string | number | boolean> = {
          resourceVersion,
          allowWatchBookmarks: true,
          // Like client-go: a random server-side timeout spreads reconnects out.
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        };
        if (labelSelector) params.labelSelector = labelSelector;
        const controller = await this.transport.watcher.watch(
          path,
          params,
          (type: string, object: unknown) => onEvent(type as WatchEventType, object as T | StatusObject),
          (err: unknown) => {
            if (err instanceof Error && 'statusCode' in err) {
              const code = Number((err as Error & { statusCode: unknown }).statusCode);
              onDone(
                code === 401 || code === 403
                  ? this.authError('GET', path, code, err.message, { verb: 'watch', rt, namespace })
                  : new KubeApiError(
                      'WATCH',
                      path,
                      code,
                      code === 410 ? 'Expired' : err.message,
                      err.message,
                    ),
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

  private writeQuery(opts: WriteOptions, force = false): string {
    return query({
      fieldManager: this.fieldManager,
      fieldValidation: opts.fieldValidation,
      dryRun: opts.dryRun ? 'All' : undefined,
      force: force ? true : undefined,
    });
  }

  private patch<T>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    contentType: string,
    opts: WriteOptions,
    force = false,
  ): Promise<T> {
    return this.call<T>(
      'PATCH',
      objectPath(rt, namespace, name, opts.subresource) + this.writeQuery(opts, force),
      body,
      {
        verb: 'patch',
        rt,
        namespace,
        name,
      },
      contentType,
    );
  }

  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    target: Target,
    contentType = 'application/json',
  ): Promise<T> {
    return (await this.send<T>(method, path, body, contentType, target)).body;
  }

  /** Send one request; a non-2xx answer becomes a KubeApiError with the server's message. */
  private async send<T>(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
    target: Target,
    timeoutMs = 60_000,
  ): Promise<KubeResponse<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const server = this.transport.server;
    let opts: https.RequestOptions;
    try {
      opts = await this.transport.options();
    } catch (err) {
      // An exec plugin that failed, a token file that vanished...
      throw new KubeApiError(
        method,
        path,
        0,
        'CredentialsUnavailable',
        (err as Error).message,
        `${this.whoAmI()}: could not get credentials: ${(err as Error).message}`,
      );
    }
    const transport = server.protocol === 'http:' ? http : https;
    const basePath = server.pathname.replace(/\/$/, '');
    return new Promise((resolve, reject) => {
      const req = transport.request(
        {
          ...opts,
          protocol: server.protocol,
          hostname: server.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: server.port,
          method,
          path: basePath + path,
          // client-node's headers (Authorization, Impersonate-User) plus the body's.
          headers: {
            ...(opts.headers ?? {}),
            Accept: 'application/json',
            'User-Agent': `virtkit/${this.fieldManager}`,
            ...(payload !== undefined
              ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            let parsed: Json = {};
            try {
              parsed = text ? (JSON.parse(text) as Json) : {};
            } catch {
              parsed = { message: text };
            }
            const status = res.statusCode ?? 0;
            if (status === 401 || status === 403) {
              reject(this.authError(method, path, status, String(parsed.message ?? text), target));
              return;
            }
            if (status < 200 || status >= 300) {
              reject(
                new KubeApiError(
                  method,
                  path,
                  status,
                  String(parsed.reason ?? res.statusMessage ?? ''),
                  String(parsed.message ?? text),
                ),
              );
              return;
            }
            const header = res.headers.warning;
            const warnings = header === undefined ? [] : Array.isArray(header) ? header : [header];
            resolve({ status, body: parsed as T, warnings });
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', (err) =>
        reject(
          new KubeApiError(
            method,
            path,
            0,
            'ConnectionFailed',
            err.message,
            `${method} ${path}: cannot reach the API server ${server.origin} (${this.config.source}): ${err.message}`,
          ),
        ),
      );
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  private whoAmI(): string {
    const c = this.config;
    return `user "${c.user}" of ${c.source}, context "${c.context}"`;
  }

  /** 401: the credentials were refused; 403: this identity lacks the verb on the resource. */
  private authError(
    method: string,
    path: string,
    status: number,
    serverMessage: string,
    target: Target,
  ): KubeApiError {
    const what = target.rt
      ? `${target.verb} ${describeResource(target.rt)}${target.name ? ` "${target.name}"` : ''}${
          target.rt.namespaced
            ? target.namespace
              ? ` in namespace "${target.namespace}"`
              : ' in all namespaces'
            : ''
        }`
      : `${VERB_OF[method] ?? method.toLowerCase()} ${path}`;
    const message =
      status === 401
        ? `Unauthorized: the API server ${this.config.server} refused the credentials of ${this.whoAmI()} (while trying to ${what}); the token or certificate is wrong or expired: renew it, or choose another user with --context or --kubeconfig`
        : `Forbidden: ${this.whoAmI()} may not ${what}; grant it with a Role or ClusterRole binding, or use an identity that has it (server: ${serverMessage})`;
    return new KubeApiError(
      method,
      path,
      status,
      status === 401 ? 'Unauthorized' : 'Forbidden',
      serverMessage,
      message,
    );
  }
}
