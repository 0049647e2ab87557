/**
 * Pulls container-disk images into the node's cache, once per manifest digest: concurrent pulls
 * in this process share one promise, other processes wait on a lock file. Every blob is checked
 * against its digest while it streams in; the disk file is taken from /disk/ of the layers and
 * the image's directory appears (by rename) only once it is complete. The cache holds read-only
 * bases: each VMI's launcher puts its own copy-on-write overlay on top.
 *
 * Layout under the cache dir (0700, root's when the handler is):
 *   disks/<hex>/<file>     the disk of the image whose manifest digest is sha256:<hex>
 *   refs/<sha256 of ref>   {"reference","digest"}: what a tag resolved to last (IfNotPresent, Never)
 *   files/<hex>/<set>/...  files taken by path (containerDisk.path, kernelBoot's kernel and initrd)
 *   locks/<hex>[-set].lock the pid of the process pulling that digest
 *   tmp/                   downloads in progress (removed when done or failed, and when their
 *                          process is gone)
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from '../../common/log';
import {
  DigestMismatchError,
  MEDIA_TYPES,
  RegistryClient,
  type Credentials,
  type Descriptor,
} from '../../common/oci/client';
import {
  ContainerDiskError,
  extractDisk,
  extractFiles,
  imagePathParts,
} from '../../common/oci/container-disk';
import {
  DIGEST,
  formatImageReference,
  manifestReference,
  parseImageReference,
  type ImageReference,
} from '../../common/oci/reference';
import { backoffMs, endpointsFor, pullDecision, pullPolicyOf, type RegistryMirror } from './policy';

/** Largest disk file taken from an image. @default 256 GiB */
export const DEFAULT_MAX_DISK_BYTES = 256 * 2 ** 30;

export interface ImagePullerOptions {
  readonly cacheDir: string;
  readonly mirrors?: readonly RegistryMirror[];
  /** Registries (host[:port]) spoken to over plain HTTP although not on loopback. */
  readonly insecureRegistries?: readonly string[];
  readonly log?: Logger;
  readonly maxDiskBytes?: number;
  /** First back-off after a failed pull (kubelet: 10 s). */
  readonly backoffInitialMs?: number;
}

export interface PullRequest {
  readonly image: string;
  /** imagePullPolicy as written (empty: KubeVirt's default for the tag). */
  readonly policy?: string;
  readonly credentials?: Credentials;
}

export interface PulledImage {
  readonly reference: string;
  readonly digest: string;
  /** The read-only base disk in the cache. */
  readonly path: string;
  /** Whether this call downloaded it (false: it was in the cache, or another pull brought it). */
  readonly downloaded: boolean;
}

/** A failed pull, with the waiting reason kubelet would show and when to look again. */
export class ImagePullError extends Error {
  constructor(
    /** ErrImagePull, ImagePullBackOff, ErrImageNeverPull or InvalidImageName. */
    readonly reason: string,
    message: string,
    readonly retryMs: number,
  ) {
    super(message);
    this.name = 'ImagePullError';
  }
}

interface Failure {
  count: number;
  until: number;
  message: string;
}

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const LOCK_POLL_MS = 250;
const LOCK_WAIT_MS = 60 * 60_000;

export class ImagePuller {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly failures = new Map<string, Failure>();
  /** How many blob downloads this puller made (tests check sharing with it). */
  downloads = 0;

  constructor(private readonly o: ImagePullerOptions) {
    for (const d of ['disks', 'refs', 'locks', 'tmp'])
      fs.mkdirSync(path.join(o.cacheDir, d), { recursive: true, mode: 0o700 });
    fs.chmodSync(o.cacheDir, 0o700);
    this.removeAbandonedWork();
  }

  /** Work dirs of pulls whose process is gone (a handler killed mid-pull) are removed. */
  private removeAbandonedWork(): void {
    const tmp = path.join(this.o.cacheDir, 'tmp');
    for (const entry of fs.readdirSync(tmp)) {
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(tmp, entry, 'pid'), 'utf8'));
      } catch {
        // no pid file: its process died before writing it
      }
      if (!Number.isInteger(owner) || owner <= 0 || !alive(owner))
        fs.rmSync(path.join(tmp, entry), { recursive: true, force: true });
    }
  }

  /** The disk of `req.image` (the one file in /disk/), pulled if the policy says so; throws ImagePullError. */
  async pull(req: PullRequest): Promise<PulledImage> {
    const got = await this.pullWith(req, this.diskWant());
    return { reference: got.reference, digest: got.digest, path: got.result, downloaded: got.downloaded };
  }

  /**
   * Files of `req.image` at `paths` (inside the image), e.g. containerDisk.path or kernelBoot's
   * kernelPath and initrdPath; throws ImagePullError.
   */
  async pullFiles(
    req: PullRequest,
    paths: readonly string[],
  ): Promise<FilesResult & { reference: string; digest: string; downloaded: boolean }> {
    let want: Want<FilesResult>;
    try {
      want = this.filesWant(paths);
    } catch (e) {
      throw new ImagePullError('ErrImagePull', `image "${req.image}": ${(e as Error).message}`, 60_000);
    }
    const got = await this.pullWith(req, want);
    return { reference: got.reference, digest: got.digest, downloaded: got.downloaded, ...got.result };
  }

  private async pullWith<T>(
    req: PullRequest,
    want: Want<T>,
  ): Promise<{ reference: string; digest: string; result: T; downloaded: boolean }> {
    let ref: ImageReference;
    try {
      ref = parseImageReference(req.image);
    } catch (e) {
      throw new ImagePullError('InvalidImageName', (e as Error).message, 60_000);
    }
    const name = formatImageReference(ref);
    const failure = this.failures.get(name);
    if (failure && Date.now() < failure.until)
      throw new ImagePullError(
        'ImagePullBackOff',
        `Back-off pulling image "${req.image}": ${failure.message}`,
        failure.until - Date.now(),
      );
    let policy;
    try {
      policy = pullPolicyOf(ref, req.policy);
    } catch (e) {
      throw new ImagePullError('ErrImagePull', (e as Error).message, 60_000);
    }
    const known = ref.digest ?? this.readRef(ref);
    const cached = known ? want.cached(known) : undefined;
    const decision = pullDecision(policy, cached !== undefined);
    if (decision === 'use-cache')
      return { reference: name, digest: known!, result: cached!, downloaded: false };
    if (decision === 'never-pull')
      throw new ImagePullError(
        'ErrImageNeverPull',
        `Container image "${req.image}" is not present on this node with pull policy of Never`,
        60_000,
      );
    try {
      const got = await this.resolveAndFetch(ref, req.credentials, want);
      this.failures.delete(name);
      return { reference: name, ...got };
    } catch (e) {
      const count = (failure?.count ?? 0) + 1;
      const wait = backoffMs(count, this.o.backoffInitialMs);
      const message = `Failed to pull image "${req.image}": ${(e as Error).message}`;
      this.failures.set(name, { count, until: Date.now() + wait, message: (e as Error).message });
      this.o.log?.warn({ image: req.image }, `${message} (next try in ${Math.round(wait / 1000)} s)`);
      // Look again soon: the pod shows ImagePullBackOff until the back-off has passed.
      throw new ImagePullError('ErrImagePull', message, Math.min(1000, wait));
    }
  }

  private refFile(ref: ImageReference): string {
    return path.join(this.o.cacheDir, 'refs', sha256Hex(formatImageReference(ref)));
  }

  private readRef(ref: ImageReference): string | undefined {
    try {
      const rec = JSON.parse(fs.readFileSync(this.refFile(ref), 'utf8')) as { digest?: string };
      return typeof rec.digest === 'string' && DIGEST.test(rec.digest) ? rec.digest : undefined;
    } catch {
      return undefined;
    }
  }

  private writeRef(ref: ImageReference, digest: string): void {
    const file = this.refFile(ref);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, JSON.stringify({ reference: formatImageReference(ref), digest }), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  /** The cached disk of manifest `digest`, if complete. */
  diskPath(digest: string): string | undefined {
    if (!DIGEST.test(digest)) return undefined;
    const dir = path.join(this.o.cacheDir, 'disks', digest.slice('sha256:'.length));
    try {
      const files = fs.readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile());
      return files.length === 1 ? path.join(dir, files[0].name) : undefined;
    } catch {
      return undefined;
    }
  }

  private async resolveAndFetch<T>(
    ref: ImageReference,
    credentials: Credentials | undefined,
    want: Want<T>,
  ): Promise<{ digest: string; result: T; downloaded: boolean }> {
    const problems: string[] = [];
    for (const endpoint of endpointsFor(ref.registry, this.o.mirrors ?? [])) {
      const client = new RegistryClient({
        registry: ref.registry,
        ...(endpoint ? { endpoint } : {}),
        insecure: this.o.insecureRegistries?.includes(ref.registry) ?? false,
        ...(credentials ? { credentials } : {}),
      });
      let manifest: { digest: string; manifest: ImageManifestJson };
      try {
        manifest = await this.resolveManifest(client, ref);
      } catch (e) {
        if (e instanceof DigestMismatchError || e instanceof ContainerDiskError) throw e;
        problems.push(endpoint ? `mirror ${endpoint}: ${(e as Error).message}` : (e as Error).message);
        continue;
      }
      const digest = manifest.digest;
      const key = `${digest}${want.id ? `#${want.id}` : ''}`;
      let downloaded = false;
      const result =
        want.cached(digest) ??
        (await this.fetchOnce(key, async () => {
          const again = want.cached(digest);
          if (again !== undefined) return again;
          downloaded = true;
          return this.fetchLayers(client, ref, manifest, (layers, work) =>
            want.materialize(digest, layers, work),
          );
        }));
      if (!ref.digest) this.writeRef(ref, digest);
      return { digest, result, downloaded };
    }
    throw new Error(problems.join('; '));
  }

  /** The image manifest (an index is resolved to its linux/amd64 entry: guests are x86_64). */
  private async resolveManifest(
    client: RegistryClient,
    ref: ImageReference,
  ): Promise<{ digest: string; manifest: ImageManifestJson }> {
    const repo = ref.repository;
    let got = await client.getManifest(repo, manifestReference(ref));
    if (got.mediaType === MEDIA_TYPES.ociIndex || got.mediaType === MEDIA_TYPES.dockerList) {
      const index = JSON.parse(got.bytes.toString('utf8')) as { manifests?: Descriptor[] };
      const pick = (index.manifests ?? []).find(
        (m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64' && DIGEST.test(m.digest),
      );
      if (!pick)
        throw new ContainerDiskError(
          `${formatImageReference(ref)} is an image index without a linux/amd64 image`,
        );
      got = await client.getManifest(repo, pick.digest);
    }
    if (got.mediaType !== MEDIA_TYPES.ociManifest && got.mediaType !== MEDIA_TYPES.dockerManifest)
      throw new ContainerDiskError(
        `${formatImageReference(ref)} has a manifest of type ${got.mediaType || 'unknown'}, not an image manifest`,
      );
    const manifest = JSON.parse(got.bytes.toString('utf8')) as ImageManifestJson;
    if (!Array.isArray(manifest.layers) || !manifest.layers.length)
      throw new ContainerDiskError(`${formatImageReference(ref)} has no layers`);
    for (const l of manifest.layers)
      if (
        !l ||
        typeof l.digest !== 'string' ||
        !DIGEST.test(l.digest) ||
        !Number.isSafeInteger(l.size) ||
        l.size < 0
      )
        throw new ContainerDiskError(
          `${formatImageReference(ref)} has a layer without a sha256 digest and size`,
        );
    return { digest: got.digest, manifest };
  }

  /** One download per key (a digest): in this process by a promise, across processes by a lock file. */
  private fetchOnce<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key);
    if (running) return running as Promise<T>;
    const p = (async () => {
      const release = await this.lock(key);
      try {
        return await fetch();
      } finally {
        release();
      }
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async lock(key: string): Promise<() => void> {
    const file = path.join(this.o.cacheDir, 'locks', `${key.slice('sha256:'.length).replace('#', '-')}.lock`);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
        return () => fs.rmSync(file, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for process ${holder} to finish pulling ${key}`);
      await sleep(LOCK_POLL_MS);
    }
  }

  /** Downloads every layer (verified) into a work dir under tmp/, hands them to `use`, cleans up. */
  private async fetchLayers<T>(
    client: RegistryClient,
    ref: ImageReference,
    image: { digest: string; manifest: ImageManifestJson },
    use: (layers: string[], work: string) => Promise<T>,
  ): Promise<T> {
    const hex = image.digest.slice('sha256:'.length);
    const work = fs.mkdtempSync(path.join(this.o.cacheDir, 'tmp', `${hex.slice(0, 12)}-`));
    try {
      fs.writeFileSync(path.join(work, 'pid'), String(process.pid), { mode: 0o600 });
      const layerFiles: string[] = [];
      const max = this.o.maxDiskBytes ?? DEFAULT_MAX_DISK_BYTES;
      const total = image.manifest.layers.reduce((n, l) => n + l.size, 0);
      if (total > max)
        throw new ContainerDiskError(
          `${formatImageReference(ref)} has ${total} bytes of layers, more than the ${max} allowed`,
        );
      for (const [i, layer] of image.manifest.layers.entries()) {
        const file = path.join(work, `layer-${i}`);
        this.o.log?.info(
          { image: formatImageReference(ref) },
          `pulling layer ${layer.digest} (${layer.size} bytes)`,
        );
        this.downloads++;
        await client.downloadBlob(ref.repository, layer, file);
        layerFiles.push(file);
      }
      const result = await use(layerFiles, work);
      this.o.log?.info({ image: formatImageReference(ref) }, `pulled ${image.digest}`);
      return result;
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  /** KubeVirt's layout: the one file in /disk/, into disks/<hex>/. */
  private diskWant(): Want<string> {
    return {
      id: '',
      cached: (digest) => this.diskPath(digest),
      materialize: async (digest, layers, work) => {
        const out = path.join(work, 'disk');
        fs.mkdirSync(out, { mode: 0o700 });
        await extractDisk(layers, out, this.o.maxDiskBytes ?? DEFAULT_MAX_DISK_BYTES);
        for (const f of fs.readdirSync(out)) fs.chmodSync(path.join(out, f), 0o400);
        fs.renameSync(out, path.join(this.o.cacheDir, 'disks', digest.slice('sha256:'.length)));
        return this.diskPath(digest)!;
      },
    };
  }

  /** Named files of the image (containerDisk.path, kernelBoot's kernel and initrd), into files/<hex>/<set>/. */
  private filesWant(paths: readonly string[]): Want<FilesResult> {
    const normalized = [...new Set(paths.map((p) => imagePathParts(p).join('/')))].sort();
    const id = sha256Hex(normalized.join('\n')).slice(0, 16);
    const rootOf = (digest: string): string =>
      path.join(this.o.cacheDir, 'files', digest.slice('sha256:'.length), id);
    const result = (root: string): FilesResult => ({
      root,
      files: Object.fromEntries(paths.map((p) => [p, path.join(root, ...imagePathParts(p))])),
    });
    return {
      id,
      cached: (digest) => (fs.existsSync(rootOf(digest)) ? result(rootOf(digest)) : undefined),
      materialize: async (digest, layers, work) => {
        const out = path.join(work, 'files');
        fs.mkdirSync(out, { mode: 0o700 });
        const got = await extractFiles(
          layers,
          normalized,
          out,
          this.o.maxDiskBytes ?? DEFAULT_MAX_DISK_BYTES,
        );
        for (const f of Object.values(got)) fs.chmodSync(f, 0o400);
        fs.mkdirSync(path.dirname(rootOf(digest)), { recursive: true, mode: 0o700 });
        fs.renameSync(out, rootOf(digest));
        return result(rootOf(digest));
      },
    };
  }
}

/** What a pull makes of an image's layers, and how to find it in the cache. */
interface Want<T> {
  /** Tells apart different things made of one digest ('' for the disk). */
  readonly id: string;
  cached(digest: string): T | undefined;
  materialize(digest: string, layers: string[], work: string): Promise<T>;
}

export interface FilesResult {
  /** The image's root in the cache: `files` are below it at their paths inside the image. */
  readonly root: string;
  readonly files: Readonly<Record<string, string>>;
}

interface ImageManifestJson {
  readonly layers: readonly Descriptor[];
  readonly config?: Descriptor;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
