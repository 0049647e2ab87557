/**
 * A Pulumi project folder for the suites that run `npm run pulumi` for real: its own file backend
 * and PULUMI_HOME in a temporary folder, the integration control plane (or, for the end-to-end
 * suites, their runtime's) as the Kubernetes provider's cluster (KUBECONFIG), and
 * `npm run pulumi -- ARGS` run in it.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { readShared } from './shared-controlplane';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '../../..');

/** One step of `pulumi preview --json` (the fields the suites read). */
export interface PreviewStep {
  readonly op: string;
  readonly urn: string;
  readonly type?: string;
  readonly detailedDiff?: Record<string, { kind: string }>;
}

export interface PulumiRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PulumiProject {
  readonly dir: string;
  /** `npm run pulumi -- ARGS` in the folder: exit code and output, never a throw. */
  run(...args: string[]): Promise<PulumiRun>;
  /** As run(), throwing with the whole output when the command fails; its stdout. */
  ok(...args: string[]): Promise<string>;
  /** Remove the folder (state and plugins included). */
  remove(): void;
}

/** Where a project's programs apply. */
export interface PulumiProjectOptions {
  /** The cluster's kubeconfig. @default the integration run's shared control plane */
  readonly kubeconfig?: string;
  /** How long one command may take. @default 240 s */
  readonly timeoutMs?: number;
}

export function pulumiProject(prefix: string, options: PulumiProjectOptions = {}): PulumiProject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `virtkit-${prefix}-`));
  fs.mkdirSync(path.join(dir, 'state'));
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(dir, 'state')}`,
    PULUMI_HOME: path.join(dir, 'home'),
    KUBECONFIG: options.kubeconfig ?? readShared().kubeconfig,
  };
  const project: PulumiProject = {
    dir,
    async run(...args) {
      try {
        const { stdout, stderr } = await run('bash', [path.join(repo, 'scripts/pulumi.sh'), ...args], {
          cwd: dir,
          env,
          timeout: options.timeoutMs ?? 240_000,
          maxBuffer: 64 * 1024 * 1024,
        });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as Error & { code?: number; stdout?: string; stderr?: string };
        return {
          code: typeof e.code === 'number' ? e.code : -1,
          stdout: e.stdout ?? '',
          stderr: e.stderr ?? e.message,
        };
      }
    },
    async ok(...args) {
      const r = await project.run(...args);
      if (r.code !== 0)
        throw new Error(
          `pulumi ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
        );
      return r.stdout;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  return project;
}
