/**
 * Makes a root filesystem reproducible and lean before it becomes a layer: what a package
 * installation leaves that depends on the day, the machine or the run (logs, caches, backups of
 * files it rewrote, byte-compiled Python, the machine id, the build host's resolver and name)
 * goes or is emptied, set-user-ID and set-group-ID bits are cleared (the images' users never
 * need them, and a non-root user could otherwise become root through them), and every mtime is
 * clamped to the epoch. The rules are data (NORMALISE_RULES) so tests can read them.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface NormaliseRules {
  /** Paths (relative to the root) removed with everything under them. */
  readonly remove: readonly string[];
  /** Folders whose contents are removed (the folder stays). */
  readonly empty: readonly string[];
  /** Files made empty (mode 0644) when they exist (their presence matters, their content must not). */
  readonly truncate: readonly string[];
  /** File names removed wherever they are (exact names or `*suffix` / `prefix*` globs). */
  readonly names: readonly string[];
  /** Whether set-user-ID and set-group-ID bits are cleared. */
  readonly clearSetid: boolean;
}

export const NORMALISE_RULES: NormaliseRules = {
  remove: [
    // apt is not installed (mmdebstrap's essential variant); its configuration is the build's.
    'etc/apt',
    'var/lib/apt',
    'var/cache/apt',
    'var/cache/ldconfig/aux-cache',
    'var/lib/dbus/machine-id',
    'var/lib/dpkg/status-old',
    'var/lib/dpkg/diversions-old',
    'var/lib/dpkg/statoverride-old',
    'var/cache/debconf/config.dat-old',
    'var/cache/debconf/templates.dat-old',
    'var/cache/debconf/passwords.dat-old',
    'etc/passwd-',
    'etc/group-',
    'etc/shadow-',
    'etc/gshadow-',
    'etc/subuid-',
    'etc/subgid-',
    'root/.cache',
    'root/.npm',
    'root/.npmrc',
    'root/.ssh',
  ],
  // The runtime provides /dev, /run and /tmp; logs of the installation say when it ran.
  empty: ['var/log', 'dev', 'run', 'tmp', 'var/tmp'],
  // containerd mounts its own /etc/hostname and /etc/resolv.conf over these.
  truncate: ['etc/machine-id', 'etc/hostname', 'etc/resolv.conf'],
  names: [
    '*.pyc',
    '__pycache__',
    '*.dpkg-old',
    '*.dpkg-new',
    '*.dpkg-dist',
    '*.dpkg-bak',
    '*.ucf-old',
    '*.ucf-dist',
  ],
  clearSetid: true,
};

/** Whether a file name matches one of `patterns` (exact, `*suffix` or `prefix*`). */
export function matchesName(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) =>
    p.startsWith('*')
      ? name.endsWith(p.slice(1))
      : p.endsWith('*')
        ? name.startsWith(p.slice(0, -1))
        : name === p,
  );
}

/** `root/rel`, refusing a rule that would leave the root (a rule is data; data is checked). */
function inside(root: string, rel: string): string {
  const full = path.resolve(root, rel);
  if (full === root || !full.startsWith(`${root}${path.sep}`))
    throw new Error(`normalise rule ${JSON.stringify(rel)} leaves the root filesystem ${root}`);
  return full;
}

/** Sets the mtime (and atime) of `p` to the epoch without following a symbolic link. */
function clamp(p: string): void {
  fs.lutimesSync(p, 0, 0);
}

export interface NormaliseReport {
  /** Files whose set-user-ID or set-group-ID bit was cleared (relative paths). */
  readonly setidCleared: string[];
  /** Paths removed by the name rules (relative paths). */
  readonly removedByName: string[];
}

/**
 * Applies `rules` to the tree at `root` in place, then clamps every mtime to the epoch. The
 * walk is sorted, so the report is the same for the same tree.
 */
export function normaliseTree(root: string, rules: NormaliseRules = NORMALISE_RULES): NormaliseReport {
  const top = path.resolve(root);
  for (const rel of rules.remove) fs.rmSync(inside(top, rel), { recursive: true, force: true });
  for (const rel of rules.empty) {
    const dir = inside(top, rel);
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
  }
  for (const rel of rules.truncate) {
    const file = inside(top, rel);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) fs.rmSync(file);
    if (st) {
      fs.writeFileSync(file, '');
      fs.chmodSync(file, 0o644);
    }
  }
  const report: NormaliseReport = { setidCleared: [], removedByName: [] };
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      if (matchesName(name, rules.names)) {
        fs.rmSync(full, { recursive: true, force: true });
        report.removedByName.push(path.relative(top, full));
        continue;
      }
      if (st.isDirectory()) walk(full);
      if (rules.clearSetid && !st.isSymbolicLink() && (st.mode & 0o6000) !== 0) {
        fs.chmodSync(full, st.mode & 0o1777);
        report.setidCleared.push(path.relative(top, full));
      }
      clamp(full);
    }
  };
  walk(top);
  clamp(top);
  return report;
}

/** Clamps every mtime under `root` (and its own) to the epoch, changing nothing else. */
export function clampTree(root: string): void {
  normaliseTree(root, { remove: [], empty: [], truncate: [], names: [], clearSetid: false });
}

/**
 * Makes every file and folder under `root` (and `root`) owned by root, readable by all and
 * writable only by root: folders and executables 0755, other files 0644. For the layers made
 * here (Node.js, node_modules, virtkit), whose modes would otherwise follow the umask of the
 * build.
 */
export function readableByAll(root: string): void {
  const fix = (p: string, st: fs.Stats): void => {
    if (st.isSymbolicLink()) {
      fs.lchownSync(p, 0, 0);
      return;
    }
    fs.chownSync(p, 0, 0);
    fs.chmodSync(p, st.isDirectory() || (st.mode & 0o111) !== 0 ? 0o755 : 0o644);
  };
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      fix(full, st);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(root);
  fix(root, fs.lstatSync(root));
}
