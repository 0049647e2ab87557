/**
 * The node side of an upload (virtkit's): `virtkit api`'s upload proxy POSTs the body of an
 * upload to claim `{ns}/{claim}` here (common/node-api.ts: nodeUploadPath), after the server
 * authenticated it by its client certificate like every node API request; the body is streamed,
 * with backpressure, to the unix socket of the claim's upload server on this node (the worker
 * runner's `virtkit importer --source upload`), and its answer streamed back as it is. No upload
 * server listening for that claim here is a 503 with the reason (the proxy passes it on).
 */
import * as http from 'http';
import { failure } from '../../common/kube-status';
import { sendAnswer } from '../../common/http-json';
import type { Logger } from '../../common/log';
import type { NodeUploadKind } from '../../common/node-api';

/** The request headers an upload server reads; nothing else is passed on. */
const PASSED_HEADERS = ['content-length', 'content-type', 'x-cdi-content-type', 'transfer-encoding'];

export interface NodeUploadTarget {
  readonly namespace: string;
  readonly claim: string;
  readonly kind: NodeUploadKind;
}

export function handleNodeUpload(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: NodeUploadTarget,
  socketOf: (namespace: string, claim: string) => string | undefined,
  log: Logger,
): void {
  const method = req.method ?? 'GET';
  if (method !== 'POST' && method !== 'HEAD') {
    req.resume();
    return sendAnswer(res, failure(405, `${target.kind} takes POST or HEAD, not ${method}`), {
      Allow: 'POST, HEAD',
    });
  }
  const socket = socketOf(target.namespace, target.claim);
  const fields = { kind: 'PersistentVolumeClaim', namespace: target.namespace, name: target.claim };
  if (!socket) {
    req.resume();
    return sendAnswer(
      res,
      failure(
        503,
        `no upload server is ready for PersistentVolumeClaim ${target.namespace}/${target.claim} on this node; wait until its upload pod is Ready`,
      ),
    );
  }
  const headers: Record<string, string> = {};
  for (const h of PASSED_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const upstream = http.request(
    { socketPath: socket, method, path: `/v1beta1/${target.kind}`, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, {
        'Content-Type': answer.headers['content-type'] ?? 'text/plain; charset=utf-8',
      });
      answer.pipe(res);
      answer.once('end', () =>
        log.info({ ...fields, code: answer.statusCode }, `upload answered ${answer.statusCode}`),
      );
    },
  );
  upstream.on('error', (err) => {
    log.info(fields, `upload to the upload server failed: ${err.message}`);
    if (!res.headersSent)
      sendAnswer(
        res,
        failure(503, `the upload server of ${target.namespace}/${target.claim} went away: ${err.message}`),
      );
    else res.destroy(err);
  });
  // The uploader going away stops the upload server's side too (it removes what it wrote).
  req.once('aborted', () => upstream.destroy(new Error('the uploader went away')));
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy(new Error('the uploader went away'));
  });
  log.info(fields, `upload (${target.kind}) streaming to the upload server`);
  req.pipe(upstream);
}
