/**
 * The cluster a component reads itself (a VM's wait, the existence of the networks a VM names):
 * the one the default Kubernetes provider writes to, from the stack's `kubernetes:kubeconfig`,
 * `kubernetes:context` and `kubernetes:namespace` settings, else the environment's (KUBECONFIG,
 * ~/.kube/config, in-cluster), resolved as kubectl and the provider resolve them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { KubeClient } from '../../kube';

/** The default Kubernetes provider's say over which cluster and namespace; unset means the environment's. */
export interface ClusterSettings {
  /** `kubernetes:kubeconfig`: a kubeconfig file's path, or its contents. */
  readonly kubeconfig?: string;
  /** `kubernetes:context`: a context of that kubeconfig. */
  readonly context?: string;
  /** `kubernetes:namespace`: the namespace of objects that name none. */
  readonly namespace?: string;
}

/**
 * The stack's settings for the default Kubernetes provider, read as plain values
 * (pulumi.runtime.getConfig: no output, so reading a secret kubeconfig does not make every
 * output derived from it secret). Call it while the program (or a Construct request) runs.
 */
export function clusterSettings(): ClusterSettings {
  const read = (key: string): string | undefined =>
    pulumi.runtime.getConfig(`kubernetes:${key}`) || undefined;
  const kubeconfig = read('kubeconfig');
  const context = read('context');
  const namespace = read('namespace');
  return {
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(context ? { context } : {}),
    ...(namespace ? { namespace } : {}),
  };
}

/**
 * The kubeconfig file the default Kubernetes provider would use, from the stack's
 * `kubernetes:kubeconfig` setting: a path as it is, or the file's contents written to a
 * private (0600) temporary file, removed by the returned cleanup. Undefined when not set (the
 * environment's then, as for the provider).
 */
export function kubeconfigFile(setting: string | undefined): { file?: string; cleanup: () => void } {
  if (!setting) return { cleanup: () => undefined };
  const trimmed = setting.trim();
  if (!trimmed.startsWith('{') && !/^apiVersion:|\n/.test(trimmed))
    return { file: setting, cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-kubeconfig-'));
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, setting, { mode: 0o600 });
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A client of the cluster; close() closes its connections and removes any temporary kubeconfig. */
export interface ClusterConnection {
  readonly client: KubeClient;
  close(): void;
}

/**
 * Connect to the cluster the settings name (nothing is sent until the first request). Throws
 * KubeConfigError, naming what was tried, when no configuration can be found.
 */
export function connectCluster(settings: ClusterSettings = {}): ClusterConnection {
  const file = kubeconfigFile(settings.kubeconfig);
  try {
    const client = KubeClient.connect({
      ...(file.file ? { kubeconfig: file.file } : {}),
      ...(settings.context ? { context: settings.context } : {}),
      ...(settings.namespace ? { namespace: settings.namespace } : {}),
    });
    return {
      client,
      close: () => {
        client.close();
        file.cleanup();
      },
    };
  } catch (e) {
    file.cleanup();
    throw e;
  }
}
