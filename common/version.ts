/**
 * virtkit's own version and build: the package version (package.json of the source tree or of
 * the compiled package) and, when running from a git checkout, its commit. Used by `virtkit
 * --version` and by the subresource API's `version` (KubeVirt's version info shape).
 */
import * as fs from 'fs';
import * as path from 'path';

/** The folder of virtkit's package.json, from any source or compiled (dist/) file. */
function packageRoot(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (
      fs.existsSync(file) &&
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'virtkit'
    )
      return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The package version ('0.1.0'), or 'unknown'. */
export function packageVersion(): string {
  const root = packageRoot();
  if (!root) return 'unknown';
  return (
    (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ??
    'unknown'
  );
}

/** The commit of the git checkout virtkit runs from, or '' (an installed package has none). */
export function gitCommit(): string {
  const root = packageRoot();
  if (!root) return '';
  try {
    const git = path.join(root, '.git');
    const head = fs.readFileSync(path.join(git, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return /^[0-9a-f]{40}$/.test(head) ? head : '';
    const ref = head.slice(5);
    const loose = path.join(git, ref);
    if (fs.existsSync(loose)) return fs.readFileSync(loose, 'utf8').trim();
    const packed = fs.readFileSync(path.join(git, 'packed-refs'), 'utf8');
    return (
      packed
        .split('\n')
        .find((l) => l.endsWith(` ${ref}`))
        ?.split(' ')[0] ?? ''
    );
  } catch {
    return '';
  }
}
