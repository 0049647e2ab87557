import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { handOverQemuDir, openPassedFds, closeAll } from './qemu-dir';
import { PrepareError } from './prepare';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-qemu-dir-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('handOverQemuDir', () => {
  it("makes the directory and its files QEMU's, owner-only, without following links", () => {
    const q = path.join(dir, 'qemu');
    fs.mkdirSync(path.join(q, 'disks'), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(q, 'disks', 'root.qcow2'), 'x', { mode: 0o644 });
    const outside = path.join(dir, 'outside');
    fs.writeFileSync(outside, 'y', { mode: 0o644 });
    fs.symlinkSync(outside, path.join(q, 'link'));
    const root = process.geteuid?.() === 0;
    handOverQemuDir(q, root ? { uid: 107, gid: 107, groups: [] } : undefined);
    for (const [p, mode] of [
      [q, 0o700],
      [path.join(q, 'disks'), 0o700],
      [path.join(q, 'disks', 'root.qcow2'), 0o600],
    ] as const) {
      const st = fs.statSync(p);
      expect(st.mode & 0o777).toBe(mode);
      if (root) expect([st.uid, st.gid]).toEqual([107, 107]);
    }
    // The link's target is left alone.
    const target = fs.statSync(outside);
    expect(target.mode & 0o777).toBe(0o644);
    if (root) expect(target.uid).toBe(0);
  });
});

describe('openPassedFds', () => {
  it('opens each file with its access, and all or nothing', () => {
    const a = path.join(dir, 'a');
    fs.writeFileSync(a, 'a');
    const fds = openPassedFds([
      { fd: 3, set: 1, path: a, write: true },
      { fd: 4, set: 1, path: a, write: false },
    ]);
    expect(fds).toHaveLength(2);
    expect(() => fs.writeSync(fds[1]!, 'b')).toThrow();
    fs.writeSync(fds[0]!, 'b');
    closeAll(fds);
    expect(() =>
      openPassedFds([
        { fd: 3, set: 1, path: a, write: false },
        { fd: 4, set: 2, path: path.join(dir, 'missing'), write: false },
      ]),
    ).toThrow(PrepareError);
  });
});
