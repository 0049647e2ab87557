/** Jest global teardown: stop the shared control plane and remove its state folder. */
import * as fs from 'fs';
import { stopLocalMode } from '../../cli/local/manage';
import { STATE_DIR_ENV } from './support/shared-controlplane';
import { takeRunning } from './support/running';

export default async function globalTeardown(): Promise<void> {
  const cluster = takeRunning();
  const stateDir = process.env[STATE_DIR_ENV];
  if (cluster) await cluster.stop();
  // Also stops by pid files: covers a teardown that runs without the setup's module state.
  if (stateDir) {
    await stopLocalMode(stateDir);
    if (!process.env.VIRTKIT_IT_KEEP_STATE) fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
