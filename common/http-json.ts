/**
 * JSON over node's HTTP server, as virtkit's APIs answer (`virtkit api`'s subresources, the
 * handler's node API): sending an answer, reading a bounded JSON request body.
 */
import type { IncomingMessage, ServerResponse } from 'http';

/** What a request is answered with: a status, and a JSON body (none when undefined) or a raw one. */
export interface HttpAnswer {
  readonly status: number;
  readonly body?: unknown;
  /** A body that is not JSON (a PNG), sent as it is with its content type; `body` is then ignored. */
  readonly raw?: { readonly contentType: string; readonly data: Buffer };
}

/** Sends `answer` with `headers` (and its Content-Type and Content-Length); nothing once headers went out. */
export function sendAnswer(
  res: ServerResponse,
  answer: HttpAnswer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const out: Record<string, string> = { ...headers };
  if (answer.raw) {
    out['Content-Type'] = answer.raw.contentType;
    out['Content-Length'] = String(answer.raw.data.length);
    res.writeHead(answer.status, out);
    res.end(answer.raw.data);
    return;
  }
  if (answer.body === undefined) {
    res.writeHead(answer.status, out);
    res.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  out['Content-Type'] = 'application/json';
  out['Content-Length'] = String(Buffer.byteLength(text));
  res.writeHead(answer.status, out);
  res.end(text);
}

/** A request body that is refused: too large (413) or not JSON (400). */
export class BodyError extends Error {
  constructor(
    /** The HTTP status that refuses it. */
    readonly status: 413 | 400,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * The request body as JSON (undefined when empty or blank), at most `maxBytes` bytes: a larger
 * one (declared or sent) rejects with a 413 BodyError and the request is dropped, bad JSON with
 * a 400 BodyError.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = (): BodyError => new BodyError(413, `the request body may be at most ${maxBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new BodyError(400, `the request body is not JSON: ${(err as Error).message}`));
      }
    });
  });
}
