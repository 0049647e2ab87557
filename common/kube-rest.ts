/**
 * Plain-JSON requests to the Kubernetes API, set up from a kubeconfig by
 * @kubernetes/client-node (server, CA, client certificate). Objects are sent and read as
 * JSON, never through client-node's typed models, which drop fields they do not know.
 * Shared by local mode (cli/local) and the runtime (controller, handler).
 */
import * as http from 'http';
import * as https from 'https';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from './kube-error';

export { KubeApiError };

export type Json = Record<string, unknown>;

export interface KubeResponse {
  readonly status: number;
  readonly body: Json;
  /** Warning headers (e.g. unknown fields under fieldValidation=Warn). */
  readonly warnings: readonly string[];
}

/** Where and how to reach one API server. */
export class KubeEndpoint {
  private constructor(
    readonly kubeConfig: KubeConfig,
    readonly server: URL,
    private readonly tls: https.RequestOptions,
  ) {}

  static async fromKubeconfig(file: string): Promise<KubeEndpoint> {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`${file}: the kubeconfig has no current cluster; set current-context`);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    return new KubeEndpoint(kc, new URL(cluster.server), tls);
  }

  /** Send one request; a non-2xx answer becomes a KubeApiError with the server's message. */
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 60_000,
  ): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const transport = this.server.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        {
          ...this.tls,
          protocol: this.server.protocol,
          hostname: this.server.hostname,
          port: this.server.port,
          method,
          path,
          headers: {
            Accept: 'application/json',
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
            resolve({ status, body: parsed, warnings });
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', (err) => reject(new KubeApiError(method, path, 0, 'ConnectionFailed', err.message)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}
