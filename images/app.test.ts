import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appFiles, dependencyManifest, filesHash, pruneModules, prunedFromImage } from './app';

describe('what of the package and its dependencies stays out of the images', () => {
  test.each([
    ['dist/cli/main.d.ts', true],
    ['dist/cli/main.js.map', true],
    ['node_modules/@grpc/grpc-js/src/picker.ts', true],
    ['node_modules/pino/index.d.mts', true],
    ['node_modules/yaml/README.md', true],
    ['node_modules/.bin/tsc', true],
    ['node_modules/.package-lock.json', true],
    ['dist/cli/main.js', false],
    ['node_modules/yaml/dist/index.js', false],
    ['node_modules/some/LICENSE.md', false],
    ['node_modules/some/license.markdown', false],
    ['node_modules/some/package.json', false],
    ['node_modules/typescript/lib/typescript.js', false],
  ])('%s pruned: %s', (p, pruned) => {
    expect(prunedFromImage(p)).toBe(pruned);
  });

  test('pruning a node_modules tree removes .bin folders and declarations, keeps code and licences', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-modules-'));
    try {
      const put = (rel: string): void => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), 'x');
      };
      [
        '.bin/tsc',
        'a/index.js',
        'a/index.d.ts',
        'a/index.js.map',
        'a/README.md',
        'a/LICENSE.md',
        'a/node_modules/.bin/x',
        'a/node_modules/b/b.js',
      ].forEach(put);
      pruneModules(dir);
      const left = (fs.readdirSync(dir, { recursive: true }) as string[])
        .filter((p) => fs.statSync(path.join(dir, p)).isFile())
        .sort();
      expect(left).toEqual(
        ['a/LICENSE.md', 'a/index.js', 'a/node_modules/b/b.js'].map((p) => p.split('/').join(path.sep)),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the package's own files", () => {
  let repo: string;
  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-app-'));
    for (const [rel, text] of [
      ['package.json', '{"name":"virtkit"}'],
      ['LICENSE', 'Apache'],
      ['bin/virtkit.js', '#!/usr/bin/env node'],
      ['dist/cli/main.js', 'main'],
      ['dist/cli/main.d.ts', 'types'],
      ['dist/cli/main.js.map', 'map'],
      ['cli/main.ts', 'source'],
    ]) {
      fs.mkdirSync(path.dirname(path.join(repo, rel!)), { recursive: true });
      fs.writeFileSync(path.join(repo, rel!), text!);
    }
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  test('dist/ without declarations and maps, bin/, package.json and the licence; no sources', () => {
    expect(appFiles(repo)).toEqual(['LICENSE', 'bin/virtkit.js', 'dist/cli/main.js', 'package.json']);
  });

  test('their hash follows their contents', () => {
    const files = appFiles(repo);
    const before = filesHash(repo, files);
    expect(filesHash(repo, files)).toBe(before);
    fs.writeFileSync(path.join(repo, 'dist/cli/main.js'), 'main2');
    expect(filesHash(repo, files)).not.toBe(before);
  });

  test('a repository without a build is told to build', () => {
    fs.rmSync(path.join(repo, 'dist'), { recursive: true });
    expect(() => appFiles(repo)).toThrow(/dist\/cli\/main\.js is missing: run 'npm run build' first/);
  });
});

test('the node_modules cache key reads only the fields npm ci reads', () => {
  const pkg = {
    name: 'virtkit',
    version: '0.1.0',
    scripts: { images: 'x' },
    files: ['dist'],
    dependencies: { yaml: '^2' },
  };
  expect(dependencyManifest(pkg)).toEqual({
    name: 'virtkit',
    version: '0.1.0',
    dependencies: { yaml: '^2' },
  });
});
