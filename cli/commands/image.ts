/**
 * `virtkit image push DISK REGISTRY/REPO[:TAG]`: builds a container-disk image in KubeVirt's
 * layout (common/oci/container-disk.ts) without Docker and pushes it: the layer (gzip), the
 * config and the OCI manifest, blobs the registry already has skipped. Prints
 * `REGISTRY/REPO@sha256:...`. Registries on loopback are plain HTTP, others HTTPS unless
 * --insecure. Credentials: --username with the password on standard input (--password-stdin),
 * never on the command line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Command } from 'commander';
import {
  MEDIA_TYPES,
  RegistryClient,
  sha256Digest,
  type Credentials,
  type Descriptor,
} from '../../common/oci/client';
import { buildLayer, imageConfig, imageManifest } from '../../common/oci/container-disk';
import { digestReference, effectiveTag, parseImageReference } from '../../common/oci/reference';

export interface PushOptions {
  readonly disk: string;
  readonly image: string;
  readonly insecure?: boolean;
  readonly credentials?: Credentials;
  /** Told of each step and of bytes moved. */
  readonly progress?: Progress;
  /** Where the layer is built. @default a new folder in the system's temp dir */
  readonly workDir?: string;
}

export interface Progress {
  step(what: string): void;
  bytes(what: string, done: number, total: number): void;
  end(): void;
}

export interface PushResult {
  /** REGISTRY/REPO@sha256:... */
  readonly reference: string;
  readonly digest: string;
  readonly layer: Descriptor;
  readonly uploaded: number;
}

/** `12.3 MiB/40.0 MiB 30%` (pure). */
export function formatProgress(done: number, total: number): string {
  const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
  return `${mib(done)}/${mib(total)} ${pct}%`;
}

/** On a terminal: one line redrawn; otherwise plain lines at each step and every 25%. */
export function consoleProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = !!stream.isTTY;
  let lastPct = -1;
  let lastDraw = 0;
  let open = false;
  return {
    step(what) {
      if (open) stream.write('\n');
      open = false;
      lastPct = -1;
      stream.write(`${what}\n`);
    },
    bytes(what, done, total) {
      const line = `${what}: ${formatProgress(done, total)}`;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        stream.write(`\r\x1b[K${line}`);
        open = true;
        return;
      }
      const pct = total > 0 ? Math.floor((done / total) * 4) * 25 : 100;
      if (pct !== lastPct) {
        lastPct = pct;
        stream.write(`${line}\n`);
      }
    },
    end() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}

const silent: Progress = { step: () => undefined, bytes: () => undefined, end: () => undefined };

export async function pushContainerDisk(o: PushOptions): Promise<PushResult> {
  const ref = parseImageReference(o.image);
  if (ref.digest) throw new Error(`${o.image}: push to a tag (REGISTRY/REPO:TAG), not a digest`);
  const tag = effectiveTag(ref)!;
  const progress = o.progress ?? silent;
  const size = fs.statSync(o.disk).size;
  const work = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-image-'));
  try {
    progress.step(`building the layer of ${o.disk}`);
    const layer = await buildLayer(o.disk, path.join(work, 'layer.tar.gz'), (n) =>
      progress.bytes('layer', n, size),
    );
    const config = imageConfig(layer.diffId);
    const configDesc: Descriptor = {
      mediaType: MEDIA_TYPES.ociConfig,
      digest: sha256Digest(config),
      size: config.length,
    };
    const layerDesc: Descriptor = {
      mediaType: MEDIA_TYPES.ociLayerGzip,
      digest: layer.digest,
      size: layer.size,
    };
    const manifest = imageManifest(configDesc, [layerDesc]);
    const client = new RegistryClient({
      registry: ref.registry,
      insecure: o.insecure ?? false,
      ...(o.credentials ? { credentials: o.credentials } : {}),
    });
    let uploaded = 0;
    if (await client.blobExists(ref.repository, layerDesc.digest))
      progress.step(`layer ${layerDesc.digest} already there`);
    else {
      progress.step(`pushing layer ${layerDesc.digest} (${layerDesc.size} bytes) to ${client.endpoint}`);
      await client.pushBlob(
        ref.repository,
        layerDesc,
        () => fs.createReadStream(layer.file),
        (n) => progress.bytes('upload', n, layerDesc.size),
      );
      uploaded++;
    }
    if (!(await client.blobExists(ref.repository, configDesc.digest))) {
      const { Readable } = await import('stream');
      await client.pushBlob(ref.repository, configDesc, () => Readable.from([config]));
      uploaded++;
    }
    progress.step(`pushing the manifest as ${ref.registry}/${ref.repository}:${tag}`);
    const digest = await client.putManifest(ref.repository, tag, manifest, MEDIA_TYPES.ociManifest);
    progress.end();
    return { reference: digestReference(ref, digest), digest, layer: layerDesc, uploaded };
  } finally {
    if (!o.workDir) fs.rmSync(work, { recursive: true, force: true });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

interface PushFlags {
  insecure?: boolean;
  username?: string;
  passwordStdin?: boolean;
}

export function register(program: Command): void {
  const image = program.command('image').description('Container-disk images: build and push without Docker');
  image
    .command('push')
    .description(
      "Build a container-disk image (KubeVirt's layout: /disk/<file>, uid/gid 107, mode 0440) from DISK and push it; prints REGISTRY/REPO@sha256:...",
    )
    .argument('<disk>', 'a .qcow2, .img, .raw or .iso file')
    .argument(
      '<image>',
      'REGISTRY/REPO[:TAG], e.g. 127.0.0.1:5000/virtkit/fedora:40 (TAG defaults to latest)',
    )
    .option(
      '--insecure',
      'plain HTTP for a registry that is not on loopback (loopback registries always use HTTP)',
    )
    .option(
      '--username <name>',
      'registry user name (the password is read from standard input with --password-stdin)',
    )
    .option('--password-stdin', 'read the registry password from standard input')
    .action(async (disk: string, ref: string, flags: PushFlags) => {
      try {
        if (!fs.existsSync(disk)) throw new Error(`${disk} does not exist`);
        if (flags.passwordStdin && !flags.username) throw new Error('--password-stdin needs --username');
        const credentials = flags.username
          ? { username: flags.username, password: flags.passwordStdin ? await readStdin() : '' }
          : undefined;
        const result = await pushContainerDisk({
          disk,
          image: ref,
          insecure: !!flags.insecure,
          ...(credentials ? { credentials } : {}),
          progress: consoleProgress(),
        });
        console.log(result.reference);
      } catch (e) {
        console.error(`virtkit image push: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
