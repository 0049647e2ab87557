/**
 * The smallest OCI distribution client that does the job, on Node's fetch: manifests (OCI and
 * Docker schema 2, image indexes and manifest lists), blobs streamed to a file with their digest
 * and size verified, monolithic blob upload, manifest upload, and the registry token flow
 * (Bearer with an optional Basic login, or Basic alone). No npm library covers pull and push
 * with digest verification (see docs/images.md), so this one module speaks the protocol.
 *
 * Every digest is checked: a blob or manifest whose bytes do not hash to the digest it was asked
 * for is an error and is never kept. Every size has a ceiling.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { Readable, Transform } from 'stream';
import { DIGEST, registryBaseUrl } from './reference';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Manifests are small; a registry that sends more is refused (containerd uses the same bound). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
}

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

export interface RegistryClientOptions {
  /** host[:port] as written in the image reference (docker.io for Docker Hub). */
  readonly registry: string;
  /** Another base URL to talk to instead (a mirror), e.g. http://127.0.0.1:5000. */
  readonly endpoint?: string;
  /** Plain HTTP for a registry that is not on loopback. */
  readonly insecure?: boolean;
  readonly credentials?: Credentials;
  readonly userAgent?: string;
  /** Per request, until the response headers arrive. @default 30 s */
  readonly timeoutMs?: number;
}

/** A registry's answer that is not success: HTTP status plus the registry's own error codes and messages. */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    /** e.g. MANIFEST_UNKNOWN, UNAUTHORIZED, NAME_UNKNOWN, DENIED (empty when the body had none). */
    readonly codes: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** Bytes that do not match their digest or size. */
export class DigestMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestMismatchError';
  }
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new Error(`digest ${JSON.stringify(digest)} is not sha256:<64 hex digits>`);
}

/** Parses `Bearer realm="...",service="...",scope="..."` (and Basic). */
export function parseWwwAuthenticate(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  const params: Record<string, string> = {};
  if (!m) return { scheme: '', params };
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2]))
    params[p[1].toLowerCase()] = (p[2] ?? p[3]).replace(/\\(.)/g, '$1');
  return { scheme: m[1].toLowerCase(), params };
}

async function errorOf(res: Response, what: string): Promise<RegistryError> {
  let codes: string[] = [];
  let detail = '';
  try {
    const text = (await res.text()).slice(0, 4096);
    try {
      const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      codes = (body.errors ?? []).map((e) => String(e.code ?? ''));
      detail = (body.errors ?? [])
        .map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`)
        .join('; ');
    } catch {
      detail = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    }
  } catch {
    // no body
  }
  return new RegistryError(
    res.status,
    codes,
    `${what}: the registry answered ${res.status} ${res.statusText}${detail ? ` (${detail})` : ''}`,
  );
}

export class RegistryClient {
  private readonly base: string;
  /** Authorization header per scope, once the registry asked for one. */
  private readonly auth = new Map<string, string>();

  constructor(private readonly o: RegistryClientOptions) {
    this.base = (o.endpoint ?? registryBaseUrl(o.registry, o.insecure)).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(this.base))
      throw new Error(`registry endpoint ${JSON.stringify(this.base)} is not http(s)://host[:port]`);
  }

  get endpoint(): string {
    return this.base;
  }

  /** GET /v2/: is this a registry, and does it accept us? */
  async ping(): Promise<void> {
    const res = await this.request('GET', '/v2/', 'pull', undefined);
    if (!res.ok) throw await errorOf(res, `${this.base}/v2/`);
    await res.body?.cancel();
  }

  /**
   * A manifest by tag or digest: its bytes, media type and digest. Fetched by digest, the bytes
   * must hash to it; fetched by tag, the digest is computed from the bytes (and must agree with
   * the registry's Docker-Content-Digest when it sends one).
   */
  async getManifest(
    repository: string,
    reference: string,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const accept = [
      MEDIA_TYPES.ociManifest,
      MEDIA_TYPES.ociIndex,
      MEDIA_TYPES.dockerManifest,
      MEDIA_TYPES.dockerList,
    ].join(', ');
    const what = `manifest ${this.o.registry}/${repository}:${reference}`;
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, 'pull', repository, {
      accept,
    });
    if (!res.ok) throw await errorOf(res, what);
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, what);
    const digest = sha256Digest(bytes);
    if (DIGEST.test(reference) && digest !== reference)
      throw new DigestMismatchError(`${what}: the bytes hash to ${digest}, not the digest asked for`);
    const sent = res.headers.get('docker-content-digest');
    if (sent && sent.startsWith('sha256:') && sent !== digest)
      throw new DigestMismatchError(`${what}: the bytes hash to ${digest}, the registry says ${sent}`);
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string };
      if (parsed.mediaType) mediaType = parsed.mediaType;
    } catch {
      throw new Error(`${what}: the registry sent a manifest that is not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** A small blob (an image config) in memory, verified. */
  async getBlob(repository: string, desc: Descriptor, maxBytes = MAX_MANIFEST_BYTES): Promise<Buffer> {
    checkDigest(desc.digest);
    if (desc.size > maxBytes)
      throw new Error(`blob ${desc.digest} is ${desc.size} bytes, more than the ${maxBytes} allowed`);
    const what = `blob ${this.o.registry}/${repository}@${desc.digest}`;
    const res = await this.request('GET', `/v2/${repository}/blobs/${desc.digest}`, 'pull', repository);
    if (!res.ok) throw await errorOf(res, what);
    const bytes = await readLimited(res, desc.size, what);
    if (bytes.length !== desc.size || sha256Digest(bytes) !== desc.digest)
      throw new DigestMismatchError(
        `${what}: the bytes (${bytes.length}) do not match the digest and size (${desc.size}) of the manifest`,
      );
    return bytes;
  }

  /**
   * Streams a blob into `file` (created; removed again on any failure), hashing as it goes; the
   * file is kept only when the size and the sha256 match the descriptor.
   */
  async downloadBlob(
    repository: string,
    desc: Descriptor,
    file: string,
    onProgress?: (bytes: number) => void,
  ): Promise<void> {
    checkDigest(desc.digest);
    const what = `blob ${this.o.registry}/${repository}@${desc.digest}`;
    const res = await this.request('GET', `/v2/${repository}/blobs/${desc.digest}`, 'pull', repository);
    if (!res.ok) throw await errorOf(res, what);
    if (!res.body) throw new Error(`${what}: the registry sent no body`);
    const hash = createHash('sha256');
    const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
    let seen = 0;
    try {
      for await (const chunk of Readable.fromWeb(res.body as never) as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > desc.size)
          throw new DigestMismatchError(
            `${what}: the registry sent more than the ${desc.size} bytes of the manifest`,
          );
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        onProgress?.(seen);
      }
      await new Promise<void>((resolve, reject) =>
        out.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
      const digest = `sha256:${hash.digest('hex')}`;
      if (seen !== desc.size || digest !== desc.digest)
        throw new DigestMismatchError(
          `${what}: got ${seen} bytes hashing to ${digest}; the manifest says ${desc.size} bytes, ${desc.digest}`,
        );
    } catch (e) {
      out.destroy();
      fs.rmSync(file, { force: true });
      throw e;
    }
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    checkDigest(digest);
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, 'push', repository);
    if (res.status === 404) return false;
    if (!res.ok) throw await errorOf(res, `blob ${this.o.registry}/${repository}@${digest}`);
    return true;
  }

  /**
   * Uploads a blob in one PUT (POST an upload session, then PUT ?digest=): the registry checks
   * the digest too. `open` gives the bytes afresh (an auth retry needs them twice).
   */
  async pushBlob(
    repository: string,
    desc: { digest: string; size: number },
    open: () => Readable,
    onProgress?: (bytes: number) => void,
  ): Promise<void> {
    checkDigest(desc.digest);
    const what = `upload of blob ${desc.digest} to ${this.o.registry}/${repository}`;
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`, 'push', repository, {
      'content-length': '0',
    });
    if (start.status !== 202) throw await errorOf(start, what);
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location) throw new Error(`${what}: the registry gave no upload Location`);
    const url = new URL(location, this.base);
    if (url.origin !== new URL(this.base).origin)
      throw new Error(`${what}: the registry sent the upload to another origin (${url.origin}); refused`);
    url.searchParams.set('digest', desc.digest);
    let sent = 0;
    const body = open().pipe(
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          sent += chunk.length;
          onProgress?.(sent);
          cb(null, chunk);
        },
      }),
    );
    const res = await this.request(
      'PUT',
      url.pathname + url.search,
      'push',
      repository,
      {
        'content-type': 'application/octet-stream',
        'content-length': String(desc.size),
      },
      body,
    );
    if (res.status !== 201) throw await errorOf(res, what);
    await res.body?.cancel();
  }

  /** PUT a manifest under a tag (or its digest); returns the digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    const what = `upload of manifest ${this.o.registry}/${repository}:${reference}`;
    const res = await this.request(
      'PUT',
      `/v2/${repository}/manifests/${reference}`,
      'push',
      repository,
      {
        'content-type': mediaType,
      },
      bytes,
    );
    if (res.status !== 201) throw await errorOf(res, what);
    await res.body?.cancel();
    const sent = res.headers.get('docker-content-digest');
    if (sent && sent !== digest)
      throw new DigestMismatchError(
        `${what}: the registry stored digest ${sent}, the manifest hashes to ${digest}`,
      );
    return digest;
  }

  /** One request; on 401 it answers the registry's challenge once and repeats. */
  private async request(
    method: string,
    pathAndQuery: string,
    action: 'pull' | 'push',
    repository: string | undefined,
    headers: Record<string, string> = {},
    body?: Buffer | Readable,
  ): Promise<Response> {
    const scope = repository ? `repository:${repository}:${action === 'push' ? 'pull,push' : 'pull'}` : '';
    const send = (auth: string | undefined, b: Buffer | Readable | undefined): Promise<Response> =>
      this.fetch(method, pathAndQuery, { ...headers, ...(auth ? { authorization: auth } : {}) }, b);
    // A streamed body can be sent only once: learn the challenge with an empty request first.
    if (!this.auth.has(scope) && body instanceof Readable) {
      const probe = await send(undefined, undefined);
      await probe.body?.cancel();
      if (probe.status === 401) await this.answerChallenge(probe, scope);
    }
    let res = await send(this.auth.get(scope), body);
    if (res.status === 401 && !(body instanceof Readable)) {
      await res.body?.cancel();
      await this.answerChallenge(res, scope);
      res = await send(this.auth.get(scope), body);
    }
    return res;
  }

  private async fetch(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    body?: Buffer | Readable,
  ): Promise<Response> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.o.timeoutMs ?? 30_000);
    try {
      return await fetch(this.base + pathAndQuery, {
        method,
        headers: { 'user-agent': this.o.userAgent ?? 'virtkit', ...headers },
        ...(body instanceof Readable
          ? { body: Readable.toWeb(body) as unknown as ReadableStream, duplex: 'half' }
          : body
            ? { body }
            : {}),
        redirect: 'follow',
        signal: ctl.signal,
      } as RequestInit);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(
        `${method} ${this.base}${pathAndQuery.split('?')[0]}: ${ctl.signal.aborted ? 'no answer in time' : (cause?.code ?? cause?.message ?? (e as Error).message)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private async answerChallenge(res: Response, scope: string): Promise<void> {
    const { scheme, params } = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
    const c = this.o.credentials;
    const basic =
      c?.username !== undefined
        ? `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`
        : undefined;
    if (scheme === 'basic') {
      if (!basic)
        throw new RegistryError(
          401,
          ['UNAUTHORIZED'],
          `${this.o.registry} asks for a user name and password and none was given (an imagePullSecret for pulls, --username for virtkit image push)`,
        );
      this.auth.set(scope, basic);
      return;
    }
    if (scheme !== 'bearer' || !params.realm)
      throw new RegistryError(
        401,
        ['UNAUTHORIZED'],
        `${this.o.registry} answered 401 without a challenge this client knows (${scheme || 'none'})`,
      );
    const realm = new URL(params.realm);
    const plainOk = new URL(this.base).protocol === 'http:';
    if (realm.protocol !== 'https:' && !(plainOk && realm.protocol === 'http:'))
      throw new Error(`${this.o.registry}: token realm ${realm.origin} is not HTTPS; refused`);
    if (params.service) realm.searchParams.set('service', params.service);
    if (scope) realm.searchParams.set('scope', scope);
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.o.timeoutMs ?? 30_000);
    let tokenRes: Response;
    try {
      tokenRes = await fetch(realm, {
        headers: { 'user-agent': this.o.userAgent ?? 'virtkit', ...(basic ? { authorization: basic } : {}) },
        signal: ctl.signal,
      });
    } finally {
      clearTimeout(timer);
    }
    if (!tokenRes.ok)
      throw await errorOf(tokenRes, `token for ${this.o.registry} (${scope || 'ping'}) from ${realm.origin}`);
    const body = JSON.parse((await readLimited(tokenRes, 1024 * 1024, 'token')).toString('utf8')) as {
      token?: string;
      access_token?: string;
    };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`${this.o.registry}: the token service sent no token`);
    this.auth.set(scope, `Bearer ${token}`);
  }
}

async function readLimited(res: Response, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const c of Readable.fromWeb(res.body as never) as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw new Error(`${what}: more than ${max} bytes; refused`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
