/**
 * The sandbox ("pause") image of kubelet nodes, built here because no registry on the internet
 * is reachable: one layer holding Debian's statically linked busybox, entrypoint
 * `/bin/busybox sleep 2147483647`, user 65535. umoci (Debian's) writes the OCI layout;
 * timestamps are pinned (files, config, archive) so the same busybox gives the same digest.
 * The archive is cached by that input under the cache folder; containerd imports it with
 * `ctr images import`.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheDir } from '../../../common/cache';

/** Bump when the recipe below changes: it is part of the cache key. */
const RECIPE = 'pause-1';
export const PAUSE_REPOSITORY = 'virtkit.local/pause';
const BUSYBOX = '/bin/busybox';

export interface PauseImage {
  /** `virtkit.local/pause:<tag>` */
  readonly ref: string;
  /** The OCI archive (a tar of the image layout) to import. */
  readonly archive: string;
  /** The image manifest's digest. */
  readonly digest: string;
}

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Build the image into `outDir` (not cached): the archive and its digest. */
export function buildPauseImage(umoci: string, outDir: string, tag: string): PauseImage {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-pause-'));
  try {
    const layout = path.join(work, 'oci');
    const bundle = path.join(work, 'bundle');
    const image = `${layout}:${tag}`;
    run(umoci, ['init', '--layout', layout]);
    run(umoci, ['new', '--image', image]);
    run(umoci, ['unpack', '--rootless', '--image', image, bundle]);
    const bin = path.join(bundle, 'rootfs', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(bin, 'busybox'));
    fs.chmodSync(path.join(bin, 'busybox'), 0o755);
    for (const p of [path.join(bin, 'busybox'), bin, path.join(bundle, 'rootfs')]) fs.utimesSync(p, 0, 0);
    run(umoci, ['repack', '--no-history', '--image', image, bundle]);
    run(umoci, [
      'config',
      '--no-history',
      '--image',
      image,
      '--created',
      '1970-01-01T00:00:00Z',
      '--author',
      'virtkit',
      '--architecture',
      'amd64',
      '--os',
      'linux',
      '--config.user',
      '65535:65535',
      '--config.entrypoint',
      '/bin/busybox',
      '--config.cmd',
      'sleep',
      '--config.cmd',
      '2147483647',
    ]);
    // Only the final image stays: unreferenced blobs of the steps go.
    run(umoci, ['gc', '--layout', layout]);
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    const digest = index.manifests[0]?.digest ?? '';
    fs.mkdirSync(outDir, { recursive: true });
    const archive = path.join(outDir, `pause-${tag}.tar`);
    const partial = `${archive}.partial`;
    run('tar', [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      layout,
      '-cf',
      partial,
      '.',
    ]);
    fs.renameSync(partial, archive);
    return { ref: `${PAUSE_REPOSITORY}:${tag}`, archive, digest };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The cached image, built when missing; its tag is the hash of its inputs. */
export function pauseImage(umoci: string): PauseImage {
  const tag = createHash('sha256').update(RECIPE).update(fs.readFileSync(BUSYBOX)).digest('hex').slice(0, 16);
  const dir = cacheDir('images', RECIPE);
  const archive = path.join(dir, `pause-${tag}.tar`);
  const digestFile = `${archive}.digest`;
  if (fs.existsSync(archive) && fs.existsSync(digestFile))
    return { ref: `${PAUSE_REPOSITORY}:${tag}`, archive, digest: fs.readFileSync(digestFile, 'utf8').trim() };
  const built = buildPauseImage(umoci, dir, tag);
  fs.writeFileSync(digestFile, `${built.digest}\n`);
  return built;
}
