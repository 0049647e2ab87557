/**
 * A folder of the image cache made once and then reused: built in a temporary sibling folder,
 * marked complete, and renamed into place, so an interrupted build leaves nothing that looks
 * finished and two builds of the same entry at once keep the first one done.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Removes a tree that a killed mmdebstrap may have left with /proc or /sys mounted inside:
 * those mounts go first (lazily, deepest first), so the removal never reaches the host's files.
 */
export function removeTree(dir: string): void {
  const full = path.resolve(dir);
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === full || m.startsWith(`${full}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
  fs.rmSync(full, { recursive: true, force: true });
}

const MARKER = 'complete';

/**
 * The cache entry `home` for `key`: when it is complete, nothing is done and true is returned;
 * otherwise `make` fills a fresh work folder (which becomes `home`) and false is returned.
 */
export function cacheEntry(home: string, key: string, make: (work: string) => void): boolean {
  if (fs.existsSync(path.join(home, MARKER))) return true;
  fs.mkdirSync(path.dirname(home), { recursive: true });
  const work = fs.mkdtempSync(`${home}.partial-`);
  try {
    make(work);
    fs.writeFileSync(path.join(work, MARKER), `${key}\n`);
    try {
      fs.renameSync(work, home);
    } catch (e) {
      // Another build finished the same entry first: keep theirs.
      if (!fs.existsSync(path.join(home, MARKER))) throw e;
      removeTree(work);
    }
    return false;
  } catch (e) {
    removeTree(work);
    throw e;
  }
}
