/**
 * The node side of an export download (virtkit's): the node API (after it authenticated `virtkit
 * api` by its client certificate) passes a GET for export `{ns}/{name}` to the export server
 * this node's runner runs for it, over HTTPS on the server's unix socket, checking the server's
 * certificate against the export's own CA for the Service's name, and streams the answer back
 * as it is (status, type, length; the body with backpressure). The token travels as the client
 * sent it (header or query) and is checked by the export server. No server for that export here
 * is a 503 naming why.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import * as https from 'https';
import { TOKEN_HEADER } from '../../api/export/exporter-pod';
import { sendAnswer } from '../../common/http-json';
import { failure } from '../../common/kube-status';
import type { Logger } from '../../common/log';
import type { NodeExportTarget } from '../../common/node-export-api';
import type { ExportEndpoint } from './pod-runner';

/** The answer headers passed back to the client. */
const PASSED_BACK = ['content-type', 'content-length', 'location'];
/** The request headers passed on to the export server. */
const PASSED_ON = ['accept', 'range', TOKEN_HEADER];

export function handleNodeExport(
  req: IncomingMessage,
  res: ServerResponse,
  target: NodeExportTarget,
  query: string,
  endpointOf: (namespace: string, name: string) => ExportEndpoint | undefined,
  log: Logger,
): void {
  const method = req.method ?? 'GET';
  req.resume();
  if (method !== 'GET' && method !== 'HEAD')
    return sendAnswer(res, failure(405, `an export takes GET or HEAD, not ${method}`), {
      Allow: 'GET, HEAD',
    });
  const at = endpointOf(target.namespace, target.name);
  const fields = { kind: 'VirtualMachineExport', namespace: target.namespace, name: target.name };
  if (!at)
    return sendAnswer(
      res,
      failure(
        503,
        `no export server of VirtualMachineExport ${target.namespace}/${target.name} is ready on this node; wait until the export is Ready`,
      ),
    );
  const headers: Record<string, string> = {};
  for (const h of PASSED_ON) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const upstream = https.request(
    {
      socketPath: at.socket,
      method,
      path: `${target.rest}${query}`,
      headers,
      // The certificate must chain to the export's CA and name the Service (the check a client
      // of the internal link makes): `host` is the name checked, the socket is where it goes.
      host: at.servername,
      servername: at.servername,
      ca: at.ca,
      agent: false,
    },
    (answer) => {
      const back: Record<string, string> = {};
      for (const h of PASSED_BACK) {
        const v = answer.headers[h];
        if (typeof v === 'string') back[h] = v;
      }
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
      answer.once('end', () => log.debug({ ...fields, code: answer.statusCode }, 'export request answered'));
    },
  );
  upstream.on('error', (err) => {
    log.info(fields, `export request to the export server failed: ${err.message}`);
    if (!res.headersSent)
      sendAnswer(
        res,
        failure(503, `the export server of ${target.namespace}/${target.name} failed: ${err.message}`),
      );
    else res.destroy(err);
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy(new Error('the client went away'));
  });
  upstream.end();
}
