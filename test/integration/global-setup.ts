/**
 * Jest global setup of the integration project: one real control plane (etcd, kube-apiserver,
 * kube-scheduler, kube-controller-manager) for the whole run, with virtkit's CRDs applied.
 * A CRD the server refuses does not abort the run; the CRD suite reports it with the server's
 * message. Missing binaries do abort it, with the command that builds them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crds } from '../../api/crd/generate';
import { startControlPlane } from '../../cli/local/controlplane';
import { applyCrds } from '../../cli/local/crds';
import { KubeClient } from '../../kube';
import { KUBECONFIG_ENV, STATE_DIR_ENV, type SharedControlPlane } from './support/shared-controlplane';
import { setRunning } from './support/running';

export default async function globalSetup(): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-it-'));
  const started = Date.now();
  const cluster = await startControlPlane({
    stateDir,
    log: (m) => {
      if (process.env.VIRTKIT_IT_VERBOSE) console.error(`[controlplane] ${m}`);
    },
  });
  setRunning(cluster);
  const client = KubeClient.connect({ kubeconfig: cluster.kubeconfig });
  const crdFailures = await applyCrds(client, crds({ withNetworkCrds: true }));
  client.close();
  const record: SharedControlPlane = {
    kubeconfig: cluster.kubeconfig,
    stateDir,
    server: cluster.server,
    crdFailures,
  };
  fs.writeFileSync(path.join(stateDir, 'shared.json'), JSON.stringify(record, null, 2));
  process.env[KUBECONFIG_ENV] = cluster.kubeconfig;
  process.env[STATE_DIR_ENV] = stateDir;
  console.error(
    `\n[integration] control plane ready at ${cluster.server} in ${((Date.now() - started) / 1000).toFixed(1)}s ` +
      `(state ${stateDir}${crdFailures.length ? `; ${crdFailures.length} CRD(s) refused` : ''})`,
  );
}
