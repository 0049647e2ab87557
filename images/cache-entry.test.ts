import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheEntry } from './cache-entry';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-cache-entry-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('an entry is made once, then reused', () => {
  const home = path.join(root, 'images', 'thing-1');
  let made = 0;
  const make = (work: string): void => {
    made++;
    fs.writeFileSync(path.join(work, 'file'), 'content');
  };
  expect(cacheEntry(home, 'key-1', make)).toBe(false);
  expect(cacheEntry(home, 'key-1', make)).toBe(true);
  expect(made).toBe(1);
  expect(fs.readFileSync(path.join(home, 'file'), 'utf8')).toBe('content');
  expect(fs.readdirSync(path.dirname(home))).toEqual(['thing-1']);
});

test('a build that fails leaves nothing that looks finished, and the next one builds', () => {
  const home = path.join(root, 'thing-2');
  expect(() =>
    cacheEntry(home, 'k', (work) => {
      fs.writeFileSync(path.join(work, 'half'), '');
      throw new Error('mmdebstrap failed');
    }),
  ).toThrow('mmdebstrap failed');
  expect(fs.readdirSync(root)).toEqual([]);
  expect(cacheEntry(home, 'k', () => undefined)).toBe(false);
  expect(fs.readFileSync(path.join(home, 'complete'), 'utf8')).toBe('k\n');
});
