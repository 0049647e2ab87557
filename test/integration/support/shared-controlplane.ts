/**
 * The one control plane an integration run shares. The global setup exports its kubeconfig path
 * in VIRTKIT_IT_KUBECONFIG and its state folder in VIRTKIT_IT_STATE_DIR (jest's workers inherit
 * both) and writes the details to <state folder>/shared.json, which suites read here.
 */
import * as fs from 'fs';
import * as path from 'path';

export const KUBECONFIG_ENV = 'VIRTKIT_IT_KUBECONFIG';
export const STATE_DIR_ENV = 'VIRTKIT_IT_STATE_DIR';

export interface SharedControlPlane {
  readonly kubeconfig: string;
  readonly stateDir: string;
  readonly server: string;
  /** CRDs the API server refused during the global setup (the CRD suite reports them in full). */
  readonly crdFailures: readonly { name: string; message: string }[];
}

export function readShared(): SharedControlPlane {
  const kubeconfig = process.env[KUBECONFIG_ENV];
  const stateDir = process.env[STATE_DIR_ENV];
  if (kubeconfig && stateDir) {
    const file = path.join(stateDir, 'shared.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as SharedControlPlane;
  }
  throw new Error(
    `${KUBECONFIG_ENV} is not set: integration suites run under the jest project 'integration', ` +
      `whose globalSetup (test/integration/global-setup.ts) starts the control plane`,
  );
}
