import * as fs from 'fs';
import * as path from 'path';
import { VIRTKIT_VERSION } from './version';

test("VIRTKIT_VERSION is package.json's version (bump both together)", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(VIRTKIT_VERSION).toBe(pkg.version);
});
