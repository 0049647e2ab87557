/** Multus's part in the handler: network selection annotations, NetworkAttachmentDefinitions, network-status. */
export * from './errors';
export {
  parseNetworkSelections,
  parseDefaultNetworkSelection,
  type NetworkSelection,
  type NadReference,
} from './selection';
export { nadNetworkConfig, nadConfigSource, type NadJson } from './nad-config';
export { networkStatusEntries, networkStatusAnnotation, type NetworkStatusEntry } from './network-status';
export {
  multusNetworksOf,
  readNadConfig,
  type MultusNetworks,
  type MultusResolveOptions,
  type NadConfigHook,
  type PodAnnotationsJson,
} from './resolve';
