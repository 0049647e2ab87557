/**
 * Node.js for the images. Debian bookworm's nodejs is 18 and virtkit needs 20 or later, so the
 * images take Node.js from the `nodejs` package installed on this machine (a 20.x .deb): the
 * files of its dpkg file list, less npm, corepack, C headers and documentation, which leaves the
 * `node` executable and its copyright file. Its version (and the executable's sha256) is part
 * of every image's input hash, and a dpkg status stanza in /var/lib/dpkg/status.d/nodejs names
 * it for image scanners (the distroless convention; dpkg itself does not read that folder).
 */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { ImageBuildError, run } from './rootfs';

export const NODE_PACKAGE = 'nodejs';
/** The oldest Node.js major the package's engines field accepts. */
export const MIN_NODE_MAJOR = 20;

export interface NodeRuntime {
  /** The Debian package version (`20.20.2-1nodesource1+repack1`). */
  readonly packageVersion: string;
  /** What `node --version` prints (`v20.20.2`). */
  readonly version: string;
  /** Host paths copied into the image at the same path. */
  readonly files: readonly string[];
  /** sha256 over the files' paths and contents. */
  readonly sha256: string;
  /** The dpkg status stanza written to /var/lib/dpkg/status.d/nodejs. */
  readonly statusStanza: string;
}

/** Paths of the package's list that are not copied: npm, corepack, headers, docs, man pages. */
const EXCLUDED_PREFIXES = [
  '/usr/lib/node_modules/',
  '/usr/include/',
  '/usr/share/doc/',
  '/usr/share/man/',
  '/usr/share/systemtap/',
];
const EXCLUDED_FILES = new Set(['/usr/bin/npm', '/usr/bin/npx', '/usr/bin/corepack']);
/** Kept although under an excluded prefix: the licence. */
const KEPT_FILES = new Set(['/usr/share/doc/nodejs/copyright']);

/** The entries of a `dpkg -L nodejs` listing the images carry (folders are made as needed). */
export function nodeFilesFrom(listing: readonly string[]): string[] {
  return listing
    .filter((p) => p.startsWith('/') && p !== '/.')
    .filter(
      (p) => KEPT_FILES.has(p) || (!EXCLUDED_FILES.has(p) && !EXCLUDED_PREFIXES.some((x) => p.startsWith(x))),
    )
    .sort();
}

/** The status stanza of the package (a few fields of the host's, and what the image holds of it). */
export function statusStanza(fields: Readonly<Record<string, string>>, files: readonly string[]): string {
  const keep = ['Package', 'Version', 'Architecture', 'Maintainer', 'Homepage'];
  const lines = keep.filter((k) => fields[k]).map((k) => `${k}: ${fields[k]}`);
  return [
    ...lines.slice(0, 1),
    'Status: install ok installed',
    ...lines.slice(1),
    `Description: Node.js runtime (only ${files.join(', ')} of the package)`,
    '',
  ].join('\n');
}

/** Node.js as installed on this machine by the `nodejs` package. */
export function hostNodeRuntime(): NodeRuntime {
  let listing: string;
  let info: string;
  try {
    listing = run('dpkg-query', ['--listfiles', NODE_PACKAGE]);
    info = run('dpkg-query', ['--status', NODE_PACKAGE]);
  } catch {
    throw new ImageBuildError(
      `the images take Node.js from the Debian package ${NODE_PACKAGE} (>= ${MIN_NODE_MAJOR}) installed on this machine, and it is not installed`,
    );
  }
  const fields: Record<string, string> = {};
  for (const m of info.matchAll(/^([A-Za-z-]+): (.*)$/gm)) fields[m[1]!] = m[2]!;
  const all = nodeFilesFrom(listing.split('\n'));
  const files = all.filter((p) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    return st !== undefined && (st.isFile() || st.isSymbolicLink());
  });
  if (!files.includes('/usr/bin/node'))
    throw new ImageBuildError(`the ${NODE_PACKAGE} package installed here has no /usr/bin/node`);
  const version = run('/usr/bin/node', ['--version']).trim();
  const major = Number(/^v(\d+)\./.exec(version)?.[1] ?? 0);
  if (major < MIN_NODE_MAJOR)
    throw new ImageBuildError(
      `the ${NODE_PACKAGE} package installed here is Node.js ${version}; virtkit needs ${MIN_NODE_MAJOR} or later`,
    );
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(`${f}\0`);
    const st = fs.lstatSync(f);
    hash.update(st.isSymbolicLink() ? `-> ${fs.readlinkSync(f)}` : fs.readFileSync(f));
    hash.update(`\0${st.mode}\0`);
  }
  return {
    packageVersion: fields.Version ?? '',
    version,
    files,
    sha256: hash.digest('hex'),
    statusStanza: statusStanza(fields, files),
  };
}

/** Copies the runtime's files into `stage` (a layer's root) with its status stanza. */
export function stageNodeRuntime(node: NodeRuntime, stage: string): void {
  for (const f of node.files) {
    const to = path.join(stage, f);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
    fs.cpSync(f, to, { preserveTimestamps: false, verbatimSymlinks: true });
    fs.chownSync(to, 0, 0);
  }
  const status = path.join(stage, 'var/lib/dpkg/status.d');
  fs.mkdirSync(status, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(status, NODE_PACKAGE), node.statusStanza, { mode: 0o644 });
}
