/**
 * The aggregated API `upload.cdi.kubevirt.io/v1beta1` (CDI's cdi-apiserver part that virtkit
 * api plays): kube-apiserver authenticates and authorizes the caller (verb `create` on
 * `uploadtokenrequests` in this group, as CDI's user roles grant it) and forwards the request
 * through its front proxy; this router checks the front proxy (request-header authentication,
 * as for subresources.kubevirt.io) and answers:
 *
 *   GET  /apis/upload.cdi.kubevirt.io                 APIGroup
 *   GET  /apis/upload.cdi.kubevirt.io/v1beta1         APIResourceList (uploadtokenrequests: create)
 *   POST /apis/upload.cdi.kubevirt.io/v1beta1/namespaces/{ns}/uploadtokenrequests
 *        UploadTokenRequest {spec.pvcName} -> the same object with status.token (CDI answers 200)
 *
 * The token (./token.ts) names the namespace and the claim and lives five minutes; it is never
 * logged. Errors are Kubernetes Status objects.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import {
  UPLOAD_API_VERSION,
  UPLOAD_GROUP,
  UPLOAD_TOKEN_REQUEST_KIND,
  UPLOAD_TOKEN_REQUESTS,
  UPLOAD_TOKEN_SHORT_NAMES,
  UPLOAD_VERSION,
} from '../../api/cdi/upload-api';
import { dns1123LabelProblems, dns1123SubdomainProblems } from '../../api/validation/dns-names';
import { BodyError, readJsonBody, sendAnswer, type HttpAnswer } from '../../common/http-json';
import { failure } from '../../common/kube-status';
import type { Logger } from '../../common/log';
import type { AuthenticationResult } from '../subresources/request-header';
import { signUploadToken } from './token';

/** An UploadTokenRequest is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

export function isUploadApiPath(pathname: string): boolean {
  return pathname === `/apis/${UPLOAD_GROUP}` || pathname.startsWith(`/apis/${UPLOAD_GROUP}/`);
}

/** The `APIGroup` of upload.cdi.kubevirt.io (also listed in `GET /apis`). */
export function uploadApiGroup(): Record<string, unknown> {
  const gv = { groupVersion: UPLOAD_API_VERSION, version: UPLOAD_VERSION };
  return { kind: 'APIGroup', apiVersion: 'v1', name: UPLOAD_GROUP, versions: [gv], preferredVersion: gv };
}

export function uploadApiResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: UPLOAD_API_VERSION,
    resources: [
      {
        name: UPLOAD_TOKEN_REQUESTS,
        singularName: 'uploadtokenrequest',
        namespaced: true,
        kind: UPLOAD_TOKEN_REQUEST_KIND,
        verbs: ['create'],
        shortNames: [...UPLOAD_TOKEN_SHORT_NAMES],
      },
    ],
  };
}

/** What a request names (pure). */
export type UploadApiRoute =
  | { readonly kind: 'answer'; readonly answer: HttpAnswer; readonly allow?: string }
  | { readonly kind: 'create'; readonly namespace: string };

export function routeUploadApi(method: string, pathname: string): UploadApiRoute {
  const parts = pathname.replace(/\/$/, '').split('/').slice(3);
  const get = (body: Record<string, unknown>): UploadApiRoute =>
    method === 'GET'
      ? { kind: 'answer', answer: { status: 200, body } }
      : {
          kind: 'answer',
          answer: failure(405, `${method} is not allowed on ${pathname}; it takes GET`),
          allow: 'GET',
        };
  if (parts.length === 0) return get(uploadApiGroup());
  if (parts[0] !== UPLOAD_VERSION)
    return {
      kind: 'answer',
      answer: failure(404, `the server could not find the requested resource: ${pathname}`),
    };
  if (parts.length === 1) return get(uploadApiResourceList());
  const [, nsWord, namespace, resource, ...rest] = parts;
  if (nsWord !== 'namespaces' || !namespace || resource !== UPLOAD_TOKEN_REQUESTS || rest.length > 0)
    return {
      kind: 'answer',
      answer: failure(404, `the server could not find the requested resource: ${pathname}`),
    };
  if (method !== 'POST')
    return {
      kind: 'answer',
      answer: failure(405, `${method} is not allowed on ${UPLOAD_TOKEN_REQUESTS}; it takes POST (create)`),
      allow: 'POST',
    };
  let ns = namespace;
  try {
    ns = decodeURIComponent(namespace);
  } catch {
    /* checked below */
  }
  const problems = dns1123LabelProblems(ns);
  if (problems.length)
    return {
      kind: 'answer',
      answer: failure(400, `namespace ${JSON.stringify(ns)} is not valid: ${problems.join('; ')}`),
    };
  return { kind: 'create', namespace: ns };
}

/** The claim an UploadTokenRequest body names; a 400 answer when it is not one. */
export function tokenRequestClaim(
  body: unknown,
  namespace: string,
): { name: string } | { answer: HttpAnswer } {
  const o = body as
    | {
        kind?: unknown;
        apiVersion?: unknown;
        metadata?: { namespace?: unknown };
        spec?: { pvcName?: unknown };
      }
    | undefined;
  const bad = (m: string): { answer: HttpAnswer } => ({ answer: failure(400, m) });
  if (!o || typeof o !== 'object' || Array.isArray(o))
    return bad('the body must be an UploadTokenRequest object');
  if (o.kind !== undefined && o.kind !== UPLOAD_TOKEN_REQUEST_KIND)
    return bad(`kind ${JSON.stringify(o.kind)}: the body must be an ${UPLOAD_TOKEN_REQUEST_KIND}`);
  if (o.apiVersion !== undefined && o.apiVersion !== UPLOAD_API_VERSION)
    return bad(`apiVersion ${JSON.stringify(o.apiVersion)}: use ${UPLOAD_API_VERSION}`);
  if (o.metadata?.namespace !== undefined && o.metadata.namespace !== namespace)
    return bad(
      `metadata.namespace ${JSON.stringify(o.metadata.namespace)} does not match the namespace of the request (${namespace})`,
    );
  const name = o.spec?.pvcName;
  if (typeof name !== 'string' || !name)
    return bad('spec.pvcName is required: name the PersistentVolumeClaim to upload to');
  const problems = dns1123SubdomainProblems(name);
  if (problems.length)
    return bad(`spec.pvcName ${JSON.stringify(name)} is not valid: ${problems.join('; ')}`);
  return { name };
}

export interface UploadApiOptions {
  readonly authenticate: (req: IncomingMessage) => AuthenticationResult;
  /** The signing key (./token-key.ts). */
  readonly key: Buffer;
  readonly log: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Serves one request under /apis/upload.cdi.kubevirt.io (never throws). */
export async function handleUploadApi(
  o: UploadApiOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://virtkit-api');
  const method = req.method ?? 'GET';
  const auth = o.authenticate(req);
  if (!auth.ok) {
    o.log.info({ method, path: url.pathname }, `unauthenticated: ${auth.reason}`);
    req.resume();
    return sendAnswer(res, failure(401, `Unauthorized: ${auth.reason}`));
  }
  const r = routeUploadApi(method, url.pathname);
  if (r.kind === 'answer') {
    req.resume();
    return sendAnswer(res, r.answer, r.allow ? { Allow: r.allow } : {});
  }
  let body: unknown;
  try {
    body = await readJsonBody(req, MAX_BODY_BYTES);
  } catch (err) {
    return sendAnswer(res, failure(err instanceof BodyError ? err.status : 400, (err as Error).message));
  }
  const claim = tokenRequestClaim(body, r.namespace);
  if ('answer' in claim) return sendAnswer(res, claim.answer);
  const token = signUploadToken(o.key, { namespace: r.namespace, name: claim.name }, (o.now ?? Date.now)());
  o.log.info(
    { kind: 'PersistentVolumeClaim', namespace: r.namespace, name: claim.name, user: auth.user.name },
    'upload token issued',
  );
  const req0 = body as Record<string, unknown>;
  sendAnswer(res, {
    status: 200,
    body: {
      ...req0,
      kind: UPLOAD_TOKEN_REQUEST_KIND,
      apiVersion: UPLOAD_API_VERSION,
      metadata: { ...((req0.metadata as object | undefined) ?? {}), namespace: r.namespace },
      status: { token },
    },
  });
}
