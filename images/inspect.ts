/**
 * Checks on an image's files, run by the builder on every layer it makes (a failing check
 * fails the build) and by the tests on the unpacked image: no build tools or fetching package
 * managers, no private keys, no set-user-ID programs, and the size of the tree.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FORBIDDEN_PROGRAMS, PROGRAM_DIRS } from './recipes';

/**
 * A PEM or OpenSSH private key: the armour line followed by key material (base64), optionally
 * after RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`). An armour line alone, as parsers and
 * `file`'s magic database carry it, is not a key.
 */
const PRIVATE_KEY =
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\r?\n?(?:[A-Za-z-]+: [^\r\n]*\r?\n)*\r?\n?[A-Za-z0-9+/=]{40}/;

/**
 * Files allowed to hold key material, each with the reason. GnuTLS compiles the well-known keys
 * of its FIPS 140 power-on self-tests into the library (they are test vectors, public in its
 * source, and protect nothing).
 */
export const ALLOWED_KEY_MATERIAL: readonly { readonly file: RegExp; readonly why: string }[] = [
  {
    file: /^usr\/lib\/x86_64-linux-gnu\/libgnutls\.so\.30(?:\.\d+)*$/,
    why: "GnuTLS's FIPS self-test vectors",
  },
];

/** Whether `text` (a file's bytes read as latin1) holds a private key. */
export function holdsPrivateKey(text: string): boolean {
  return PRIVATE_KEY.test(text);
}

export interface TreeEntry {
  /** Path relative to the root, with `/`. */
  readonly rel: string;
  readonly stat: fs.Stats;
}

/** Every entry under `root` (not following symbolic links), sorted. */
export function walkTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const stat = fs.lstatSync(full);
      out.push({ rel: r, stat });
      if (stat.isDirectory()) walk(full, r);
    }
  };
  walk(root, '');
  return out;
}

/** Regular files under `root` holding a private key, less the allowed ones. */
export function privateKeyFiles(root: string, entries = walkTree(root)): string[] {
  return entries
    .filter((e) => e.stat.isFile() && e.stat.size > 0)
    .filter((e) => !ALLOWED_KEY_MATERIAL.some((a) => a.file.test(e.rel)))
    .filter((e) => holdsPrivateKey(fs.readFileSync(path.join(root, e.rel)).toString('latin1')))
    .map((e) => e.rel);
}

/** FORBIDDEN_PROGRAMS found in PROGRAM_DIRS under `root` (files or links, dangling or not). */
export function forbiddenPrograms(root: string): string[] {
  const found: string[] = [];
  for (const dir of PROGRAM_DIRS)
    for (const p of FORBIDDEN_PROGRAMS) {
      const rel = `${dir}/${p}`;
      if (fs.lstatSync(path.join(root, rel), { throwIfNoEntry: false })) found.push(rel);
    }
  // Versioned compiler drivers (gcc-12, x86_64-linux-gnu-gcc...) and linkers.
  for (const dir of PROGRAM_DIRS) {
    const full = path.join(root, dir);
    if (!fs.existsSync(full) || !fs.statSync(full).isDirectory()) continue;
    for (const name of fs.readdirSync(full))
      if (
        /^(?:[\w-]+-linux-gnu-)?(?:gcc|g\+\+|cc|c\+\+|cpp|ld|as)(?:-\d+)?$/.test(name) &&
        !found.includes(`${dir}/${name}`)
      )
        found.push(`${dir}/${name}`);
  }
  return found.sort();
}

/** Files with the set-user-ID or set-group-ID bit. */
export function setidFiles(entries: readonly TreeEntry[]): string[] {
  return entries.filter((e) => e.stat.isFile() && (e.stat.mode & 0o6000) !== 0).map((e) => e.rel);
}

/** The bytes of the regular files under `root`, a file with several links counted once. */
export function treeBytes(entries: readonly TreeEntry[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const e of entries) {
    if (!e.stat.isFile()) continue;
    const id = `${e.stat.dev}:${e.stat.ino}`;
    if (e.stat.nlink > 1) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    total += e.stat.size;
  }
  return total;
}

/** The problems of a layer's tree, as sentences (empty when it passes). */
export function layerProblems(root: string, entries = walkTree(root)): string[] {
  const problems: string[] = [];
  const tools = forbiddenPrograms(root);
  if (tools.length) problems.push(`build tools or package managers: ${tools.join(', ')}`);
  const keys = privateKeyFiles(root, entries);
  if (keys.length) problems.push(`private keys: ${keys.join(', ')}`);
  const setid = setidFiles(entries);
  if (setid.length) problems.push(`set-user-ID or set-group-ID files: ${setid.join(', ')}`);
  return problems;
}
