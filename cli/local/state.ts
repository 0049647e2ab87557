/** state.json: what a running local control plane is made of, for `status` and `down`. */
import * as fs from 'fs';
import type { HealthCheck } from './health';
import type { KubeletNodeRecord } from './kubelet/node';

/** Where local mode's pods run: host processes started by virtkit's handler, or kubelet nodes. */
export type LocalRuntime = 'process' | 'kubelet';
export const LOCAL_RUNTIMES: readonly LocalRuntime[] = ['process', 'kubelet'];

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
  /** Absent in the files of older versions: 'process'. */
  readonly runtime?: LocalRuntime;
  /** In start order; `down` stops them in reverse. A kubelet node's containerd and kubelet are here too. */
  readonly components: readonly ComponentRecord[];
  /** The kubelet nodes (`--runtime kubelet`), with what `down` needs to undo their host changes. */
  readonly nodes?: readonly KubeletNodeRecord[];
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
