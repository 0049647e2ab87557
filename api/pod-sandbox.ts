/**
 * Why a launcher pod's sandbox (its network) could not be made: the contract between the node
 * handler, which puts the reason on the pod's PodReadyToStartContainers condition (its CNI and
 * Multus errors, handler/network/), and the controller, which shows it on the VMI as
 * Synchronized=False and takes it back once the sandbox is up (controller/vmi/phase.ts).
 */

/** The reasons the handler's network errors carry. */
export const POD_NETWORK_FAILURE_REASONS = [
  'InvalidNetworkConfig',
  'NetworkConfigMissing',
  'PluginNotFound',
  'PluginFailed',
  'PluginExecFailed',
  'NetworkNamespaceFailed',
  'CacheFailed',
  'InvalidPod',
  'InvalidNetworkSelection',
  'NetworkAttachmentDefinitionNotFound',
  'InvalidAddressAllocation',
  'AddressNotAllocated',
  'UnsupportedUnderlay',
  'ProviderNetworkUnavailable',
  'NetworkSetupFailed',
] as const;

export type PodNetworkFailureReason = (typeof POD_NETWORK_FAILURE_REASONS)[number];

/** Kubelet's Event reason for a failed sandbox; the VMI's when the pod gives no reason of its own. */
export const FAILED_CREATE_POD_SANDBOX = 'FailedCreatePodSandBox';

/** Every reason a VMI's Synchronized=False takes from a failed sandbox. */
export const POD_SANDBOX_FAILURE_REASONS: readonly string[] = [
  FAILED_CREATE_POD_SANDBOX,
  ...POD_NETWORK_FAILURE_REASONS,
];
