import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostPathError } from '../api/host-path';
import { plantCanary, snapshotTree } from './canary.test-helper';
import { assertConfined, confinedRealPath, resolveExisting } from './confine';

describe('confinedRealPath (symlinks)', () => {
  let root: string;
  let base: string;
  let canary: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-confine-'));
    base = path.join(root, 'base');
    canary = path.join(root, 'canary');
    fs.mkdirSync(base);
    plantCanary(canary);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('accepts a path inside the base, existing or not', () => {
    fs.mkdirSync(path.join(base, 'disks'));
    expect(confinedRealPath(base, 'disks/a.qcow2', 'f')).toBe(path.join(base, 'disks/a.qcow2'));
    expect(confinedRealPath(base, 'new/dir/file', 'f')).toBe(path.join(base, 'new/dir/file'));
  });

  it('refuses a path through a symlink that points out of the base, naming the field', () => {
    const before = snapshotTree(canary);
    fs.symlinkSync(path.join(canary, 'victim-dir'), path.join(base, 'volumes'));
    fs.symlinkSync(path.join(canary, 'victim'), path.join(base, 'file-link'));
    expect(() => confinedRealPath(base, 'volumes/keep.txt', 'spec.volumes[0].name')).toThrow(HostPathError);
    expect(() => confinedRealPath(base, 'volumes/new', 'spec.volumes[0].name')).toThrow(
      /spec\.volumes\[0\]\.name.*outside/,
    );
    expect(() => confinedRealPath(base, 'file-link', 'x')).toThrow(HostPathError);
    expect(() => assertConfined(base, `${base}/a/../../canary/victim`, 'x')).toThrow(HostPathError);
    expect(snapshotTree(canary)).toEqual(before);
  });

  it('accepts links that stay inside (a kubelet-style ..data layout)', () => {
    fs.mkdirSync(path.join(base, '..2024'));
    fs.writeFileSync(path.join(base, '..2024', 'key'), 'v');
    fs.symlinkSync('..2024', path.join(base, '..data'));
    fs.symlinkSync('..data/key', path.join(base, 'key'));
    expect(confinedRealPath(base, 'key', 'f')).toBe(path.join(base, 'key'));
    expect(resolveExisting(path.join(base, 'key'))).toBe(fs.realpathSync(path.join(base, '..2024', 'key')));
  });
});
