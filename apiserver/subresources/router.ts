/**
 * The subresource API's router (the role of virt-api's go-restful web service): everything
 * under /apis on `virtkit api`'s port. Each request is authenticated first (request-header
 * authentication: it must come through the API server's front proxy; else 401), then:
 *
 *   GET /apis                                            APIGroupList (the aggregator's discovery)
 *   GET /apis/subresources.kubevirt.io                   APIGroup
 *   GET /apis/subresources.kubevirt.io/v1                APIResourceList (./catalog.ts)
 *   GET /apis/subresources.kubevirt.io/v1/version        KubeVirt's version info, virtkit's values
 *   GET /apis/subresources.kubevirt.io/v1/healthz        the api component's connection to the API server
 *   PUT /apis/subresources.kubevirt.io/v1/namespaces/{ns}/expand-vm-spec
 *   GET|PUT /apis/subresources.kubevirt.io/v1/namespaces/{ns}/{virtualmachines|virtualmachineinstances}/{name}/{subresource}[/...]
 *
 * Subresources go to the handler registered for them (./handlers.ts) with the parsed JSON body;
 * one without a handler answers 501. Unknown paths answer 404, a method the route does not take
 * 405, a bad name or bad JSON 400, a body over the limit 413, all as Kubernetes Status objects.
 * Websocket upgrades of `virtualmachineinstances/{name}/console`, `/vnc` and `/portforward/...`
 * (and a VM's `portforward`) are streams (./streams.ts); the other streams (usbredir, vsock...)
 * answer 501 for now.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { Duplex } from 'stream';
import { dns1123LabelProblems, dns1123SubdomainProblems } from '../../api/validation/dns-names';
import { BodyError, readJsonBody, sendAnswer } from '../../common/http-json';
import { failure } from '../../common/kube-status';
import { refuseUpgrade } from '../../common/plain-stream';
import { errorMessage, KubeApiError } from '../../kube/errors';
import { SUBRESOURCES_API_VERSION, SUBRESOURCES_GROUP } from '../../kube/resources';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  SUBRESOURCE_CATALOG,
  type SubresourceEntry,
} from './catalog';
import { SUBRESOURCE_HANDLERS, type SubresourceHandlers } from './handlers';
import type { AuthenticationResult } from './request-header';
import { SubresourceError } from './subresource-error';
import { handleStream, isServedStream, isServedStreamRoute, type StreamDeps } from './streams';
import type {
  RequestUser,
  SubresourceAnswer,
  SubresourceContext,
  SubresourceKind,
  SubresourceRequest,
} from './types';
import { versionInfo, type VersionInfo } from './version';

/** kube-apiserver's own limit on a request body. */
export const MAX_SUBRESOURCE_BODY_BYTES = 3 * 1024 * 1024;

const VERSION = SUBRESOURCES_API_VERSION.split('/')[1];
const KINDS: readonly SubresourceKind[] = ['virtualmachines', 'virtualmachineinstances'];

export interface RouterOptions {
  /** Who sent the request (request-header authentication of its connection and headers). */
  readonly authenticate: (req: IncomingMessage) => AuthenticationResult;
  readonly context: SubresourceContext;
  /** @default SUBRESOURCE_HANDLERS */
  readonly handlers?: SubresourceHandlers;
  /** @default versionInfo() */
  readonly version?: () => VersionInfo;
  /** @default MAX_SUBRESOURCE_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** What websocket streams use (the VMI lookup, the node connection); tests pass their own. */
  readonly streams?: StreamDeps;
}

/** Whether a request path belongs to the router (anything under /apis). */
export function isSubresourceApiPath(pathname: string): boolean {
  return pathname.split('/')[1] === 'apis';
}

/** What a path names, decided from the path and method alone (pure). */
export type Route =
  | { readonly kind: 'answer'; readonly answer: SubresourceAnswer; readonly allow?: readonly string[] }
  | { readonly kind: 'healthz' }
  | {
      readonly kind: 'subresource';
      readonly entry: SubresourceEntry;
      readonly namespace: string;
      readonly resource: SubresourceKind;
      readonly name: string;
      readonly subresource: string;
      readonly rest: readonly string[];
    };

const notFound = (path: string): Route => ({
  kind: 'answer',
  answer: failure(404, `the server could not find the requested resource: ${path}`),
});

function methodNotAllowed(method: string, path: string, allow: readonly string[]): Route {
  return {
    kind: 'answer',
    answer: failure(405, `${method} is not allowed on ${path}; it takes ${allow.join(', ')}`),
    allow,
  };
}

/** Path segments without the leading slash (and one trailing slash); undefined for empty or undecodable ones. */
function segments(pathname: string): string[] | undefined {
  const parts = pathname.split('/').slice(1);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.some((p) => p === '')) return undefined;
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

function get(method: string, path: string, answer: () => SubresourceAnswer): Route {
  return method === 'GET' ? { kind: 'answer', answer: answer() } : methodNotAllowed(method, path, ['GET']);
}

function nameProblem(what: string, value: string, problems: string[]): Route | undefined {
  return problems.length
    ? {
        kind: 'answer',
        answer: failure(400, `${what} ${JSON.stringify(value)} is not valid: ${problems.join('; ')}`),
      }
    : undefined;
}

/** The catalog entry `sub` names below `resource`, and the segments after it. */
function matchEntry(
  resource: SubresourceKind,
  sub: readonly string[],
): { entry: SubresourceEntry; rest: string[] } | undefined {
  let best: { entry: SubresourceEntry; rest: string[]; length: number } | undefined;
  for (const entry of SUBRESOURCE_CATALOG as readonly SubresourceEntry[]) {
    if (entry.resource !== resource) continue;
    const own = entry.name.split('/').slice(1);
    if (own.length > sub.length || own.some((s, i) => s !== sub[i])) continue;
    const rest = sub.slice(own.length);
    const [min, max] = entry.rest ?? [0, 0];
    if (rest.length < min || rest.length > max) continue;
    if (!best || own.length > best.length) best = { entry, rest, length: own.length };
  }
  return best && { entry: best.entry, rest: best.rest };
}

/** Decide what a request names (pure): discovery, version, healthz, a subresource, or an error. */
export function route(method: string, pathname: string, version: () => VersionInfo = versionInfo): Route {
  const segs = segments(pathname);
  if (!segs || segs[0] !== 'apis') return notFound(pathname);
  const [, group, ver, ...more] = segs;
  if (group === undefined) return get(method, pathname, () => ({ status: 200, body: apiGroupList() }));
  if (group !== SUBRESOURCES_GROUP) return notFound(pathname);
  if (ver === undefined) return get(method, pathname, () => ({ status: 200, body: apiGroup() }));
  if (ver !== VERSION) return notFound(pathname);
  if (more.length === 0) return get(method, pathname, () => ({ status: 200, body: apiResourceList() }));
  if (more.length === 1 && more[0] === 'version')
    return get(method, pathname, () => ({ status: 200, body: version() }));
  if (more.length === 1 && more[0] === 'healthz')
    return method === 'GET' ? { kind: 'healthz' } : methodNotAllowed(method, pathname, ['GET']);
  const [nsWord, namespace, resource, name, ...sub] = more;
  if (nsWord !== 'namespaces' || namespace === undefined || resource === undefined) return notFound(pathname);
  const badNamespace = nameProblem('namespace', namespace, dns1123LabelProblems(namespace));
  if (resource === 'expand-vm-spec' && name === undefined) {
    const entry = (SUBRESOURCE_CATALOG as readonly SubresourceEntry[]).find(
      (e) => e.name === 'expand-vm-spec',
    );
    if (!entry) return notFound(pathname);
    if (!entry.methods.includes(method as 'PUT')) return methodNotAllowed(method, pathname, entry.methods);
    return (
      badNamespace ?? {
        kind: 'subresource',
        entry,
        namespace,
        resource: 'virtualmachines',
        name: '',
        subresource: 'expand-vm-spec',
        rest: [],
      }
    );
  }
  const kind = KINDS.find((k) => k === resource);
  if (!kind || name === undefined || sub.length === 0) return notFound(pathname);
  const match = matchEntry(kind, sub);
  if (!match) return notFound(pathname);
  if (!match.entry.methods.includes(method as 'GET' | 'PUT'))
    return methodNotAllowed(method, pathname, match.entry.methods);
  const badName = nameProblem(`${kind} name`, name, dns1123SubdomainProblems(name));
  return (
    badNamespace ??
    badName ?? {
      kind: 'subresource',
      entry: match.entry,
      namespace,
      resource: kind,
      name,
      subresource: match.entry.name.slice(kind.length + 1),
      rest: match.rest,
    }
  );
}

function send(res: ServerResponse, answer: SubresourceAnswer, allow?: readonly string[]): void {
  sendAnswer(res, answer, allow ? { Allow: allow.join(', ') } : {});
}

/** A handler's failure as an answer: the API server's own 4xx pass through, anything else is a 500. */
function errorAnswer(err: unknown): SubresourceAnswer {
  if (err instanceof BodyError) return failure(err.status, err.message);
  if (err instanceof SubresourceError) return err.answer;
  if (err instanceof KubeApiError && err.status >= 400 && err.status < 500)
    return failure(err.status, err.serverMessage || err.message);
  return failure(500, `internal error: ${errorMessage(err)}`);
}

export class SubresourceRouter {
  private readonly handlers: SubresourceHandlers;
  private readonly version: () => VersionInfo;
  private readonly maxBodyBytes: number;

  constructor(private readonly o: RouterOptions) {
    this.handlers = o.handlers ?? SUBRESOURCE_HANDLERS;
    this.version = o.version ?? versionInfo;
    this.maxBodyBytes = o.maxBodyBytes ?? MAX_SUBRESOURCE_BODY_BYTES;
  }

  /** Serve one request under /apis (never throws; every failure is a Status answer). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://virtkit-api');
    const method = req.method ?? 'GET';
    const log = this.o.context.log;
    const auth = this.o.authenticate(req);
    if (!auth.ok) {
      log.info({ method, path: url.pathname }, `unauthenticated: ${auth.reason}`);
      return send(res, failure(401, `Unauthorized: ${auth.reason}`));
    }
    const r = route(method, url.pathname, this.version);
    const fields = { method, path: url.pathname, user: auth.user.name, groups: auth.user.groups };
    let answer: SubresourceAnswer;
    try {
      answer = await this.answer(r, req, url, auth.user);
    } catch (err) {
      answer = errorAnswer(err);
      if (answer.status >= 500)
        log.error({ ...fields, err: errorMessage(err) }, 'subresource request failed');
    }
    log.debug({ ...fields, code: answer.status }, 'subresource request');
    send(res, answer, r.kind === 'answer' ? r.allow : undefined);
  }

  private async answer(
    r: Route,
    req: IncomingMessage,
    url: URL,
    user: RequestUser,
  ): Promise<SubresourceAnswer> {
    if (r.kind === 'answer') return r.answer;
    if (r.kind === 'healthz') return this.healthz();
    if (r.entry.stream)
      return isServedStreamRoute(r.resource, r.subresource)
        ? failure(
            400,
            `${r.entry.name} is a websocket stream: connect with "Upgrade: websocket" and the subprotocol plain.kubevirt.io`,
          )
        : streamsNotSupported(r.entry.name);
    const handler = this.handlers[r.entry.name as keyof SubresourceHandlers];
    if (!handler) return failure(501, `${r.entry.name} is not supported by virtkit yet`);
    const body = await readJsonBody(req, this.maxBodyBytes);
    const request: SubresourceRequest = {
      method: req.method ?? 'GET',
      namespace: r.namespace,
      resource: r.resource,
      name: r.name,
      subresource: r.subresource,
      rest: r.rest,
      query: url.searchParams,
      body,
      user,
    };
    return handler(request, this.o.context);
  }

  /** Like KubeVirt's: the api component's connection to the API server, with its version. */
  private async healthz(): Promise<SubresourceAnswer> {
    try {
      const version = await this.o.context.client.getPath('/version');
      return { status: 200, body: { apiserver: { connectivity: 'ok', version } } };
    } catch (err) {
      return { status: 500, body: { apiserver: { connectivity: 'failed', error: errorMessage(err) } } };
    }
  }

  /**
   * A websocket upgrade under /apis: authenticated like any request, routed like one; the
   * served streams (./streams.ts: console, vnc, portforward) are handed over, anything else is answered
   * with a Status (401, 404, 405, 400 or 501) and the connection is closed.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer = Buffer.alloc(0)): void {
    const url = new URL(req.url ?? '/', 'https://virtkit-api');
    const auth = this.o.authenticate(req);
    let answer: SubresourceAnswer;
    if (!auth.ok) answer = failure(401, `Unauthorized: ${auth.reason}`);
    else {
      const r = route(req.method ?? 'GET', url.pathname, this.version);
      if (r.kind === 'answer') answer = r.answer;
      else if (r.kind === 'subresource' && r.entry.stream) {
        if (isServedStreamRoute(r.resource, r.subresource) && isServedStream(r.subresource)) {
          void handleStream(
            req,
            socket,
            head,
            {
              resource: r.resource,
              namespace: r.namespace,
              name: r.name,
              stream: r.subresource,
              rest: r.rest,
              query: url.searchParams,
              user: auth.user,
            },
            this.o.context,
            this.o.streams,
          );
          return;
        }
        answer = streamsNotSupported(r.entry.name);
      } else answer = failure(400, `${url.pathname} does not take a websocket upgrade`);
    }
    this.o.context.log.debug({ path: url.pathname, code: answer.status }, 'websocket upgrade refused');
    refuseUpgrade(socket, answer.status, answer.body);
  }
}

function streamsNotSupported(name: string): SubresourceAnswer {
  return failure(
    501,
    `${name} is not supported by virtkit yet (of the streams, console, vnc and portforward are served)`,
  );
}
