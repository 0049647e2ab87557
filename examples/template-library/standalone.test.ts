/**
 * @acme/vm-templates builds on its own and consumes virtkit as any outside package does: by its
 * package name, resolved through virtkit's package.json exports. In the repository its tsconfig
 * finds the repository's build; in a folder of its own it finds virtkit in node_modules, installed
 * from what `npm pack` ships, and the compiled templates run against that copy.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, ensureBuilt, installPacked, tsc } from '../../test/fixtures/package-contents';

// Building dist/ when it is missing takes a minute or two on 2 cores.
jest.setTimeout(300_000);

const LIBRARY = __dirname;

let work: string;
beforeAll(() => {
  ensureBuilt();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-template-library-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** tsc's output on failure, so a broken build shows its errors instead of "Command failed". */
function build(args: readonly string[], cwd?: string): string {
  try {
    return tsc(args, cwd);
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

test('tsc -p examples/template-library/tsconfig.json builds it in the repository', () => {
  const out = path.join(work, 'in-repo');
  build(['-p', 'examples/template-library/tsconfig.json', '--outDir', out]);
  expect(fs.readdirSync(out).sort()).toEqual(
    expect.arrayContaining(['index.d.ts', 'index.js', 'web-server.js']),
  );
  // The compiled library names virtkit by its package name, never by a path into the repository.
  const compiled = fs.readFileSync(path.join(out, 'web-server.js'), 'utf8');
  expect(compiled).toContain('require("virtkit/constructs")');
  expect(compiled).not.toMatch(/require\("\.\.?\//);
});

test('in a folder of its own it resolves virtkit through the installed package exports and runs', () => {
  installPacked(work);
  // The layout of an app's dependencies: the library next to virtkit under one node_modules.
  const copy = path.join(work, 'acme', 'vm-templates');
  for (const entry of ['package.json', 'tsconfig.json', 'src']) {
    fs.cpSync(path.join(LIBRARY, entry), path.join(copy, entry), { recursive: true });
  }
  // The repository's build, which the tsconfig's paths name, is not there from this folder.
  expect(fs.existsSync(path.join(copy, '..', '..', 'dist'))).toBe(false);

  const files = build(['-p', 'tsconfig.json', '--listFilesOnly'], copy).trim().split('\n');
  const installed = path.join(work, 'node_modules', 'virtkit');
  expect(files).toContain(path.join(installed, 'dist', 'constructs', 'index.d.ts'));
  // Nothing of the repository but the dependencies virtkit's install links to.
  const fromRepo = files.filter((f) => f.startsWith(REPO_ROOT + path.sep));
  expect(fromRepo.filter((f) => !f.startsWith(path.join(REPO_ROOT, 'node_modules') + path.sep))).toEqual([]);

  build(['-p', 'tsconfig.json'], copy);
  const program = [
    "const { App, Chart } = require('cdk8s');",
    "const { WebServerTemplate } = require('./dist');",
    "const chart = new Chart(new App(), 'shop', { namespace: 'shop' });",
    "new WebServerTemplate(chart, 'storefront', { name: 'storefront' });",
    'process.stdout.write(JSON.stringify(chart.toJson()));',
  ].join('\n');
  const [pool] = JSON.parse(
    execFileSync(process.execPath, ['-e', program], { cwd: copy, encoding: 'utf8' }),
  ) as {
    kind: string;
    metadata: { name: string; namespace: string };
    spec: { virtualMachineTemplate: { spec: { instancetype: unknown } } };
  }[];
  expect(pool.kind).toBe('VirtualMachinePool');
  expect(pool.metadata).toMatchObject({ name: 'storefront', namespace: 'shop' });
  expect(pool.spec.virtualMachineTemplate.spec.instancetype).toEqual({
    name: 'u1.medium',
    kind: 'VirtualMachineClusterInstancetype',
  });
});
