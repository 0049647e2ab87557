/**
 * A minimal JSON client for the Kubernetes REST API, configured by @kubernetes/client-node's
 * KubeConfig (server, CA and client certificate). Writes go through here rather than the typed
 * client-node APIs because those re-serialize bodies through their models, which silently drop
 * fields the model does not know; local mode and its tests must send and read objects exactly.
 */
import * as https from 'https';
import { KubeConfig } from '@kubernetes/client-node';

/** A Status answer (or a transport failure) from the API server. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    readonly serverMessage: string,
  ) {
    super(`${method} ${path}: HTTP ${status} ${reason}: ${serverMessage}`);
    this.name = 'ApiError';
  }
}

export type Json = Record<string, unknown>;

export interface ApiResponse {
  readonly status: number;
  readonly body: Json;
  /** Warning headers (e.g. unknown fields under fieldValidation=Warn). */
  readonly warnings: readonly string[];
}

export class RestClient {
  private constructor(
    private readonly server: URL,
    private readonly tls: https.RequestOptions,
  ) {}

  static async fromKubeconfig(file: string): Promise<RestClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`${file}: the kubeconfig has no current cluster; set current-context`);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    return new RestClient(new URL(cluster.server), tls);
  }

  /** Send one request; non-2xx answers become ApiError with the server's message. */
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
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
                new ApiError(
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
      req.on('error', (err) => reject(new ApiError(method, path, 0, 'ConnectionFailed', err.message)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get(path: string): Promise<ApiResponse> {
    return this.request('GET', path);
  }
}
