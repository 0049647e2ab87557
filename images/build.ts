/**
 * Builds virtkit's container images with umoci (Debian's): an OCI image layout with one layer per
 * part, from the bottom
 *
 *   1. the image's Debian root filesystem (./rootfs.ts), different for each image;
 *   2. files built on this machine that one image carries (the whereabouts CNI plugin), if any;
 *   3. Node.js (./node-runtime.ts);
 *   4. the production node_modules (./app.ts);
 *   5. virtkit's compiled package and its command link (./app.ts),
 *
 * so layers 3 to 5 are the same blobs in both images (a node stores and pulls them once) and an
 * upgrade of virtkit changes only the top ones. Then the config (user, entrypoint, environment,
 * labels; a fixed creation date, no history), and the layout archived as a tar with sorted
 * names and fixed times: the archive `ctr images import` reads.
 *
 * Each image is cached in `<cache>/images/<image>-<input hash>/`, the input hash covering the
 * recipe, the resolved Debian package versions, Node.js's package version and bytes, the lock
 * file, the compiled package's files and the carried files. The same inputs give the same
 * digest (layers are gzip'd by umoci deterministically; every mtime is the epoch).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheDir } from '../common/cache';
import { onPath } from '../common/on-path';
import { whereaboutsPluginDir } from '../cli/local/cni-plugins';
import {
  appFiles,
  filesHash,
  productionModules,
  stageApp,
  stageModules,
  type ProductionModules,
} from './app';
import { removeTree } from './cache-entry';
import { layerProblems, treeBytes, walkTree } from './inspect';
import { hostNodeRuntime, stageNodeRuntime, type NodeRuntime } from './node-runtime';
import { clampTree, readableByAll } from './normalise';
import {
  IMAGE_NAMES,
  PACKAGE_LIST_FILE,
  RECIPES,
  RECIPE_VERSION,
  imageConfigArgs,
  imageRef,
  imageTag,
  packageListText,
  type ImageName,
  type ImageRecipe,
} from './recipes';
import {
  ImageBuildError,
  buildRootfs,
  pruneRootfsCache,
  resolvePackages,
  rootfsDir,
  run,
  type Rootfs,
} from './rootfs';

export interface BuiltImage {
  readonly name: ImageName;
  /** `virtkit.local/<name>:<version>-<hash>` */
  readonly ref: string;
  /** The repository part of the ref (`ctr images import --base-name`). */
  readonly repository: string;
  readonly tag: string;
  /** The manifest's digest (`sha256:...`). */
  readonly digest: string;
  /** The OCI archive (a tar of the image layout). */
  readonly archive: string;
  /** Its size: the layers are gzip'd, so this is the compressed image. */
  readonly archiveBytes: number;
  /** The bytes of the files of the unpacked root filesystem. */
  readonly rootfsBytes: number;
  /** The layers' digests, bottom first. */
  readonly layers: readonly string[];
  readonly inputHash: string;
  /** `uid:gid` of the image config's User. */
  readonly user: string;
  readonly nodeVersion: string;
  /** `name=version` lines of the image's Debian packages. */
  readonly debianPackages: string;
  /** Whether it came from the cache. */
  readonly cached: boolean;
  /** Seconds the build took (0 when cached). */
  readonly seconds: number;
}

export interface BuildOptions {
  /** The repository (its dist/, bin/, package.json and lock file). */
  readonly repo: string;
  /** Which images; all by default. */
  readonly images?: readonly ImageName[];
  /**
   * Build into this folder instead of the cache, even when the cache has the image (the root
   * filesystem and node_modules still come from their caches): for reproducibility checks.
   */
  readonly outDir?: string;
  readonly log?: (line: string) => void;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** What every image is built from besides its own recipe. */
interface SharedInputs {
  readonly node: NodeRuntime;
  readonly modules: ProductionModules;
  readonly appFiles: readonly string[];
  readonly appHash: string;
  readonly version: string;
  readonly umoci: string;
  /** The repository the package's files are read from (not hashed: the files are). */
  readonly repo: string;
}

function requireHost(): void {
  if (process.getuid?.() !== 0)
    throw new ImageBuildError(
      'building the images needs root: mmdebstrap installs packages into a folder as root, and the layers keep their files owners (run npm run images as root)',
    );
  const missing = ['mmdebstrap', 'umoci', 'dpkg-query', 'npm', 'tar'].filter((p) => !onPath(p));
  if (missing.length)
    throw new ImageBuildError(
      `building the images needs ${missing.join(', ')} on PATH; scripts/setup/images.sh installs Debian's mmdebstrap and umoci (apt-get install mmdebstrap umoci)`,
    );
}

/** The files a recipe carries from this machine (host path -> path in the image). */
function hostFilesOf(recipe: ImageRecipe): { from: string; to: string }[] {
  return recipe.hostFiles.map((f) => {
    const from = path.join(whereaboutsPluginDir(), 'whereabouts');
    if (!fs.existsSync(from))
      throw new ImageBuildError(
        `${recipe.name} carries the whereabouts CNI plugin, and ${from} is missing: run scripts/build-whereabouts.sh (scripts/setup/whereabouts.sh does)`,
      );
    return { from, to: f.to };
  });
}

/** The input hash of one image. */
export function inputHash(
  recipe: ImageRecipe,
  packages: ReadonlyMap<string, string>,
  shared: SharedInputs,
  hostFiles: readonly { from: string; to: string }[],
): string {
  return sha256(
    JSON.stringify({
      recipe: RECIPE_VERSION,
      image: recipe,
      debian: packageListText(packages),
      node: { package: shared.node.packageVersion, version: shared.node.version, sha256: shared.node.sha256 },
      modules: shared.modules.key,
      app: shared.appHash,
      hostFiles: hostFiles.map((f) => ({ to: f.to, sha256: sha256(fs.readFileSync(f.from)) })),
      umoci: shared.umoci,
    }),
  );
}

interface Layout {
  readonly dir: string;
  readonly image: string;
}

function umoci(args: readonly string[]): void {
  run('umoci', args);
}

/** Adds the tree at `stage` as a layer (checked first, then made readable, owned and dated alike). */
function addLayer(layout: Layout, stage: string, what: string, normalise: boolean): void {
  if (normalise) {
    readableByAll(stage);
    clampTree(stage);
  }
  const problems = layerProblems(stage);
  if (problems.length)
    throw new ImageBuildError(`the ${what} layer of ${layout.image} has ${problems.join('; ')}`);
  umoci(['insert', '--no-history', '--image', layout.image, stage, '/']);
}

function freshStage(work: string, name: string): string {
  const stage = path.join(work, name);
  fs.mkdirSync(stage, { mode: 0o755 });
  fs.chmodSync(stage, 0o755);
  return stage;
}

interface Manifest {
  config: { digest: string };
  layers: { digest: string }[];
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function blob(layoutDir: string, digest: string): string {
  return path.join(layoutDir, 'blobs', ...digest.split(':'));
}

/** Builds one image's archive into `outDir`; returns its digest and layers. */
function assemble(
  recipe: ImageRecipe,
  rootfs: Rootfs,
  shared: SharedInputs,
  hostFiles: readonly { from: string; to: string }[],
  hash: string,
  tag: string,
  outDir: string,
): { digest: string; layers: string[]; archive: string; rootfsBytes: number } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `virtkit-image-${recipe.name}-`));
  try {
    const layout: Layout = { dir: path.join(work, 'oci'), image: `${path.join(work, 'oci')}:${tag}` };
    umoci(['init', '--layout', layout.dir]);
    umoci(['new', '--image', layout.image]);
    let rootfsBytes = 0;
    const measure = (dir: string): void => {
      rootfsBytes += treeBytes(walkTree(dir));
    };

    addLayer(layout, rootfs.dir, 'Debian', false);
    measure(rootfs.dir);
    if (hostFiles.length) {
      const stage = freshStage(work, 'host-files');
      for (const f of hostFiles) {
        const to = path.join(stage, f.to);
        fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
        fs.copyFileSync(f.from, to);
        fs.chmodSync(to, 0o755);
      }
      addLayer(layout, stage, 'carried files', true);
      measure(stage);
    }
    const nodeStage = freshStage(work, 'node');
    stageNodeRuntime(shared.node, nodeStage);
    addLayer(layout, nodeStage, 'Node.js', true);
    measure(nodeStage);

    const modulesStage = freshStage(work, 'modules');
    stageModules(shared.modules.dir, modulesStage);
    addLayer(layout, modulesStage, 'node_modules', true);
    measure(modulesStage);
    removeTree(modulesStage);

    const appStage = freshStage(work, 'app');
    stageApp(shared.repo, shared.appFiles, appStage);
    addLayer(layout, appStage, 'virtkit', true);
    measure(appStage);

    const packagesText = fs.readFileSync(path.join(rootfs.dir, PACKAGE_LIST_FILE));
    umoci([
      'config',
      '--image',
      layout.image,
      ...imageConfigArgs(recipe, {
        version: shared.version,
        inputHash: hash,
        nodeVersion: shared.node.version,
        packagesSha256: sha256(packagesText),
      }),
    ]);
    // Only the final image stays: unreferenced blobs of the steps go.
    umoci(['gc', '--layout', layout.dir]);
    const index = readJson<{ manifests: { digest: string }[] }>(path.join(layout.dir, 'index.json'));
    if (index.manifests.length !== 1)
      throw new ImageBuildError(`${layout.dir}/index.json lists ${index.manifests.length} images`);
    const digest = index.manifests[0]!.digest;
    const manifest = readJson<Manifest>(blob(layout.dir, digest));
    fs.mkdirSync(outDir, { recursive: true });
    const archive = path.join(outDir, `${recipe.name}.oci.tar`);
    const partial = `${archive}.partial`;
    run('tar', [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      '-C',
      layout.dir,
      '-cf',
      partial,
      '.',
    ]);
    fs.renameSync(partial, archive);
    return { digest, layers: manifest.layers.map((l) => l.digest), archive, rootfsBytes };
  } finally {
    removeTree(work);
  }
}

/** The image record written beside the archive (image.json). */
type Record_ = Omit<BuiltImage, 'archive' | 'cached' | 'seconds'> & { archive: string };

function readCached(dir: string): BuiltImage | undefined {
  const file = path.join(dir, 'image.json');
  if (!fs.existsSync(file)) return undefined;
  const r = readJson<Record_>(file);
  const archive = path.join(dir, r.archive);
  if (!fs.existsSync(archive)) return undefined;
  // Used now: the cache pruning keeps the most recently used builds.
  fs.utimesSync(dir, new Date(), new Date());
  return { ...r, archive, cached: true, seconds: 0 };
}

/** Keeps the two most recently used builds of each image, and node_modules trees in use. */
function pruneImageCache(keepModules: string): void {
  const root = cacheDir('images', '');
  if (!fs.existsSync(root)) return;
  for (const name of IMAGE_NAMES) {
    const re = new RegExp(`^${name}-[0-9a-f]{16}$`);
    const dirs = fs
      .readdirSync(root)
      .filter((e) => re.test(e))
      .map((e) => ({ dir: path.join(root, e), t: fs.statSync(path.join(root, e)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const d of dirs.slice(2)) removeTree(d.dir);
  }
  for (const e of fs.readdirSync(root))
    if (/^node-modules-[0-9a-f]{16}$/.test(e) && path.join(root, e) !== path.dirname(keepModules))
      removeTree(path.join(root, e));
}

/**
 * Builds (or finds in the cache) the images: resolves each recipe's Debian packages, computes its
 * input hash, and builds what the cache lacks. Returns one record per image.
 */
export function buildImages(o: BuildOptions): BuiltImage[] {
  const log = o.log ?? ((): void => undefined);
  requireHost();
  const repo = path.resolve(o.repo);
  const names = o.images ?? IMAGE_NAMES;
  const node = hostNodeRuntime();
  const modules = productionModules(repo, log);
  const files = appFiles(repo);
  const version = readJson<{ version: string }>(path.join(repo, 'package.json')).version;
  const shared: SharedInputs = {
    node,
    modules,
    appFiles: files,
    appHash: filesHash(repo, files),
    version,
    umoci: run('umoci', ['--version']).trim(),
    repo,
  };
  const results: BuiltImage[] = [];
  const rootfsDirs: string[] = [];
  const resolved: Map<string, string>[] = [];
  for (const name of names) {
    const recipe = RECIPES[name];
    const packages = resolvePackages(recipe);
    resolved.push(packages);
    const hostFiles = hostFilesOf(recipe);
    const hash = inputHash(recipe, packages, shared, hostFiles);
    const tag = imageTag(version, hash);
    const dir = o.outDir ? path.join(o.outDir, name) : cacheDir('images', `${name}-${hash.slice(0, 16)}`);
    const cached = o.outDir ? undefined : readCached(dir);
    if (cached) {
      log(`${name}: cached (${cached.ref})`);
      results.push(cached);
      continue;
    }
    const started = Date.now();
    const rootfs = buildRootfs(recipe, packages, log);
    rootfsDirs.push(rootfs.dir);
    log(`${name}: assembling the layers (${rootfs.cached ? 'cached' : 'new'} root filesystem)`);
    const work = o.outDir ? dir : `${dir}.partial-${process.pid}`;
    removeTree(work);
    const built = assemble(recipe, rootfs, shared, hostFiles, hash, tag, work);
    const debianPackages = packageListText(packages);
    const record: Record_ = {
      name,
      ref: imageRef(name, tag),
      repository: imageRef(name, tag).replace(/:[^:]+$/, ''),
      tag,
      digest: built.digest,
      archive: path.basename(built.archive),
      archiveBytes: fs.statSync(built.archive).size,
      rootfsBytes: built.rootfsBytes,
      layers: built.layers,
      inputHash: hash,
      user: `${recipe.user.uid}:${recipe.user.gid}`,
      nodeVersion: node.version,
      debianPackages,
    };
    fs.writeFileSync(path.join(work, 'debian-packages.txt'), debianPackages);
    fs.writeFileSync(path.join(work, 'image.json'), `${JSON.stringify(record, null, 2)}\n`);
    if (!o.outDir) {
      removeTree(dir);
      fs.renameSync(work, dir);
    }
    results.push({
      ...record,
      archive: path.join(dir, record.archive),
      cached: false,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }
  if (!o.outDir && names.length === IMAGE_NAMES.length) {
    // Root filesystems of the current recipes stay (also those of images found in the cache).
    for (const name of names) {
      const recipe = RECIPES[name];
      const packages = resolved[names.indexOf(name)]!;
      rootfsDirs.push(rootfsDir(recipe, packages));
    }
    pruneRootfsCache(rootfsDirs, resolved);
    pruneImageCache(modules.dir);
  }
  return results;
}
