/** Run the `virtkit` command as a user does, and look for processes left behind. */
import { spawn } from 'child_process';
import * as path from 'path';
import { REPO_ROOT } from './examples';

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const BIN = path.join(REPO_ROOT, 'bin', 'virtkit.js');

export function virtkit(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json') };
  delete env.KUBEBUILDER_ASSETS;
  delete env.VIRTKIT_STATE_DIR;
  delete env.KUBECONFIG;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export { processesMentioning } from '../../fixtures/processes';
