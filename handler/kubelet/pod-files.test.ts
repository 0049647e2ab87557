import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { copyOwnedFile, launcherOwner, readPodFile, readPodJson, writeOwnedFile } from './pod-files';

let dir: string;
let outside: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-files-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
  fs.writeFileSync(path.join(outside, 'secret'), 'root only\n', { mode: 0o600 });
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

const me = { uid: process.getuid!(), gid: process.getgid!() };

test('a file is written whole, with its owner and mode, even where a link to elsewhere waited', async () => {
  const target = path.join(dir, 'resources.json');
  // The launcher's trap: the temporary name and the final name point outside.
  fs.symlinkSync(path.join(outside, 'secret'), path.join(dir, '.resources.json.partial'));
  fs.symlinkSync(path.join(outside, 'secret'), target);
  await writeOwnedFile(target, '{"a":1}', me);
  expect(fs.lstatSync(target).isFile()).toBe(true);
  expect(fs.statSync(target).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(target, 'utf8')).toBe('{"a":1}');
  expect(fs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('root only\n');
});

test('a containerDisk is copied read-only for the launcher', async () => {
  const from = path.join(outside, 'disk.img');
  fs.writeFileSync(from, Buffer.alloc(3 << 20, 7));
  const to = path.join(dir, 'disk.img');
  await copyOwnedFile(from, to, me);
  expect(fs.statSync(to).mode & 0o777).toBe(0o400);
  expect(fs.readFileSync(to).equals(fs.readFileSync(from))).toBe(true);
});

test('what the launcher wrote is never read through a link, and its content is not quoted in errors', () => {
  fs.symlinkSync(path.join(outside, 'secret'), path.join(dir, 'network-request.json'));
  expect(() => readPodFile(path.join(dir, 'network-request.json'))).toThrow(/ELOOP/);
  fs.writeFileSync(path.join(dir, 'bad.json'), 'root:x:0:0');
  expect(() => readPodJson(path.join(dir, 'bad.json'))).toThrow('bad.json is not valid JSON');
  fs.writeFileSync(path.join(dir, 'big.json'), 'x'.repeat(100));
  expect(() => readPodFile(path.join(dir, 'big.json'), 10)).toThrow('is larger than 10 bytes');
});

test("the launcher's uid comes from its own mark, never from a link's target", () => {
  fs.writeFileSync(path.join(dir, 'waiting'), 'x');
  expect(launcherOwner(path.join(dir, 'waiting'))).toEqual(me);
  fs.symlinkSync(path.join(outside, 'secret'), path.join(dir, 'link'));
  expect(() => launcherOwner(path.join(dir, 'link'))).toThrow('is not a regular file');
});
