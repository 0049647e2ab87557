/**
 * Where the CNI runtime keeps its state under the handler's state directory (pure):
 *   <stateDir>/cni/net.d     the configuration directory (the default network is written here)
 *   <stateDir>/cni/results   the result cache, one record per pod attachment
 *   <stateDir>/cni/ipam      host-local's leases (the default network's dataDir)
 * Per handler, so handlers sharing a machine never share leases or configuration.
 */
import * as path from 'path';

export interface CniPaths {
  readonly root: string;
  readonly confDir: string;
  /** The cache root; records are in its `results` directory. */
  readonly cacheDir: string;
  readonly ipamDataDir: string;
}

export function cniPaths(stateDir: string): CniPaths {
  const root = path.join(path.resolve(stateDir), 'cni');
  return { root, confDir: path.join(root, 'net.d'), cacheDir: root, ipamDataDir: path.join(root, 'ipam') };
}
