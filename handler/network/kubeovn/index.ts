/** The handler's Kube-OVN data plane: pod allocations read from annotations, wired on a Linux bridge per Subnet (overlay) or per VLAN (underlay). */
export * from './errors';
export {
  readAllocation,
  type KubeOvnAllocation,
  type KubeOvnUnderlay,
  type AllocatedPod,
} from './annotations';
export { kubeOvnNetworkList, KUBE_OVN_CNI_VERSION, type DataPlaneOptions } from './data-plane';
export {
  kubeOvnBridgeName,
  isKubeOvnBridgeName,
  isKubeOvnVlanBridgeName,
  isKubeOvnUplinkName,
  kubeOvnVlanBridgeName,
  kubeOvnUplinkName,
  kubeOvnNetworkName,
  KUBE_OVN_VLAN_BRIDGE_PREFIX,
  KUBE_OVN_UPLINK_PREFIX,
  KUBE_OVN_BRIDGE_PREFIX,
  KUBE_OVN_DEFAULT_NETWORK,
} from './names';
export { kubeOvnPaths, type KubeOvnPaths } from './paths';
export {
  kubeOvnDefaultNetwork,
  kubeOvnNadNetwork,
  isKubeOvnConfig,
  nadProvider,
  type KubeOvnContext,
  type KubeOvnBridge,
  type KubeOvnNetwork,
} from './pod-networks';
export {
  recordKubeOvnBridges,
  recordedKubeOvnBridges,
  kubeOvnBridgesLeft,
  kubeOvnUplinksLeft,
  releaseKubeOvnDataPlane,
  type KubeOvnDataPlaneRelease,
} from './bridges';
export { podNetworksOf, type PodNetworksOptions, type PodNetworksJson } from './resolve';
export {
  providerInterface,
  uplinkPlan,
  vxlanGroup,
  isInterfaceName,
  type ProviderNetworkJson,
  type UplinkPlan,
  type UplinkCarrier,
} from './underlay';
export { resolveUnderlays, makeUnderlays, kernelHasDot1q, type UnderlayTarget } from './uplinks';
