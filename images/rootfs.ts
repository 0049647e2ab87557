/**
 * The Debian root filesystem of an image, made by mmdebstrap (Debian's) from the mirror this
 * machine uses: the essential set (no apt) plus the recipe's packages, without recommends,
 * installed as root into a folder; then the image's user, the package list, and the normaliser.
 *
 * The exact package set is resolved first with a simulated run (a few seconds: it only reads
 * the mirror's indexes); the resolved `name=version` list is part of the cache key, so a
 * package update on the mirror makes a new root filesystem and the same list reuses the cached
 * one. After a build the installed set is compared with the resolved one: a mirror that changed
 * in between fails the build instead of caching a tree under the wrong key.
 *
 * Downloaded .deb files are kept in one cache folder (mmdebstrap's sync-in / sync-out hooks),
 * pruned to the packages the current recipes resolve to.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheDir } from '../common/cache';
import { cacheEntry, removeTree } from './cache-entry';
import { normaliseTree } from './normalise';
import {
  APT_SOURCES_ENV,
  DEBIAN_SUITE,
  HOST_APT_SOURCES,
  DPKG_PATH_FILTERS,
  PACKAGE_LIST_FILE,
  RECIPE_VERSION,
  packageListText,
  parseSimulatedInstall,
  userEntries,
  type ImageRecipe,
} from './recipes';

export class ImageBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageBuildError';
  }
}

/** Runs a program, returning stdout; a failure names the command and carries its stderr's tail. */
export function run(
  cmd: string,
  args: readonly string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  try {
    return execFileSync(cmd, [...args], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const tail = `${err.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new ImageBuildError(`${cmd} ${args.join(' ')} failed: ${tail || err.message}`);
  }
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The .deb cache shared by every image's builds. */
export function debCacheDir(): string {
  return cacheDir('images', 'debs');
}

/** The apt sources file the root filesystems are made from (see HOST_APT_SOURCES). */
export function aptSources(env: NodeJS.ProcessEnv = process.env): string {
  const file = env[APT_SOURCES_ENV] || HOST_APT_SOURCES;
  if (!fs.existsSync(file))
    throw new ImageBuildError(
      `the images are made from Debian ${DEBIAN_SUITE}'s packages through this machine's apt sources, and ${file} is missing; set ${APT_SOURCES_ENV} to an apt sources file of Debian ${DEBIAN_SUITE}`,
    );
  const text = fs.readFileSync(file, 'utf8');
  if (!new RegExp(`\\b${DEBIAN_SUITE}\\b`).test(text))
    throw new ImageBuildError(
      `${file} has no source for Debian ${DEBIAN_SUITE}, which the images are made of; set ${APT_SOURCES_ENV} to an apt sources file of Debian ${DEBIAN_SUITE}`,
    );
  return file;
}

/** mmdebstrap's arguments for `recipe` into `target` (simulated: resolution only). */
export function mmdebstrapArgs(
  recipe: ImageRecipe,
  target: string,
  sources: string,
  o: { simulate: boolean; debCache: string },
): string[] {
  const common = [
    '--mode=root',
    '--variant=essential',
    `--include=${recipe.packages.join(',')}`,
    '--aptopt=Acquire::Languages "none"',
    ...DPKG_PATH_FILTERS.map((f) => `--dpkgopt=${f}`),
  ];
  if (o.simulate) return ['--verbose', '--simulate', ...common, DEBIAN_SUITE, target, sources];
  return [
    ...common,
    // Reuse and refill the .deb cache (mmdebstrap's documented recipe).
    '--skip=download/empty',
    '--skip=essential/unlink',
    '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
    `--setup-hook=sync-in ${o.debCache} /var/cache/apt/archives/`,
    `--customize-hook=sync-out /var/cache/apt/archives ${o.debCache}`,
    DEBIAN_SUITE,
    target,
    sources,
  ];
}

/** mmdebstrap's version line (part of the root filesystem's cache key). */
export function mmdebstrapVersion(): string {
  return run('mmdebstrap', ['--version']).trim();
}

/** The Debian packages (name -> version) the recipe installs today, from a simulated run. */
export function resolvePackages(recipe: ImageRecipe): Map<string, string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-resolve-'));
  try {
    const args = mmdebstrapArgs(recipe, path.join(work, 'root'), aptSources(), {
      simulate: true,
      debCache: debCacheDir(),
    });
    // mmdebstrap reports apt's `Inst` lines on stderr in verbose mode.
    const log = path.join(work, 'log');
    const fd = fs.openSync(log, 'w');
    try {
      execFileSync('mmdebstrap', args, { stdio: ['ignore', fd, fd] });
    } catch {
      throw new ImageBuildError(
        `resolving the Debian packages of ${recipe.name} failed (mmdebstrap --simulate):\n${fs.readFileSync(log, 'utf8').trim().split('\n').slice(-25).join('\n')}`,
      );
    } finally {
      fs.closeSync(fd);
    }
    const packages = parseSimulatedInstall(fs.readFileSync(log, 'utf8'));
    const missing = recipe.packages.filter((p) => !packages.has(p));
    if (packages.size === 0 || missing.length)
      throw new ImageBuildError(
        `resolving the Debian packages of ${recipe.name}: apt's simulated run did not list ${missing.join(', ') || 'any package'}`,
      );
    return packages;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The packages installed in a root filesystem, read from its dpkg database. */
export function installedPackages(root: string): Map<string, string> {
  const out = run('dpkg-query', [
    `--admindir=${path.join(root, 'var/lib/dpkg')}`,
    '--show',
    '--showformat=${Package}=${Version} ${db:Status-Abbrev}\n',
  ]);
  const packages = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([^=\s]+)=(\S+) ii/.exec(line);
    if (m) packages.set(m[1]!, m[2]!);
  }
  return packages;
}

/** The cache key of a root filesystem: the recipe's Debian part, the resolved set and mmdebstrap. */
export function rootfsKey(
  recipe: ImageRecipe,
  packages: ReadonlyMap<string, string>,
  mmdebstrap: string,
): string {
  return sha256(
    JSON.stringify({
      recipe: RECIPE_VERSION,
      name: recipe.name,
      packages: recipe.packages,
      user: recipe.user,
      filters: DPKG_PATH_FILTERS,
      sources: fs.readFileSync(aptSources(), 'utf8'),
      resolved: packageListText(packages),
      mmdebstrap,
    }),
  );
}

/** Adds the image's user and group (and its home) to the tree at `root`. */
export function addUser(root: string, recipe: ImageRecipe): void {
  const u = recipe.user;
  const lines = userEntries(u);
  const append = (file: string, line: string, mode: number): void => {
    const full = path.join(root, 'etc', file);
    const text = fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : '';
    const names = new Set(text.split('\n').map((l) => l.split(':')[0]));
    if (names.has(u.name)) throw new ImageBuildError(`${recipe.name}: /etc/${file} already has ${u.name}`);
    fs.writeFileSync(full, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`, { mode });
  };
  const ids = (file: string): Set<string> =>
    new Set(
      fs
        .readFileSync(path.join(root, 'etc', file), 'utf8')
        .split('\n')
        .map((l) => l.split(':')[2]),
    );
  if (ids('passwd').has(String(u.uid)) || ids('group').has(String(u.gid)))
    throw new ImageBuildError(`${recipe.name}: uid ${u.uid} or gid ${u.gid} is taken in the Debian base`);
  append('passwd', lines.passwd, 0o644);
  append('group', lines.group, 0o644);
  append('shadow', lines.shadow, 0o640);
  const home = path.join(root, u.home);
  fs.mkdirSync(home, { recursive: true, mode: 0o750 });
  fs.chmodSync(home, 0o750);
  fs.chownSync(home, u.uid, u.gid);
}

/** Where the root filesystem of `recipe` with `packages` is cached (`<cache>/images/rootfs-<name>-<key>/rootfs`). */
export function rootfsDir(recipe: ImageRecipe, packages: ReadonlyMap<string, string>): string {
  const key = rootfsKey(recipe, packages, mmdebstrapVersion());
  return path.join(cacheDir('images', `rootfs-${recipe.name}-${key.slice(0, 16)}`), 'rootfs');
}

export interface Rootfs {
  /** The normalised tree. */
  readonly dir: string;
  readonly packages: ReadonlyMap<string, string>;
  /** Whether it came from the cache. */
  readonly cached: boolean;
}

/** The image's root filesystem for the resolved `packages`: from the cache, or built (./cache-entry.ts). */
export function buildRootfs(
  recipe: ImageRecipe,
  packages: ReadonlyMap<string, string>,
  log: (s: string) => void,
): Rootfs {
  const dir = rootfsDir(recipe, packages);
  const key = rootfsKey(recipe, packages, mmdebstrapVersion());
  const cached = cacheEntry(path.dirname(dir), key, (work) => {
    const debCache = debCacheDir();
    fs.mkdirSync(debCache, { recursive: true });
    const root = path.join(work, 'rootfs');
    log(
      `${recipe.name}: mmdebstrap ${DEBIAN_SUITE} with ${recipe.packages.join(', ')} (${packages.size} packages)`,
    );
    run('mmdebstrap', mmdebstrapArgs(recipe, root, aptSources(), { simulate: false, debCache }), {
      env: { ...process.env, SOURCE_DATE_EPOCH: '0', LC_ALL: 'C.UTF-8' },
    });
    const want = packageListText(packages);
    const got = packageListText(installedPackages(root));
    if (want !== got)
      throw new ImageBuildError(
        `${recipe.name}: mmdebstrap installed another package set than the one resolved (the mirror changed during the build?); run the build again.\nresolved:\n${want}\ninstalled:\n${got}`,
      );
    addUser(root, recipe);
    const list = path.join(root, PACKAGE_LIST_FILE);
    fs.mkdirSync(path.dirname(list), { recursive: true });
    fs.writeFileSync(list, got, { mode: 0o644 });
    normaliseTree(root);
  });
  return { dir, packages, cached };
}

/** A partial tree touched within the last two hours may be another build's work in progress. */
function buildingNow(dir: string): boolean {
  return dir.includes('.partial-') && Date.now() - fs.statSync(dir).mtimeMs < 2 * 3600_000;
}

/** Removes cached root filesystems other than `keepDirs` (and partial ones), and .deb files no recipe resolves to. */
export function pruneRootfsCache(
  keepDirs: readonly string[],
  resolved: readonly ReadonlyMap<string, string>[],
): void {
  const root = cacheDir('images', '');
  if (fs.existsSync(root)) {
    const keep = new Set(keepDirs.map((d) => path.basename(path.dirname(d))));
    for (const e of fs.readdirSync(root))
      if (e.startsWith('rootfs-') && !keep.has(e) && !buildingNow(path.join(root, e)))
        removeTree(path.join(root, e));
  }
  const debs = debCacheDir();
  if (!fs.existsSync(debs)) return;
  // Debian's archive names: name_version_arch.deb, the version's epoch colon written as %3a.
  const wanted = new Set<string>();
  for (const set of resolved)
    for (const [name, version] of set) wanted.add(`${name}_${version.replace(/:/g, '%3a')}_`);
  for (const file of fs.readdirSync(debs)) {
    if (!file.endsWith('.deb')) continue;
    const prefix = file.replace(/[^_]+\.deb$/, '');
    if (!wanted.has(prefix)) fs.rmSync(path.join(debs, file), { force: true });
  }
}
