/**
 * The container images `virtkit up --runtime kubelet` installs virtkit from: the records
 * `npm run images` writes (images/build.ts: `image.json` beside each OCI archive in the cache,
 * or the list `npm run -s images -- --json` prints), read and checked here, and imported into each
 * kubelet node's containerd (there is no registry: the install's pods use the imported refs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { cacheDir } from '../../../common/cache';

/** What `up` needs of one image record. */
export interface ClusterImage {
  readonly name: 'virtkit' | 'virtkit-launcher';
  /** `virtkit.local/<name>:<version>-<hash>` */
  readonly ref: string;
  /** The ref without its tag (`ctr images import --base-name`). */
  readonly repository: string;
  readonly digest: string;
  /** The OCI archive, an absolute path. */
  readonly archive: string;
  readonly archiveBytes: number;
}

export interface ClusterImages {
  readonly virtkit: ClusterImage;
  readonly launcher: ClusterImage;
}

export class ClusterImagesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterImagesError';
  }
}

const BUILD_HINT =
  'build them with `npm run images` in a virtkit checkout, or pass `--images FILE` with the list `npm run -s images -- --json` prints';

/** One record checked (pure but for the archive's existence): every field `up` uses, with the record's source named. */
export function checkImageRecord(raw: unknown, source: string, base: string): ClusterImage {
  const r = (raw ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const text = (field: string, re: RegExp): string => {
    const v = r[field];
    if (typeof v !== 'string' || !re.test(v)) problems.push(`${field} ${JSON.stringify(v)} is not valid`);
    return String(v);
  };
  const name = text('name', /^(virtkit|virtkit-launcher)$/) as ClusterImage['name'];
  const repository = text('repository', /^[a-z0-9.:-]+(\/[a-z0-9._-]+)+$/);
  const ref = text('ref', /^[a-z0-9.:/_-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
  const digest = text('digest', /^sha256:[a-f0-9]{64}$/);
  const archive = path.resolve(base, text('archive', /./));
  if (!ref.startsWith(`${repository}:`)) problems.push(`ref ${ref} is not in repository ${repository}`);
  if (!problems.length && !fs.existsSync(archive)) problems.push(`its archive ${archive} is missing`);
  if (problems.length)
    throw new ClusterImagesError(`${source}: image record ${name}: ${problems.join('; ')}; ${BUILD_HINT}`);
  const archiveBytes = fs.statSync(archive).size;
  return { name, ref, repository, digest, archive, archiveBytes };
}

function pick(records: readonly ClusterImage[], source: string): ClusterImages {
  const find = (name: ClusterImage['name']): ClusterImage => {
    const r = records.find((i) => i.name === name);
    if (!r) throw new ClusterImagesError(`${source}: no ${name} image; ${BUILD_HINT}`);
    return r;
  };
  return { virtkit: find('virtkit'), launcher: find('virtkit-launcher') };
}

/** The images listed in FILE (`npm run -s images -- --json > FILE`). */
export function readImagesFile(file: string): ClusterImages {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ClusterImagesError(
      `--images ${file}: cannot read a JSON list of images (${(e as Error).message}); ${BUILD_HINT}`,
    );
  }
  if (!Array.isArray(raw)) throw new ClusterImagesError(`--images ${file}: not a JSON list; ${BUILD_HINT}`);
  return pick(
    raw.map((r) => checkImageRecord(r, `--images ${file}`, path.dirname(file))),
    `--images ${file}`,
  );
}

/**
 * The most recently built (or used) images of `version` in the image cache, or an error naming
 * the cache and how to fill it. The cache keeps the two newest builds of each image.
 */
export function findCachedImages(version: string, root = cacheDir('images', '')): ClusterImages {
  const records: ClusterImage[] = [];
  const entries = fs.existsSync(root) ? fs.readdirSync(root) : [];
  const newestFirst = entries
    .filter((e) => /^virtkit(-launcher)?-[0-9a-f]{16}$/.test(e))
    .map((e) => ({ dir: path.join(root, e), t: fs.statSync(path.join(root, e)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { dir } of newestFirst) {
    const file = path.join(dir, 'image.json');
    if (!fs.existsSync(file)) continue;
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; tag?: string };
    if (!String(raw.tag).startsWith(`${version}-`)) continue;
    if (records.some((r) => r.name === raw.name)) continue;
    records.push(checkImageRecord(raw, file, dir));
  }
  return pick(records, `the image cache ${root} (virtkit ${version})`);
}
