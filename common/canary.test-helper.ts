/**
 * Test support: a canary directory tree next to the directories a test lets the code write
 * in, snapshotted before and after (names, types, sizes, mtimes, link targets), so a test can
 * assert that nothing outside the expected directories was touched.
 */
import * as fs from 'fs';
import * as path from 'path';

export type TreeSnapshot = Record<string, string>;

/** Creates a few files and a directory under `dir` (created if missing). */
export function plantCanary(dir: string): void {
  fs.mkdirSync(path.join(dir, 'victim-dir', 'nested'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'victim'), 'precious\n');
  fs.writeFileSync(path.join(dir, 'victim-dir', 'keep.txt'), 'keep me\n');
  fs.writeFileSync(path.join(dir, 'victim-dir', 'nested', 'deep.bin'), Buffer.alloc(1024, 7));
  fs.writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
}

/** Every entry under `dir`: relative path -> "type size mtime [-> target]". */
export function snapshotTree(dir: string): TreeSnapshot {
  const out: TreeSnapshot = {};
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(dir, p);
      const type = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file';
      out[rel] =
        `${type} ${st.isDirectory() ? 0 : st.size} ${st.mtimeMs}` +
        (st.isSymbolicLink() ? ` -> ${fs.readlinkSync(p)}` : '');
      if (type === 'dir') walk(p);
    }
  };
  walk(dir);
  return out;
}
