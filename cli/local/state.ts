/** state.json: what a running local control plane is made of, for `status` and `down`. */
import * as fs from 'fs';
import type { HealthCheck } from './health';

export interface ComponentRecord {
  readonly name: string;
  readonly pid: number;
  readonly binary: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly health?: HealthCheck;
}

export interface StateFile {
  readonly kubernetesVersion: string;
  readonly startedAt: string;
  readonly stateDir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly ports: Readonly<Record<string, number>>;
  /** In start order; `down` stops them in reverse. */
  readonly components: readonly ComponentRecord[];
}

export function writeState(file: string, state: StateFile): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export function readState(file: string): StateFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
  } catch {
    return undefined;
  }
}
