/**
 * Opens the HTTP(S) body of an import source (I/O): GET with redirects followed (http/https only,
 * at most 10), the system's CA roots plus the certConfigMap bundle when given, basic auth from
 * the secretRef's values (sent to the URL's own origin only, never to another host a redirect
 * names, and never logged), and an idle timeout like CDI's (the transfer is cancelled when no
 * byte arrives for that long). Resolves once a 200 answer's headers are in.
 */
import * as http from 'http';
import * as https from 'https';
import * as tls from 'tls';
import { connectionError, invalidInput, statusError } from './errors';
import { parseHeader, redirectProblem } from './source-url';

export interface BasicAuth {
  readonly username: string;
  readonly password: string;
}

export interface HttpSourceOptions {
  readonly url: URL;
  /** PEM text of extra CA certificates (the certConfigMap's content). */
  readonly caBundle?: string;
  readonly basicAuth?: BasicAuth;
  /** "Name: value" each (spec.source.http.extraHeaders and the secretExtraHeaders' values). */
  readonly extraHeaders?: readonly string[];
  readonly secretExtraHeaders?: readonly string[];
  /** @default 600000 (CDI cancels a transfer idle for 10 minutes) */
  readonly idleTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface HttpSource {
  readonly body: http.IncomingMessage;
  /** Content-Length, or 0 when the server sent none. */
  readonly contentLength: number;
  /** Where the body came from after redirects. */
  readonly finalUrl: URL;
}

const MAX_REDIRECTS = 10;
const USER_AGENT = 'virtkit-importer';

/** The CA list for TLS: the system's roots plus the bundle, refused when the bundle holds no certificate. */
export function trustedCAs(bundle: string | undefined): string[] | undefined {
  if (bundle === undefined) return undefined;
  const certs = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certs.length === 0)
    throw invalidInput(
      'spec.source.http.certConfigMap',
      'holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); put the CA certificate of the server in the ConfigMap',
    );
  return [...tls.rootCertificates, ...certs];
}

function headersFor(o: HttpSourceOptions, url: URL): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { 'user-agent': USER_AGENT, accept: '*/*' };
  (o.extraHeaders ?? []).forEach((h, i) => {
    const [k, v] = parseHeader(h, `spec.source.http.extraHeaders[${i}]`);
    headers[k.toLowerCase()] = v;
  });
  (o.secretExtraHeaders ?? []).forEach((h, i) => {
    const [k, v] = parseHeader(h, `spec.source.http.secretExtraHeaders[${i}]`);
    headers[k.toLowerCase()] = v;
  });
  if (o.basicAuth && url.origin === o.url.origin)
    headers.authorization = `Basic ${Buffer.from(`${o.basicAuth.username}:${o.basicAuth.password}`).toString('base64')}`;
  return headers;
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
}

function requestOnce(
  o: HttpSourceOptions,
  url: URL,
  ca: string[] | undefined,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, {
      method: 'GET',
      headers: headersFor(o, url),
      ...(url.protocol === 'https:' && ca ? { ca, minVersion: 'TLSv1.2' as const } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    req.setTimeout(o.idleTimeoutMs ?? 600_000, () =>
      req.destroy(new Error(`no data for ${Math.round((o.idleTimeoutMs ?? 600_000) / 1000)}s`)),
    );
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

export async function openHttpSource(o: HttpSourceOptions): Promise<HttpSource> {
  const ca = trustedCAs(o.caBundle);
  let url = o.url;
  for (let hop = 0; ; hop++) {
    let res: http.IncomingMessage;
    try {
      res = await requestOnce(o, url, ca);
    } catch (e) {
      throw connectionError(url.href, describe(e));
    }
    const code = res.statusCode ?? 0;
    if (code >= 300 && code < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw connectionError(url.href, `more than ${MAX_REDIRECTS} redirects`);
      const next = redirectProblem(url, res.headers.location);
      if (!next.url) throw connectionError(url.href, next.problem ?? 'bad redirect');
      url = next.url;
      continue;
    }
    if (code !== 200) {
      res.resume();
      throw statusError(url.href, code, res.statusMessage ?? '');
    }
    const length = Number(res.headers['content-length'] ?? 0);
    return {
      body: res,
      contentLength: Number.isSafeInteger(length) && length > 0 ? length : 0,
      finalUrl: url,
    };
  }
}
