/**
 * The upload proxy (CDI's cdi-uploadproxy), on `virtkit api`'s own HTTPS port:
 *
 *   POST /v1beta1/upload               raw image bytes, answered once processed
 *   POST /v1beta1/upload-async         raw image bytes, answered once saved (processing follows)
 *   POST /v1beta1/upload-form          multipart/form-data, the image in the field "file"
 *   POST /v1beta1/upload-form-async    the same form, answered once saved
 *   HEAD /v1beta1/upload-async, /v1beta1/upload-form-async
 *                                      200 when the token is good (virtctl's probe for async)
 *
 * and the same paths under /v1alpha1 (older clients).
 *
 * Each request carries `Authorization: Bearer <token>` from an UploadTokenRequest (./token.ts):
 * none or a malformed header is a 400, a bad or expired token a 401 (CDI's answers). The token
 * names the claim; the claim must exist, be an upload target (CDI's
 * `cdi.kubevirt.io/storage.upload.target`) and not be finished, and its upload server pod must
 * be Ready (waited for up to 10 s, as CDI's proxy waits), else 503 with CDI's words. The body is
 * then streamed, with backpressure, to the handler of the node the upload pod runs on (the pod's
 * spec.nodeName: that handler holds the upload server's socket), over the node API's mutual TLS,
 * and the upload server's answer is passed back as it is. A body larger than the claim can take
 * (its requested storage, plus the room an image format's metadata and CDI's overhead need) is
 * refused with 413, by its Content-Length or as soon as it streams past the limit. A form path
 * whose body is not multipart/form-data is refused 400 here, before a byte is streamed; the
 * form itself is parsed by the upload server, so its Content-Type (with the boundary) is passed
 * on as it came.
 */
import * as https from 'https';
import type { IncomingMessage, ServerResponse } from 'http';
import { Transform } from 'stream';
import { UPLOAD_CONTENT_TYPE_HEADER, UPLOAD_PATHS, type UploadMode } from '../../api/cdi/upload-api';
import { uploadPodName } from '../../api/cdi/upload-pod';
import {
  POD_PHASE_ANNOTATION,
  UPLOAD_POD_ANNOTATION,
  UPLOAD_REQUEST_ANNOTATION,
} from '../../api/cdi/worker-pod';
import { parseQuantity } from '../../api/quantity';
import { formUploadProblem, nodeUploadPath, type NodeUploadKind } from '../../common/node-api';
import { errorMessage, PODS, PVCS } from '../../kube';
import { nodeConnectionForNode, nodeRequestOptions } from '../subresources/node-client';
import { SubresourceError } from '../subresources/subresource-error';
import type { SubresourceContext } from '../subresources/types';
import { bearerToken, verifyUploadToken } from './token';

/** CDI's proxy waits this long for the upload pod to turn ready. */
export const UPLOAD_READY_WAIT_MS = 10_000;
/** Room above the claim's size for an image format's metadata and a compression layer's slack. */
const SLACK_BYTES = 64 * 1024 * 1024;

export function isUploadProxyPath(pathname: string): boolean {
  return Object.prototype.hasOwnProperty.call(UPLOAD_PATHS, pathname);
}

/** The largest body an upload to a claim of `requestedBytes` may have. */
export function uploadBodyLimit(requestedBytes: number): number {
  return Math.floor(requestedBytes * 1.1) + SLACK_BYTES;
}

interface ClaimJson {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { resources?: { requests?: { storage?: string } } };
}
interface PodJson {
  metadata?: { name?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

/** Where an upload to a claim can go now (pure), or CDI's reason it cannot (and whether waiting may help). */
export function uploadReadiness(
  name: string,
  claim: ClaimJson | undefined,
  pod: PodJson | undefined,
): { nodeName: string; limit: number } | { reason: string; wait: boolean } {
  if (!claim) return { reason: `rejecting Upload Request for PVC ${name} that doesn't exist`, wait: false };
  const ann = claim.metadata?.annotations ?? {};
  if (!(UPLOAD_REQUEST_ANNOTATION in ann))
    return { reason: `PVC ${name} is not an upload target`, wait: false };
  if (ann[POD_PHASE_ANNOTATION] === 'Succeeded' || pod?.status?.phase === 'Succeeded')
    return {
      reason: `rejecting Upload Request for PVC ${name} that already finished uploading`,
      wait: false,
    };
  const requested = parseQuantity(claim.spec?.resources?.requests?.storage ?? '');
  if (requested === undefined || !(requested > 0))
    return {
      reason: `PVC ${name} has no spec.resources.requests.storage to size the upload by`,
      wait: false,
    };
  const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const nodeName = pod?.spec?.nodeName;
  if (!pod || !ready || !nodeName) {
    const podName = ann[UPLOAD_POD_ANNOTATION] ?? uploadPodName(name);
    const state = pod ? `phase ${pod.status?.phase ?? 'Pending'}, not Ready` : 'not created yet';
    return {
      reason: `rejecting Upload Request for PVC ${name}: its upload pod ${podName} is ${state}`,
      wait: true,
    };
  }
  return { nodeName, limit: uploadBodyLimit(Math.floor(requested)) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function plain(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export interface UploadProxyOptions {
  readonly key: Buffer;
  readonly context: SubresourceContext;
  /** @default UPLOAD_READY_WAIT_MS */
  readonly readyWaitMs?: number;
}

const NODE_KIND: Readonly<Record<UploadMode, NodeUploadKind>> = {
  sync: 'upload',
  async: 'upload-async',
  form: 'upload-form',
  'form-async': 'upload-form-async',
};

/** Serves one request on an upload path (never throws). */
export async function handleUploadProxy(
  o: UploadProxyOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://virtkit-api');
  const mode = UPLOAD_PATHS[url.pathname];
  const method = req.method ?? 'GET';
  const log = o.context.log;
  const isAsync = mode === 'async' || mode === 'form-async';
  if (method !== 'POST' && !(method === 'HEAD' && isAsync)) {
    req.resume();
    res.setHeader('Allow', isAsync ? 'POST, HEAD' : 'POST');
    return plain(res, 405, `${url.pathname} takes POST`);
  }
  const header = req.headers.authorization;
  const token = bearerToken(header);
  if (!token) {
    req.resume();
    return plain(
      res,
      400,
      header
        ? 'the Authorization header is not "Bearer <token>"'
        : 'missing Authorization: Bearer <upload token>; create an UploadTokenRequest for the PersistentVolumeClaim',
    );
  }
  const check = verifyUploadToken(o.key, token);
  if (!check.ok) {
    req.resume();
    log.info({ path: url.pathname }, `upload refused: ${check.reason}`);
    return plain(res, 401, `${check.reason}; create a new UploadTokenRequest`);
  }
  const { namespace, name } = check.payload;
  const fields = { kind: 'PersistentVolumeClaim', namespace, name };
  const isForm = mode === 'form' || mode === 'form-async';
  const formProblem =
    isForm && method === 'POST' ? formUploadProblem(req.headers['content-type']) : undefined;
  if (formProblem) {
    req.resume();
    log.info({ ...fields, path: url.pathname }, `upload refused: ${formProblem}`);
    return plain(res, 400, formProblem);
  }
  let where: ReturnType<typeof uploadReadiness>;
  const until = Date.now() + (o.readyWaitMs ?? UPLOAD_READY_WAIT_MS);
  try {
    for (;;) {
      const claim = await o.context.client.getIfExists<ClaimJson>(PVCS, namespace, name);
      const podName = claim?.metadata?.annotations?.[UPLOAD_POD_ANNOTATION] ?? uploadPodName(name);
      const pod = claim ? await o.context.client.getIfExists<PodJson>(PODS, namespace, podName) : undefined;
      where = uploadReadiness(name, claim, pod);
      if ('nodeName' in where || !where.wait || Date.now() >= until) break;
      await sleep(1000);
    }
  } catch (err) {
    req.resume();
    return plain(res, 500, `reading PersistentVolumeClaim ${namespace}/${name}: ${errorMessage(err)}`);
  }
  if (!('nodeName' in where)) {
    req.resume();
    log.info(fields, `upload refused: ${where.reason}`);
    return plain(res, 503, where.reason);
  }
  const length =
    req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (length !== undefined && !(length <= where.limit)) {
    req.resume();
    return plain(
      res,
      413,
      `the upload is ${length} bytes, more than PVC ${name} can take (at most ${where.limit} bytes); upload to a larger PVC`,
    );
  }
  if (method === 'HEAD') return plain(res, 200, '');
  let conn;
  try {
    conn = await nodeConnectionForNode(
      where.nodeName,
      `the upload pod of PVC ${namespace}/${name}`,
      o.context,
    );
  } catch (err) {
    req.resume();
    const answer = err instanceof SubresourceError ? err.answer : undefined;
    const message = (answer?.body as { message?: string } | undefined)?.message ?? errorMessage(err);
    return plain(res, answer?.status ?? 503, message);
  }
  // A form's Content-Type carries its boundary: the upload server needs it as it came.
  const contentType = req.headers['content-type'];
  const headers: Record<string, string> = {
    'Content-Type': typeof contentType === 'string' && isForm ? contentType : 'application/octet-stream',
  };
  if (length !== undefined) headers['Content-Length'] = String(length);
  else headers['Transfer-Encoding'] = 'chunked';
  const cdiType = req.headers[UPLOAD_CONTENT_TYPE_HEADER];
  if (typeof cdiType === 'string') headers[UPLOAD_CONTENT_TYPE_HEADER] = cdiType;
  const upstream = https.request(
    {
      ...nodeRequestOptions(conn),
      method: 'POST',
      path: nodeUploadPath(namespace, name, NODE_KIND[mode]),
      headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, {
        'Content-Type': answer.headers['content-type'] ?? 'text/plain; charset=utf-8',
      });
      answer.pipe(res);
      answer.once('end', () => log.info({ ...fields, code: answer.statusCode }, 'upload answered'));
    },
  );
  upstream.on('error', (err) => {
    log.info(fields, `upload to node ${where.nodeName} failed: ${err.message}`);
    plain(res, 503, `the upload to node ${where.nodeName} failed: ${err.message}`);
  });
  let seen = 0;
  const limit = where.limit;
  const bounded = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit)
        return done(new Error(`the upload is more than ${limit} bytes, more than PVC ${name} can take`));
      done(null, chunk);
    },
  });
  bounded.on('error', (err) => {
    upstream.destroy(err);
    plain(res, 413, `${err.message}; upload to a larger PVC`);
  });
  req.once('aborted', () => upstream.destroy(new Error('the uploader went away')));
  log.info(fields, `upload streaming to node ${where.nodeName}`);
  req.pipe(bounded).pipe(upstream);
}
