import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadOrCreateTokenKey } from './token-key';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-key-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('makes a 0600 key when missing and reads the same one back', () => {
  const file = path.join(dir, 'k');
  const a = loadOrCreateTokenKey(file);
  expect(a.length).toBe(32);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(loadOrCreateTokenKey(file).equals(a)).toBe(true);
});

it('refuses a key others may read, a symlink and a short key, without printing it', () => {
  const file = path.join(dir, 'k');
  fs.writeFileSync(file, `${'ab'.repeat(32)}\n`, { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  expect(() => loadOrCreateTokenKey(file)).toThrow(/may be read by others/);
  fs.chmodSync(file, 0o600);
  fs.symlinkSync(file, path.join(dir, 'link'));
  expect(() => loadOrCreateTokenKey(path.join(dir, 'link'))).toThrow(/--upload-token-key-file/);
  fs.writeFileSync(path.join(dir, 'short'), 'abcd', { mode: 0o600 });
  let message = '';
  try {
    loadOrCreateTokenKey(path.join(dir, 'short'));
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/at least 32 bytes/);
  expect(message).not.toContain('abcd');
});
