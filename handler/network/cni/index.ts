/** The handler's CNI runtime: pod network namespaces and CNI plugins run the way libcni runs them. */
export * from './errors';
export * from './types';
export {
  PodNetwork,
  DEFAULT_IFNAME,
  type PodNetworkOptions,
  type SetUpOptions,
  type PodNetworkStatus,
  type NetworkAttachmentRequest,
  type AttachmentStatus,
  type GcReport,
} from './pod-network';
export { cniPaths, type CniPaths } from './paths';
export { parseNetworkConfigList, networkConfigListFrom } from './conflist';
export { loadDefaultNetwork, listConfigFiles } from './conf-dir';
export {
  defaultNetworkConfig,
  DEFAULT_BRIDGE,
  DEFAULT_NETWORK_NAME,
  DEFAULT_POD_CIDR,
  DEFAULT_CONFIG_FILE,
  type DefaultNetworkOptions,
} from './default-config';
export { ensureDefaultNetworkConfig, type EnsureDefaultNetworkOptions } from './default-config-writer';
export { DEFAULT_PLUGIN_DIRS, PLUGIN_DIRS_ENV, pluginDirsFrom } from './exec';
export {
  bridgeNameFor,
  nodeRangeCandidates,
  pickPodCidr,
  POD_CIDR_POOL,
  type NodeNetworkChoice,
} from './pod-cidr';
export {
  ensureNodeNetwork,
  releaseNodeNetwork,
  nodeNetworkLeftovers,
  readNodeNetwork,
  nodeNetworkFile,
  POD_CIDR_CLAIMS_DIR,
  type NodeNetwork,
  type NodeNetworkOptions,
  type NodeNetworkRelease,
  type NodeNetworkLeftovers,
} from './node-network';
