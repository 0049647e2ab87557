/**
 * The real Pulumi CLI, built from its Go module (scripts/build-pulumi.sh, prepared by
 * scripts/setup/pulumi.sh), through `npm run pulumi`: it reports the pinned version and keeps
 * stacks in a local file backend, with no network. Programs are run elsewhere: Pulumi YAML ones,
 * through the YAML language host and the Kubernetes provider plugin built beside the CLI, in
 * pulumi-yaml.test.ts; Node.js ones need the Node.js language host, which the module proxy does
 * not serve (docs/pulumi.md).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '../..');
const goMod = fs.readFileSync(path.join(repo, 'tools/pulumi/go.mod'), 'utf8');
const pinned = /github\.com\/pulumi\/pulumi\/pkg\/v3 (v3\.\d+\.\d+)/.exec(goMod)?.[1];

async function pulumi(args: string[], cwd: string, env: Record<string, string> = {}) {
  return run('bash', [path.join(repo, 'scripts/pulumi.sh'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

describe('npm run pulumi', () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-pulumi-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('runs the CLI at the version pinned in tools/pulumi/go.mod', async () => {
    expect(pinned).toBeDefined();
    const { stdout } = await run('npm', ['run', '-s', 'pulumi', '--', 'version'], {
      cwd: repo,
      timeout: 120_000,
    });
    expect(stdout.trim()).toBe(pinned);
  });

  it('creates and lists a stack in a local file backend', async () => {
    fs.writeFileSync(path.join(work, 'Pulumi.yaml'), 'name: probe\nruntime: nodejs\n');
    const backend = path.join(work, 'state');
    fs.mkdirSync(backend);
    const env = { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_HOME: path.join(work, 'home') };
    await pulumi(['stack', 'init', 'dev', '--non-interactive'], work, env);
    const { stdout } = await pulumi(['stack', 'ls', '--json'], work, env);
    const stacks = JSON.parse(stdout) as { name: string }[];
    expect(stacks.map((s) => s.name)).toContain('dev');
    // The stack lives on disk, where the file backend keeps it.
    expect(fs.readdirSync(path.join(backend, '.pulumi'))).toContain('stacks');
  });
});
