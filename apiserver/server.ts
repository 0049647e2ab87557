/**
 * `virtkit api`'s HTTPS server (the role of KubeVirt's virt-api): the validating admission
 * webhook at /validate, and /healthz and /readyz. The subresource API and the web console join
 * it later. TLS is its own serving certificate; the API server trusts it through the
 * webhook configuration's caBundle.
 */
import * as fs from 'fs';
import * as https from 'https';
import type { AddressInfo } from 'net';
import type { Logger } from '../common/log';
import { admit, type AdmissionReview } from './admission/review';
import { VALIDATE_PATH } from './admission/webhook-configuration';

/** kube-apiserver's own limit on a request body (3 MiB); an AdmissionReview carries two objects. */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;

export interface ApiServerOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** @default 8443; 0 picks a free port */
  readonly port?: number;
  /** @default 0.0.0.0 */
  readonly host?: string;
  readonly log: Logger;
  /** The gates turned on now. @default none */
  readonly featureGates?: () => ReadonlySet<string>;
}

export interface RunningApiServer {
  readonly port: number;
  close(): Promise<void>;
}

function reply(res: import('http').ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

export async function startApiServer(o: ApiServerOptions): Promise<RunningApiServer> {
  const server = https.createServer(
    { cert: fs.readFileSync(o.certFile), key: fs.readFileSync(o.keyFile), minVersion: 'TLSv1.2' },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://virtkit-api');
      if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/readyz'))
        return reply(res, 200, 'ok');
      if (url.pathname !== VALIDATE_PATH) return reply(res, 404, `no such path: ${url.pathname}`);
      if (req.method !== 'POST') return reply(res, 405, `${VALIDATE_PATH} takes POST`);
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REVIEW_BYTES) {
          reply(res, 413, `an AdmissionReview may be at most ${MAX_REVIEW_BYTES} bytes`);
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (res.writableEnded) return;
        let review: AdmissionReview;
        try {
          review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReview;
        } catch (err) {
          return reply(res, 400, `the body is not JSON: ${(err as Error).message}`);
        }
        const answer = admit(review, o.featureGates?.());
        const r = review.request;
        const resp = answer as { response?: { allowed?: boolean; status?: { message?: string } } };
        const fields = {
          kind: r?.kind?.kind,
          namespace: r?.namespace,
          name: r?.name,
          operation: r?.operation,
        };
        if (resp.response?.allowed) o.log.debug(fields, 'admitted');
        else o.log.info(fields, `denied: ${resp.response?.status?.message ?? ''}`);
        reply(res, 200, answer);
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8443, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
