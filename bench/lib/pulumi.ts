/**
 * The Pulumi toolchain for benchmarks that run the real engine: the binaries
 * scripts/build-pulumi.sh builds (never built from here: a missing one is an error that names
 * the command), and a throwaway sandbox around them (its own PULUMI_HOME with the Kubernetes
 * provider installed, a file backend, and the CLI linked where the Automation API looks for it),
 * as test/integration/support/pulumi-project.ts sets up for the integration suites.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PulumiCommand } from '@pulumi/pulumi/automation';

const REPO = path.resolve(__dirname, '../..');

/** The binaries a benchmark runs; scripts/build-pulumi.sh builds them. */
const NEEDED = ['pulumi', 'pulumi-resource-kubernetes'] as const;

/** A Pulumi binary is missing: the benchmark does not build it (a Go build takes many minutes). */
export class PulumiToolchainMissingError extends Error {
  constructor(
    readonly dir: string,
    readonly missing: readonly string[],
  ) {
    super(
      `the Pulumi toolchain in ${dir} lacks ${missing.join(', ')}; build it first with ` +
        '`bash scripts/build-pulumi.sh` (about 24 minutes cold, cached afterwards)',
    );
    this.name = 'PulumiToolchainMissingError';
  }
}

export interface PulumiToolchain {
  /** The folder holding the binaries (`~/.cache/virtkit/pulumi/<versions>`). */
  readonly dir: string;
  /** The Kubernetes provider's version, `v4.25.0`, as the SDK asks the engine for it. */
  readonly kubernetesVersion: string;
}

/** The built toolchain, or PulumiToolchainMissingError naming what is missing. */
export function pulumiToolchain(): PulumiToolchain {
  const script = path.join(REPO, 'scripts/build-pulumi.sh');
  const ask = (flag: string): string => execFileSync('bash', [script, flag], { encoding: 'utf8' }).trim();
  const dir = ask('--print-dir');
  const missing = NEEDED.filter((name) => !fs.existsSync(path.join(dir, name)));
  if (missing.length) throw new PulumiToolchainMissingError(dir, missing);
  return { dir, kubernetesVersion: ask('--print-k8s-version') };
}

export interface PulumiSandbox {
  /** The CLI for the Automation API (`PulumiCommand` over the linked binary). */
  readonly command: PulumiCommand;
  /** The environment every Automation API call gets: home, backend, passphrase, no downloads. */
  readonly env: Record<string, string>;
  /** `file://...`: the sandbox's state folder. */
  readonly backendUrl: string;
}

/**
 * A sandbox in `root` (an empty temporary folder the caller removes): PULUMI_HOME with the
 * Kubernetes provider installed under its version (so the engine picks it as it would a
 * downloaded plugin, as scripts/pulumi.sh installs it), a file backend, and the CLI linked under
 * `<root>/cli/bin`, where PulumiCommand looks, so the provider binary beside the CLI stays off
 * PATH.
 */
export async function pulumiSandbox(
  toolchain: PulumiToolchain,
  root: string,
  extraEnv: Record<string, string> = {},
): Promise<PulumiSandbox> {
  const home = path.join(root, 'home');
  const state = path.join(root, 'state');
  const cliRoot = path.join(root, 'cli');
  for (const dir of [home, state, path.join(cliRoot, 'bin')]) fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(toolchain.dir, 'pulumi'), path.join(cliRoot, 'bin/pulumi'));
  const backendUrl = `file://${state}`;
  const env: Record<string, string> = {
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: backendUrl,
    PULUMI_CONFIG_PASSPHRASE: 'virtkit-bench',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    ...extraEnv,
  };
  execFileSync(
    path.join(toolchain.dir, 'pulumi'),
    [
      'plugin',
      'install',
      'resource',
      'kubernetes',
      toolchain.kubernetesVersion,
      '--file',
      path.join(toolchain.dir, 'pulumi-resource-kubernetes'),
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const command = await PulumiCommand.get({ root: cliRoot, skipVersionCheck: true });
  return { command, env, backendUrl };
}
