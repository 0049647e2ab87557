/**
 * The filesystem half of path confinement: a path built by api/host-path.ts's `confinedPath`
 * stays inside its base lexically, but a symlink on the way could still point out. These
 * resolve the deepest existing ancestor (realpath) and refuse a path that lands outside the
 * resolved base, naming the field.
 */
import * as fs from 'fs';
import * as path from 'path';
import { confinedPath, HostPathError, isWithin } from '../api/host-path';

/** realpath of `p`, or of its deepest existing ancestor with the missing rest appended. */
export function resolveExisting(p: string): string {
  const missing: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...missing.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const parent = path.dirname(cur);
      if (parent === cur) return path.join(cur, ...missing.reverse());
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * Refuses (HostPathError naming `field`) an absolute path `p` that, once symlinks are
 * resolved, is not inside `base` (also resolved). Returns `p`.
 */
export function assertConfined(base: string, p: string, field: string): string {
  if (p.split('/').includes('..'))
    throw new HostPathError(field, p, "contains a '..' segment; give a path without it");
  const realBase = resolveExisting(base);
  const real = resolveExisting(p);
  if (!isWithin(realBase, real)) {
    throw new HostPathError(
      field,
      path.relative(base, p) || p,
      `resolves to ${real}, outside ${realBase} (a symlink points out of the directory); remove the link or rename`,
    );
  }
  return p;
}

/** `confinedPath` plus the symlink check: `base/relative`, refused when it leaves `base` in any way. */
export function confinedRealPath(base: string, relative: string, field: string): string {
  return assertConfined(base, confinedPath(base, relative, field), field);
}
