/** Run the kubectl built with the control plane (never one that happens to be on PATH). */
import { spawnSync } from 'child_process';
import { findBinary } from '../../../cli/local/binaries';
import { readShared } from './shared-controlplane';

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function kubectl(
  args: readonly string[],
  kubeconfig = readShared().kubeconfig,
  input?: string,
): CommandResult {
  const res = spawnSync(findBinary('kubectl'), [...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: kubeconfig },
    timeout: 120_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}
