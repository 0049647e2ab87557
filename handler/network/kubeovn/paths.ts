/**
 * Where the handler keeps its Kube-OVN data plane's state (pure), under its CNI root:
 *   <stateDir>/cni/kube-ovn/bridges   one record per Subnet bridge made (removed on release)
 *   <stateDir>/cni/kube-ovn/tuning    the tuning plugin's backups of each pod interface's MAC
 *   <stateDir>/cni/kube-ovn/tunnel-port  the UDP port of the node's tunnels, when the handler picked it
 */
import * as path from 'path';
import { cniPaths } from '../cni/paths';

export interface KubeOvnPaths {
  readonly root: string;
  readonly bridgesDir: string;
  readonly tuningDataDir: string;
  readonly tunnelPortFile: string;
}

export function kubeOvnPaths(stateDir: string): KubeOvnPaths {
  const root = path.join(cniPaths(stateDir).root, 'kube-ovn');
  return {
    root,
    bridgesDir: path.join(root, 'bridges'),
    tuningDataDir: path.join(root, 'tuning'),
    tunnelPortFile: path.join(root, 'tunnel-port'),
  };
}
