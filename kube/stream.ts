/**
 * Websocket streams through the API server (client-go's websocket round tripper, as KubeVirt's
 * kubecli uses it for `console`, `vnc` and `portforward`): an HTTP/1.1 upgrade of a GET to a
 * subresource path, with the kubeconfig's credentials applied by client-node exactly as for
 * every other request (client certificate, bearer token, exec plugin...), and the subprotocols
 * the caller speaks. A refused upgrade becomes a KubeApiError with the server's Status message
 * (the API server's 401/403, or what the aggregated API answered: "VMI is not running"...).
 * KubeClient.openStream is the entry point; this file knows nothing of what flows in the stream.
 */
import type * as https from 'https';
import type { ConnectionOptions } from 'tls';
import WebSocket from 'ws';
import { KubeApiError } from './errors';

export interface StreamOptions {
  /** Query parameters of the request. */
  readonly query?: Record<string, string | number | boolean | undefined>;
  /** The subprotocols to offer (e.g. `plain.kubevirt.io`). */
  readonly protocols?: readonly string[];
  /** How long the handshake may take. @default 30000 */
  readonly handshakeTimeoutMs?: number;
}

/** What the upgrade answered when it was not 101: status, reason and the Status message. */
export interface StreamRefusal {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
}

function readRefusal(res: import('http').IncomingMessage): Promise<StreamRefusal> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (text.length < 256 * 1024) text += c;
    });
    res.on('error', () => undefined);
    res.on('end', () => {
      let reason = res.statusMessage ?? '';
      let message = text.trim();
      try {
        const body = JSON.parse(text) as { reason?: unknown; message?: unknown };
        if (typeof body.message === 'string') message = body.message;
        if (typeof body.reason === 'string') reason = body.reason;
      } catch {
        // plain text
      }
      resolve({ status: res.statusCode ?? 0, reason, message: message || `HTTP ${res.statusCode}` });
    });
  });
}

/**
 * Opens a websocket to `url` (ws: or wss:) with the request options client-node produced (TLS
 * material and headers, Authorization included). Resolves once it is open, **paused**: the
 * caller attaches its listeners, then calls `resume()` (the bridges of common/plain-stream.ts
 * do). Rejects with
 * `refused(refusal)` for an answer other than 101, or `failed(err)` when the server cannot be
 * reached.
 */
export function openWebSocket(
  url: URL,
  opts: https.RequestOptions,
  o: StreamOptions,
  errors: {
    refused: (r: StreamRefusal) => Error;
    failed: (err: Error) => Error;
  },
): Promise<WebSocket> {
  const tlsOptions: ConnectionOptions = {
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    passphrase: opts.passphrase,
    pfx: opts.pfx,
    rejectUnauthorized: opts.rejectUnauthorized,
    servername: opts.servername,
  };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [...(o.protocols ?? [])], {
      ...tlsOptions,
      headers: { ...(opts.headers as Record<string, string> | undefined) },
      perMessageDeflate: false,
      handshakeTimeout: o.handshakeTimeoutMs ?? 30_000,
      maxPayload: 16 * 1024 * 1024,
    } as WebSocket.ClientOptions);
    let settled = false;
    ws.once('open', () => {
      settled = true;
      // Paused until the caller listens: bytes that came with the 101 must not be emitted
      // before anyone is there to read them.
      ws.pause();
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      void readRefusal(res).then((r) => {
        settled = true;
        ws.terminate();
        reject(errors.refused(r));
      });
    });
    ws.once('error', (err) => {
      if (settled) return;
      settled = true;
      reject(errors.failed(err));
    });
  });
}

/** A KubeApiError for a refused stream (its status and the server's words). */
export function streamRefusedError(path: string, r: StreamRefusal, message?: string): KubeApiError {
  return new KubeApiError('GET', path, r.status, r.reason, r.message, message);
}
