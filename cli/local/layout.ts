/** Where everything of one local control plane lives inside its state folder (pure). */
import * as path from 'path';

export interface Layout {
  readonly stateDir: string;
  /** The admin kubeconfig users and tests point KUBECONFIG at. */
  readonly kubeconfig: string;
  /** What runs, on which ports: read by `status` and `down` from another process. */
  readonly stateFile: string;
  readonly pkiDir: string;
  readonly etcdDataDir: string;
  readonly configDir: string;
  readonly logsDir: string;
  readonly runDir: string;
  readonly certsDir: string;
}

export function layout(stateDir: string): Layout {
  const dir = path.resolve(stateDir);
  return {
    stateDir: dir,
    kubeconfig: path.join(dir, 'kubeconfig'),
    stateFile: path.join(dir, 'state.json'),
    pkiDir: path.join(dir, 'pki'),
    etcdDataDir: path.join(dir, 'etcd-data'),
    configDir: path.join(dir, 'config'),
    logsDir: path.join(dir, 'logs'),
    runDir: path.join(dir, 'run'),
    certsDir: path.join(dir, 'serving-certs'),
  };
}

export const logFile = (l: Layout, component: string): string => path.join(l.logsDir, `${component}.log`);
export const pidFile = (l: Layout, component: string): string => path.join(l.runDir, `${component}.pid`);
export const componentKubeconfig = (l: Layout, component: string): string =>
  path.join(l.configDir, `${component}.kubeconfig`);
