/**
 * Pure rules for the host paths and file names the runtime builds from object fields. Every
 * host path that mixes in a value from an object is built by `confinedPath`, which refuses
 * anything that would leave its base directory; names used as file names or command-line
 * identifiers go through `safeName`. The symlink-aware check (it needs the filesystem) is
 * common/confine.ts. No I/O here, so admission, the handler and the launcher's planner share it.
 */
import * as path from 'path';

/** A value refused as a path or name; the message names the field, the value and the fix. */
export class HostPathError extends Error {
  constructor(
    /** Field path in KubeVirt notation, e.g. spec.volumes[2].name. */
    readonly field: string,
    readonly value: string,
    /** What is wrong and how to fix it. */
    readonly problem: string,
  ) {
    super(`${field} = "${escapeControl(value)}": ${problem}`);
    this.name = 'HostPathError';
  }
}

const MAX_SHOWN = 80;

/** A value safe to echo: control characters (and backslashes) as \xNN, long values cut. */
export function escapeControl(value: string): string {
  const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN - 3)}...` : value;
  return cut.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x1f\x7f-\x9f\\]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

export function hasControl(value: string): boolean {
  return CONTROL.test(value);
}

/** Why `relative` cannot be joined under a base directory, or undefined when it can. */
export function relativePathProblem(relative: string): string | undefined {
  if (relative === '') return 'is empty; give a name';
  if (hasControl(relative)) return 'contains a NUL or control character; use printable characters only';
  if (path.isAbsolute(relative)) return 'is an absolute path; give a name relative to its directory';
  const segments = relative.split('/');
  if (segments.some((s) => s === '..')) return "contains a '..' segment that leaves its directory; remove it";
  if (segments.every((s) => s === '' || s === '.')) return 'names no file; give a name';
  if (segments.some((s) => Buffer.byteLength(s) > 255))
    return 'has a segment longer than 255 bytes; shorten it';
  return undefined;
}

/** True when `p` is `base` or lies beneath it (both absolute or both relative, normalised). */
export function isWithin(base: string, p: string): boolean {
  const rel = path.relative(path.resolve(base), path.resolve(p));
  return rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel);
}

/**
 * `base/relative`, refused (HostPathError naming `field`) when `relative` is empty, absolute,
 * contains NUL or control characters, or has a `..` segment. Pure: symlinks are
 * common/confine.ts's job.
 */
export function confinedPath(base: string, relative: string, field: string): string {
  const problem = relativePathProblem(relative);
  if (problem) throw new HostPathError(field, relative, problem);
  const joined = path.join(base, relative);
  // Belt and braces: the lexical rules above already make this impossible.
  if (!isWithin(base, joined) || path.resolve(joined) === path.resolve(base))
    throw new HostPathError(field, relative, `leaves its directory ${base}; give a plain name`);
  return joined;
}

/** Identifiers that become file names and QEMU ids: letters, digits, '-', '_' (no dots, no leading '-'). */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
export const SAFE_NAME_MAX_LENGTH = 63;

/** Why `name` cannot be used as a file name / command-line identifier, or undefined. */
export function safeNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty; give a name';
  if (name.length > SAFE_NAME_MAX_LENGTH)
    return `is ${name.length} characters long; use at most ${SAFE_NAME_MAX_LENGTH} (a DNS label such as my-disk)`;
  if (!SAFE_NAME.test(name))
    return "must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit, e.g. my-disk); it is used as a file name on the node";
  return undefined;
}

/** `name` itself when it is safe as a file name and identifier, else a HostPathError naming `field`. */
export function safeName(name: string, field: string): string {
  const problem = safeNameProblem(name);
  if (problem) throw new HostPathError(field, name, problem);
  return name;
}

/**
 * Why `name` cannot be one file name inside a directory (a ConfigMap or Secret key), or
 * undefined: Kubernetes' key rules (letters, digits, '-', '_', '.'; not '.' or '..'; at most
 * 253 characters) also keep it a single, plain path segment.
 */
export function fileKeyProblem(name: string): string | undefined {
  if (name === '') return 'is empty; give a key';
  if (name.length > 253) return `is ${name.length} characters long; use at most 253`;
  if (name === '.' || name === '..' || name.startsWith('..'))
    return "must not be '.' or '..' or start with '..'; rename the key";
  if (!/^[-._a-zA-Z0-9]+$/.test(name))
    return "a valid config key must consist of alphanumeric characters, '-', '_' or '.'; rename the key";
  return undefined;
}

/**
 * A host path from an object that QEMU or a tool opens as it is (hostDisk.path, a claim's
 * disk): absolute, normalised, no control characters. An absolute path can carry no QEMU
 * protocol prefix (`json:`, `nbd:`), which QEMU only recognises before the first '/'.
 */
export function absoluteHostPathProblem(p: string): string | undefined {
  // Hostile or malformed objects reach here untyped: a missing path is a problem, not a crash.
  if (typeof p !== 'string')
    return `must be a string holding an absolute path such as /var/lib/images/disk.img, not ${p === undefined ? 'missing' : typeof p}`;
  if (p === '') return 'is empty; give an absolute path such as /var/lib/images/disk.img';
  if (hasControl(p)) return 'contains a NUL or control character; use printable characters only';
  if (!p.startsWith('/'))
    return 'must be an absolute path (a protocol prefix such as json: or nbd: or a relative path is refused); write it like /var/lib/images/disk.img';
  if (p.split('/').some((s) => s === '..' || s === '.'))
    return "must be normalised (no '.' or '..' segments); write the path it means";
  return undefined;
}
