/**
 * The published package is self-contained: `npm pack` ships the license package.json declares,
 * every entry point, and every repository file the shipped code's messages send a user to (with
 * what those files use in turn), and the set-up script a message names runs from an installed
 * copy of the package.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import {
  REPO_ROOT,
  entryPointFiles,
  installPacked,
  packageJson,
  packedFiles,
  type PackedFile,
} from '../test/fixtures/package-contents';

// Building dist/ when it is missing takes a minute or two on 2 cores.
jest.setTimeout(300_000);

let packed: PackedFile[];
let packedPaths: Set<string>;
beforeAll(() => {
  packed = packedFiles();
  packedPaths = new Set(packed.map((f) => f.path));
});

/** A repository path is shipped when it is a packed file or a folder every file of which is packed. */
function isShipped(repoPath: string): boolean {
  const full = path.join(REPO_ROOT, repoPath);
  if (!fs.statSync(full).isDirectory()) return packedPaths.has(repoPath);
  return fs
    .readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .every((e) => packedPaths.has(path.relative(REPO_ROOT, path.join(e.parentPath, e.name))));
}

/** The TypeScript files tsconfig.build.json compiles into dist/ (tests excluded). */
function shippedSources(): string[] {
  const config = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as {
    include: string[];
  };
  return config.include.flatMap((dir) =>
    fs
      .readdirSync(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      .map((e) => path.join(e.parentPath, e.name)),
  );
}

/** The text of every string literal and template part in a TypeScript file (comments are not code). */
function stringsIn(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) out.push(node.text);
    node.forEachChild(visit);
  };
  visit(source);
  return out;
}

/** Paths in a text that exist in the repository (a file or a folder, below a top-level entry). */
function repositoryPathsIn(text: string): string[] {
  const candidates = text.match(/(?<![\w./-])[A-Za-z][\w.-]*(?:\/[\w.-]+)+/g) ?? [];
  return candidates
    .map((c) => c.replace(/\.$/, ''))
    .filter((c) => !c.startsWith('node_modules/') && !c.startsWith('dist/'))
    .filter((c) => fs.existsSync(path.join(REPO_ROOT, c)));
}

describe('the npm package', () => {
  test('ships the license, the readme, package.json, the command and every entry point', () => {
    const entryPoints = entryPointFiles();
    expect(entryPoints).toEqual(expect.arrayContaining(['bin/virtkit.js', 'dist/constructs/index.d.ts']));
    expect([...packedPaths]).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', ...entryPoints]),
    );
    const bin = packed.find((f) => f.path === 'bin/virtkit.js');
    expect((bin?.mode ?? 0) & 0o111).not.toBe(0);
  });

  test('LICENSE is the Apache License 2.0 package.json declares', () => {
    expect(packageJson().license).toBe('Apache-2.0');
    const text = fs.readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8');
    expect(text.trimStart()).toMatch(
      /^Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//,
    );
    expect(text).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });

  test('ships every repository file a string in the shipped code names', () => {
    const named = new Map<string, string>();
    for (const file of shippedSources()) {
      for (const p of stringsIn(file).flatMap(repositoryPathsIn))
        named.set(p, path.relative(REPO_ROOT, file));
    }
    // The missing-binary message of local mode names its build script; the scan must see it.
    expect([...named.keys()]).toContain('scripts/build-controlplane.sh');
    const missing = [...named].filter(([p]) => !isShipped(p)).map(([p, from]) => `${p} (named in ${from})`);
    expect(missing).toEqual([]);
  });

  test('ships every file its shell scripts use', () => {
    const scripts = packed.filter((f) => f.path.endsWith('.sh'));
    expect(scripts.map((f) => f.path)).toContain('scripts/build-controlplane.sh');
    const missing: string[] = [];
    for (const script of scripts) {
      const text = fs.readFileSync(path.join(REPO_ROOT, script.path), 'utf8');
      // Every script finds the package root as $repo; what it uses is "$repo/<path>".
      for (const [, used] of text.matchAll(/\$repo\/([\w./-]+)/g)) {
        if (!isShipped(used)) missing.push(`${used} (used by ${script.path})`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('an installed copy names its own build script for a missing binary, and the script runs there', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-installed-'));
    try {
      const installed = installPacked(dir, packed);
      const cache = path.join(dir, 'cache');
      const env = { ...process.env, VIRTKIT_CACHE: cache, KUBEBUILDER_ASSETS: '' };
      const binaries = path.join(installed, 'dist', 'cli', 'local', 'binaries.js');
      const message = execFileSync(
        process.execPath,
        [
          '-e',
          `try { require(${JSON.stringify(binaries)}).findBinary('kube-apiserver'); } catch (e) { process.stdout.write(e.message); }`,
        ],
        { cwd: dir, env, encoding: 'utf8' },
      );
      expect(message).toContain(`run 'scripts/build-controlplane.sh' in ${installed} (`);
      // The shipped script reads the Kubernetes version from the shipped go.mod: the folder it
      // would build into is the one the message names.
      const script = path.join(installed, 'scripts', 'build-controlplane.sh');
      const buildDir = execFileSync(script, ['--print-dir'], { cwd: dir, env, encoding: 'utf8' }).trim();
      expect(buildDir.startsWith(path.join(cache, 'controlplane', 'v1.'))).toBe(true);
      expect(message).toContain(`into ${buildDir},`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
