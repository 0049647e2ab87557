/**
 * Hands the running control plane from jest's global setup to its global teardown. Both run in
 * jest's parent process, in one module registry, so a module-level variable is enough; the
 * state folder is the fallback when it is not (teardown then stops by pid files).
 */
import type { LocalCluster } from '../../../cli/local/cluster';

let running: LocalCluster | undefined;

export function setRunning(cluster: LocalCluster): void {
  running = cluster;
}

export function takeRunning(): LocalCluster | undefined {
  const cluster = running;
  running = undefined;
  return cluster;
}
