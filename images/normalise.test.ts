import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NORMALISE_RULES, clampTree, matchesName, normaliseTree, readableByAll } from './normalise';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-normalise-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function put(rel: string, content = 'x', mode = 0o644): string {
  const full = path.join(root, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content, { mode });
  fs.chmodSync(full, mode);
  return full;
}

const exists = (rel: string): boolean =>
  fs.lstatSync(path.join(root, rel), { throwIfNoEntry: false }) !== undefined;

/** Every path under root with its mtime in seconds. */
function mtimes(): number[] {
  const out: number[] = [Math.floor(fs.lstatSync(root).mtimeMs / 1000)];
  for (const e of fs.readdirSync(root, { recursive: true }) as string[])
    out.push(Math.floor(fs.lstatSync(path.join(root, e)).mtimeMs / 1000));
  return out;
}

test('what a package installation leaves that depends on the day or the machine goes', () => {
  put('var/lib/apt/lists/deb_Packages');
  put('var/cache/apt/archives/libc6.deb');
  put('var/cache/ldconfig/aux-cache');
  put('var/log/dpkg.log', 'installed at 10:42');
  put('var/log/apt/history.log');
  put('var/lib/dpkg/status', 'Package: libc6\n');
  put('var/lib/dpkg/status-old');
  put('var/cache/debconf/templates.dat-old');
  put('etc/apt/sources.list.d/debian.sources');
  put('etc/passwd', 'root:x:0:0::/root:/bin/sh\n');
  put('etc/passwd-');
  put('etc/machine-id', '0123456789abcdef\n');
  put('etc/hostname', 'buildhost\n');
  put('etc/resolv.conf', 'nameserver 10.0.0.1\n', 0o755);
  put('usr/lib/python3/dist-packages/__pycache__/mod.cpython-311.pyc');
  put('usr/lib/python3/x.pyc');
  put('etc/default/useradd.dpkg-old');
  put('etc/ucf.conf.ucf-dist');
  put('tmp/scratch');
  put('dev/null-ish');
  put('root/.cache/thing');
  put('root/.npmrc', '//registry/:_authToken=secret');
  put('usr/bin/ls', '#!', 0o755);

  const report = normaliseTree(root);

  for (const gone of [
    'var/lib/apt',
    'var/cache/apt',
    'var/cache/ldconfig/aux-cache',
    'var/log/dpkg.log',
    'var/log/apt',
    'var/lib/dpkg/status-old',
    'var/cache/debconf/templates.dat-old',
    'etc/apt',
    'etc/passwd-',
    'usr/lib/python3/dist-packages/__pycache__',
    'usr/lib/python3/x.pyc',
    'etc/default/useradd.dpkg-old',
    'etc/ucf.conf.ucf-dist',
    'tmp/scratch',
    'dev/null-ish',
    'root/.cache',
    'root/.npmrc',
  ])
    expect({ gone, exists: exists(gone) }).toEqual({ gone, exists: false });
  // Emptied folders stay; files whose presence matters stay, empty.
  for (const dir of ['var/log', 'tmp', 'dev']) expect(fs.readdirSync(path.join(root, dir))).toEqual([]);
  for (const f of ['etc/machine-id', 'etc/hostname', 'etc/resolv.conf']) {
    expect(fs.readFileSync(path.join(root, f), 'utf8')).toBe('');
    expect(fs.statSync(path.join(root, f)).mode & 0o7777).toBe(0o644);
  }
  expect(fs.readFileSync(path.join(root, 'var/lib/dpkg/status'), 'utf8')).toBe('Package: libc6\n');
  expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toContain('root:x:0:0');
  expect(report.removedByName).toEqual([
    'etc/default/useradd.dpkg-old',
    'etc/ucf.conf.ucf-dist',
    'usr/lib/python3/dist-packages/__pycache__',
    'usr/lib/python3/x.pyc',
  ]);
  expect(new Set(mtimes())).toEqual(new Set([0]));
});

test('set-user-ID and set-group-ID bits are cleared, other modes kept', () => {
  const su = put('usr/bin/su', '#!', 0o4755);
  const wall = put('usr/bin/wall', '#!', 0o2755);
  const ls = put('usr/bin/ls', '#!', 0o755);
  const report = normaliseTree(root);
  expect(fs.statSync(su).mode & 0o7777).toBe(0o755);
  expect(fs.statSync(wall).mode & 0o7777).toBe(0o755);
  expect(fs.statSync(ls).mode & 0o7777).toBe(0o755);
  expect(report.setidCleared).toEqual(['usr/bin/su', 'usr/bin/wall']);
});

test('a resolver link is replaced by an empty file, never followed', () => {
  const outside = path.join(root, '..', `${path.basename(root)}-outside`);
  fs.writeFileSync(outside, 'keep me');
  try {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.symlinkSync(outside, path.join(root, 'etc/resolv.conf'));
    normaliseTree(root);
    expect(fs.lstatSync(path.join(root, 'etc/resolv.conf')).isFile()).toBe(true);
    expect(fs.readFileSync(outside, 'utf8')).toBe('keep me');
  } finally {
    fs.rmSync(outside, { force: true });
  }
});

test('symbolic links keep their targets; their own mtime is clamped', () => {
  put('usr/bin/real', '#!', 0o755);
  fs.symlinkSync('real', path.join(root, 'usr/bin/alias'));
  fs.symlinkSync('/nowhere', path.join(root, 'usr/bin/dangling'));
  clampTree(root);
  expect(fs.readlinkSync(path.join(root, 'usr/bin/alias'))).toBe('real');
  expect(fs.lstatSync(path.join(root, 'usr/bin/dangling')).mtimeMs).toBe(0);
  expect(new Set(mtimes())).toEqual(new Set([0]));
});

test('a rule that leaves the root is refused', () => {
  expect(() => normaliseTree(root, { ...NORMALISE_RULES, remove: ['../elsewhere'] })).toThrow(
    /normalise rule "..\/elsewhere" leaves the root filesystem/,
  );
  expect(() => normaliseTree(root, { ...NORMALISE_RULES, empty: ['.'] })).toThrow(
    /leaves the root filesystem/,
  );
});

test('name patterns: exact, *suffix and prefix*', () => {
  expect(matchesName('x.pyc', ['*.pyc'])).toBe(true);
  expect(matchesName('__pycache__', ['__pycache__'])).toBe(true);
  expect(matchesName('status-old', ['status*'])).toBe(true);
  expect(matchesName('pyc', ['*.pyc'])).toBe(false);
});

test('layers made here are readable by all and writable by root only', () => {
  const secret = put('opt/virtkit/dist/main.js', 'x', 0o600);
  const tool = put('opt/virtkit/bin/virtkit.js', '#!', 0o700);
  const open = put('opt/virtkit/package.json', '{}', 0o666);
  fs.chmodSync(path.join(root, 'opt/virtkit/dist'), 0o700);
  readableByAll(root);
  expect(fs.statSync(secret).mode & 0o7777).toBe(0o644);
  expect(fs.statSync(tool).mode & 0o7777).toBe(0o755);
  expect(fs.statSync(open).mode & 0o7777).toBe(0o644);
  expect(fs.statSync(path.join(root, 'opt/virtkit/dist')).mode & 0o7777).toBe(0o755);
  expect(fs.statSync(root).mode & 0o7777).toBe(0o755);
});
