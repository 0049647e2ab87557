/**
 * The export server (the role of KubeVirt's virt-exportserver; `virtkit exporter` runs it): HTTPS
 * on a TCP address (in a pod: 8443) or a unix socket (local mode: in the pod's 0700 runner
 * directory, reached through the node API), serving the routes of ./routes.ts. Every request but
 * the readiness probe must carry the token (./token.ts), read from the token file on each request;
 * a missing or wrong one is a 401. Everything is streamed: a raw image from its file or device, a
 * gzip of it through zlib, a tar.gz of a directory entry by entry, a file of the `dir` form; no
 * image is ever held in memory. Every path stays inside its volume: the `dir` form's segments are
 * checked (./routes.ts), then the path is resolved on disk and refused when a symlink leads out,
 * and files are opened O_NOFOLLOW. At the deadline (the TTL's end) the server closes.
 */
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import * as tar from 'tar-stream';
import { stringify as toYaml } from 'yaml';
import { createGzip } from 'zlib';
import { HostPathError } from '../../api/host-path';
import { RAW_FILE } from '../../api/export/exporter-pod';
import { assertConfined } from '../../common/confine';
import type { Logger } from '../../common/log';
import { allManifests, asList, headerSecret, ManifestError, type ManifestData } from './manifests';
import { routeExport, type ExportVolume } from './routes';
import { presentedTokens, tokenAccepted } from './token';

/** Entries KubeVirt leaves out of a volume's archive and listing. */
const EXCLUDED = new Set(['lost+found']);
/** A ConfigMap key (the file names of the manifest directory). */
const MANIFEST_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

export interface ExportServerOptions {
  readonly volumes: readonly ExportVolume[];
  /** PEM of the serving certificate (chain) and its key. */
  readonly cert: Buffer | string;
  readonly key: Buffer | string;
  readonly tokenFile: string;
  /** The directory of the manifests ConfigMap's keys (VM source); undefined for a claim. */
  readonly manifestDir?: string;
  readonly exportName: string;
  readonly listen: { readonly socket: string } | { readonly host: string; readonly port: number };
  /** Epoch ms at which the server closes. */
  readonly deadline?: number;
  readonly log: Logger;
}

export interface RunningExportServer {
  /** The TCP port, or the socket path. */
  readonly address: number | string;
  /** Resolves when the server has closed (its deadline, or close()). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** Opens `file` for reading without following a final symlink; an fd and its stat. */
function openNoFollow(file: string): { fd: number; st: fs.Stats } {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  return { fd, st: fs.fstatSync(fd) };
}

/** The image of an image volume: `disk.img` in its directory (confined), or its device node. */
function imageFile(v: ExportVolume): string {
  const st = fs.statSync(v.path);
  if (!st.isDirectory()) return v.path;
  const file = path.join(v.path, RAW_FILE);
  try {
    assertConfined(v.path, file, `volume ${v.name} ${RAW_FILE}`);
  } catch (err) {
    if (err instanceof HostPathError) throw new HttpError(403, err.message);
    throw err;
  }
  if (!fs.existsSync(file)) throw new HttpError(404, `volume ${v.name} has no ${RAW_FILE}`);
  return file;
}

/**
 * The manifest data: one file per key. A ConfigMap volume (cluster mode) makes each key a
 * symlink into its `..data` folder, so a link is followed when it stays in the folder; the
 * handler's 0600 files (local mode) are plain files. Dot-names (`..data`, `..<timestamp>`) are
 * kubelet's and no key.
 */
function readManifestDir(dir: string): ManifestData {
  const data: Record<string, string> = {};
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!MANIFEST_KEY.test(ent.name) || ent.name.startsWith('.')) continue;
    const file = path.join(dir, ent.name);
    if (ent.isSymbolicLink()) {
      assertConfined(dir, file, `manifest key ${ent.name}`);
      if (!fs.statSync(file).isFile()) continue;
    } else if (!ent.isFile()) continue;
    data[ent.name] = fs.readFileSync(file, 'utf8');
  }
  return data;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Writes a tar of `root` into `pack` (regular files, directories, symlinks as links), then finalizes. */
async function packDirectory(root: string, pack: tar.Pack): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    const dir = path.join(root, rel);
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const ent of entries) {
      if (rel === '' && EXCLUDED.has(ent.name)) continue;
      const relName = rel ? `${rel}/${ent.name}` : ent.name;
      const full = path.join(root, relName);
      const st = fs.lstatSync(full);
      const common = { name: `./${relName}`, mode: st.mode & 0o7777, mtime: st.mtime };
      if (st.isSymbolicLink()) {
        // Stored as a link, never followed: a link out of the volume carries nothing of the host.
        pack.entry({ ...common, type: 'symlink', linkname: fs.readlinkSync(full) });
      } else if (st.isDirectory()) {
        pack.entry({ ...common, type: 'directory' });
        await walk(relName);
      } else if (st.isFile()) {
        const { fd, st: fst } = openNoFollow(full);
        const sink = pack.entry({ ...common, type: 'file', size: fst.size });
        await pipeline(fs.createReadStream('', { fd }), sink);
      }
    }
  };
  try {
    await walk('');
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
}

async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  name: string,
): Promise<void> {
  const { fd, st } = openNoFollow(file);
  if (!st.isFile() && !st.isBlockDevice()) {
    fs.closeSync(fd);
    throw new HttpError(403, `${name} is not a regular file`);
  }
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    // A device's size is not in its stat: it is sent chunked, to its end.
    ...(st.isFile() ? { 'Content-Length': String(st.size) } : {}),
  });
  if (req.method === 'HEAD') {
    fs.closeSync(fd);
    return void res.end();
  }
  await pipeline(fs.createReadStream('', { fd }), res);
}

export async function startExportServer(o: ExportServerOptions): Promise<RunningExportServer> {
  const log = o.log;
  const hasVm = o.manifestDir !== undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://exporter');
    // Routed on the path as sent: URL parsing would resolve `..` before it could be refused.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routeExport(rawPath, o.volumes, hasVm);
    if (route.kind === 'ready') return text(res, 200, 'OK');
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      return text(res, 405, `the export server takes GET, not ${method}`, { Allow: 'GET, HEAD' });
    let expected: string;
    try {
      expected = await fs.promises.readFile(o.tokenFile, 'utf8');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reading the token file failed');
      return text(res, 500, 'the export server cannot read its token');
    }
    if (!tokenAccepted(expected, presentedTokens(url, req.headers)))
      return text(
        res,
        401,
        'Unauthorized: send the export token (from the Secret in status.tokenSecretRef) in the x-kubevirt-export-token header or query parameter\n',
      );
    const fields = { path: rawPath };
    switch (route.kind) {
      case 'not-found':
        return text(res, 404, `${route.why}\n`);
      case 'bad-path':
        return text(res, 400, `${route.why}\n`);
      case 'raw':
        log.info(fields, 'raw download started');
        return serveFile(req, res, imageFile(route.volume), `volume ${route.volume.name} ${RAW_FILE}`);
      case 'gzip': {
        const { fd, st } = openNoFollow(imageFile(route.volume));
        if (!st.isFile() && !st.isBlockDevice()) {
          fs.closeSync(fd);
          throw new HttpError(403, `volume ${route.volume.name}'s image is not a regular file`);
        }
        res.writeHead(200, { 'Content-Type': 'application/gzip' });
        if (method === 'HEAD') {
          fs.closeSync(fd);
          return void res.end();
        }
        log.info(fields, 'gzip download started');
        return pipeline(fs.createReadStream('', { fd }), createGzip({ level: 6 }), res);
      }
      case 'tar': {
        res.writeHead(200, { 'Content-Type': 'application/gzip' });
        if (method === 'HEAD') return void res.end();
        log.info(fields, 'tar.gz download started');
        const pack = tar.pack();
        const done = pipeline(pack, createGzip({ level: 6 }), res);
        void packDirectory(route.volume.path, pack);
        return done;
      }
      case 'dir':
        return serveDir(req, res, route.volume, route.segments, route.slash, rawPath);
      case 'manifests':
      case 'secret': {
        const token = expected.replace(/\r?\n$/, '');
        let items: Record<string, unknown>[];
        try {
          items =
            route.kind === 'secret'
              ? [headerSecret(o.exportName, token)]
              : allManifests(readManifestDir(o.manifestDir ?? ''), route.side);
        } catch (err) {
          if (err instanceof ManifestError) return text(res, 404, `${err.message}\n`);
          if (err instanceof HostPathError) return text(res, 403, `${err.message}\n`);
          throw err;
        }
        const yaml = (req.headers.accept ?? '').includes('yaml');
        const body = yaml
          ? items.map((i) => toYaml(i)).join('---\n')
          : `${JSON.stringify(asList(items), null, 2)}\n`;
        res.writeHead(200, {
          'Content-Type': yaml ? 'application/yaml' : 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
        });
        return void res.end(method === 'HEAD' ? undefined : body);
      }
    }
  };

  const serveDir = async (
    req: IncomingMessage,
    res: ServerResponse,
    v: ExportVolume,
    segments: readonly string[],
    slash: boolean,
    pathname: string,
  ): Promise<void> => {
    const target = path.join(v.path, ...segments);
    try {
      assertConfined(v.path, target, `volume ${v.name} path`);
    } catch (err) {
      if (err instanceof HostPathError) throw new HttpError(403, err.message);
      throw err;
    }
    const st = fs.statSync(target, { throwIfNoEntry: false });
    if (!st) throw new HttpError(404, `volume ${v.name} has no ${segments.join('/') || '/'}`);
    if (st.isDirectory()) {
      if (!slash) return text(res, 301, '', { Location: `${pathname}/` });
      const names = fs
        .readdirSync(target, { withFileTypes: true })
        .filter((d) => !(segments.length === 0 && EXCLUDED.has(d.name)))
        .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
        .sort();
      const body = `<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n${names
        .map(
          (n) =>
            `<a href="${escapeHtml(encodeURIComponent(n.replace(/\/$/, '')) + (n.endsWith('/') ? '/' : ''))}">${escapeHtml(n)}</a>`,
        )
        .join('\n')}\n</pre>\n`;
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(body)),
      });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (slash) throw new HttpError(404, `${segments.join('/')} is a file, not a directory`);
    // A link inside the volume is served as its (confined) target; the open refuses a link swapped in since.
    return serveFile(req, res, fs.realpathSync(target), segments.join('/'));
  };

  const server = https.createServer({ cert: o.cert, key: o.key, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return text(res, err.status, `${err.message}\n`);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') return text(res, 403, 'a symlink is not served here\n');
      if (code === 'ENOENT') return text(res, 404, 'not found\n');
      if (code === 'ERR_STREAM_PREMATURE_CLOSE') return; // the client went away
      log.warn({ path: req.url, err: (err as Error).message }, 'export request failed');
      if (!res.headersSent) text(res, 500, `internal error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed'));

  if ('socket' in o.listen) fs.rmSync(o.listen.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if ('socket' in o.listen) server.listen(o.listen.socket, done);
    else server.listen(o.listen.port, o.listen.host, done);
  });
  if ('socket' in o.listen) fs.chmodSync(o.listen.socket, 0o600);
  const address = 'socket' in o.listen ? o.listen.socket : (server.address() as AddressInfo).port;

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let timer: NodeJS.Timeout | undefined;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      clearTimeout(timer);
      server.close(() => {
        resolveClosed();
        resolve();
      });
      server.closeAllConnections();
    });
  // setTimeout holds at most ~24.8 days: look again until the deadline is reached.
  const arm = (): void => {
    if (o.deadline === undefined) return;
    const left = o.deadline - Date.now();
    if (left <= 0) {
      log.info('the deadline has passed: closing');
      void close();
      return;
    }
    timer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
  };
  arm();
  return { address, closed, close };
}
