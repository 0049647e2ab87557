/**
 * virtkit itself in the images, under /opt/virtkit: the compiled package (dist/, bin/,
 * package.json, LICENSE) and its production dependencies (`npm ci --omit=dev --ignore-scripts`
 * from package-lock.json, into a staging folder cached by the lock's hash). Files the runtime
 * never reads are left out of both: TypeScript declarations, source maps, TypeScript sources of
 * dependencies, Markdown other than licences, and the `.bin` links (no dependency's command is
 * run in an image; `tsc` would be one).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheDir } from '../common/cache';
import { clampTree } from './normalise';
import { APP_DIR, ENTRYPOINT } from './recipes';
import { cacheEntry } from './cache-entry';
import { ImageBuildError, run } from './rootfs';

/** Whether a file of the package or of a dependency stays out of the image. */
export function prunedFromImage(relPath: string): boolean {
  const name = path.basename(relPath);
  const parts = relPath.split(/[\\/]/);
  if (parts.includes('.bin')) return true;
  if (name === '.package-lock.json' || name.endsWith('.tsbuildinfo')) return true;
  if (/\.d\.[cm]?ts$/.test(name) || name.endsWith('.map')) return true;
  if (/\.[cm]?ts$/.test(name)) return true;
  if (/\.(md|markdown)$/i.test(name) && !/^(licen[cs]e|copying|notice)/i.test(name)) return true;
  return false;
}

/** The package's own files of the image, relative to the repository: dist/ (pruned), bin/, package.json, LICENSE. */
export function appFiles(repo: string): string[] {
  const dist = path.join(repo, 'dist');
  if (!fs.existsSync(path.join(dist, 'cli', 'main.js')))
    throw new ImageBuildError(`${dist}/cli/main.js is missing: run 'npm run build' first`);
  const out: string[] = ['package.json', 'LICENSE'];
  for (const top of ['dist', 'bin'])
    for (const e of fs.readdirSync(path.join(repo, top), { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const rel = path.relative(repo, path.join(e.parentPath, e.name));
      if (!prunedFromImage(rel)) out.push(rel);
    }
  return out.sort();
}

/** sha256 over the names, modes and contents of `files` under `root`. */
export function filesHash(root: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const f of files) {
    const full = path.join(root, f);
    hash.update(`${f}\0${fs.statSync(full).mode & 0o777}\0`);
    hash.update(fs.readFileSync(full));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Copies the package's files into `stage` under APP_DIR, and links the command on PATH. */
export function stageApp(repo: string, files: readonly string[], stage: string): void {
  const app = path.join(stage, APP_DIR);
  for (const f of files) {
    const to = path.join(app, f);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
    fs.copyFileSync(path.join(repo, f), to);
    // Readable by every user, writable by none but root.
    fs.chmodSync(to, fs.statSync(path.join(repo, f)).mode & 0o111 ? 0o755 : 0o644);
  }
  const link = path.join(stage, ENTRYPOINT);
  fs.mkdirSync(path.dirname(link), { recursive: true, mode: 0o755 });
  fs.symlinkSync(path.join(APP_DIR, 'bin', 'virtkit.js'), link);
}

/** The parts of package.json `npm ci` reads; the rest (scripts, files...) does not change node_modules. */
export function dependencyManifest(packageJson: Record<string, unknown>): Record<string, unknown> {
  const keep = [
    'name',
    'version',
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
    'overrides',
    'bundleDependencies',
    'workspaces',
  ];
  return Object.fromEntries(keep.filter((k) => packageJson[k] !== undefined).map((k) => [k, packageJson[k]]));
}

export interface ProductionModules {
  /** The pruned node_modules folder. */
  readonly dir: string;
  readonly key: string;
  readonly cached: boolean;
}

/** Removes what prunedFromImage names from a node_modules tree. */
export function pruneModules(dir: string): void {
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      const full = path.join(d, e.name);
      if (prunedFromImage(r)) fs.rmSync(full, { recursive: true, force: true });
      else if (e.isDirectory()) walk(full, r);
    }
  };
  walk(dir, '');
}

/**
 * The production node_modules for the repository's lock file: `npm ci --omit=dev
 * --ignore-scripts` in a staging folder, pruned and clamped, cached by the hash of the lock and
 * of the dependency fields of package.json.
 */
export function productionModules(repo: string, log: (s: string) => void): ProductionModules {
  const lock = fs.readFileSync(path.join(repo, 'package-lock.json'));
  const manifest = dependencyManifest(
    JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as Record<string, unknown>,
  );
  const key = createHash('sha256')
    .update(lock)
    .update(JSON.stringify(manifest))
    .update('prune-1')
    .digest('hex');
  const home = cacheDir('images', `node-modules-${key.slice(0, 16)}`);
  const cached = cacheEntry(home, key, (work) => {
    const npmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-npm-'));
    try {
      fs.writeFileSync(path.join(work, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      fs.writeFileSync(path.join(work, 'package-lock.json'), lock);
      log(`node_modules: npm ci --omit=dev --ignore-scripts (${key.slice(0, 12)})`);
      // The user's npm cache is reused; no user or project .npmrc is read (the staging folder
      // has none, and HOME points at an empty folder), so no registry credential can reach the tree.
      run(
        'npm',
        [
          'ci',
          '--omit=dev',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--no-update-notifier',
          '--prefer-offline',
          `--cache=${path.join(os.homedir(), '.npm')}`,
        ],
        { cwd: work, env: { ...process.env, HOME: npmHome, NPM_CONFIG_USERCONFIG: '/dev/null' } },
      );
    } finally {
      fs.rmSync(npmHome, { recursive: true, force: true });
    }
    pruneModules(path.join(work, 'node_modules'));
    for (const f of ['package.json', 'package-lock.json']) fs.rmSync(path.join(work, f));
    clampTree(work);
  });
  return { dir: path.join(home, 'node_modules'), key, cached };
}

/** Copies node_modules into `stage` under APP_DIR, owned by root. */
export function stageModules(modules: string, stage: string): void {
  const to = path.join(stage, APP_DIR, 'node_modules');
  fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
  run('cp', ['-a', '--no-preserve=ownership', modules, to]);
}
