/**
 * Why Kube-OVN's IPAM cannot give an interface an address. The reasons are Kube-OVN's where it
 * has one (AddressOutOfRange, AddressConflict, NoAvailableAddress); the message names the
 * annotation or subnet field, the value and the fix. The caller names the VMI.
 */
export const KUBE_OVN_ADDRESS_REASONS = [
  'InvalidAddress',
  'AddressOutOfRange',
  'AddressExcluded',
  'AddressConflict',
  'NoAvailableAddress',
  'SubnetNotFound',
  'InvalidSubnet',
  'IPPoolNotFound',
  'IPPoolMismatch',
] as const;

export type KubeOvnAddressReason = (typeof KUBE_OVN_ADDRESS_REASONS)[number];

export class KubeOvnAddressError extends Error {
  constructor(
    readonly reason: KubeOvnAddressReason,
    message: string,
  ) {
    super(message);
    this.name = 'KubeOvnAddressError';
  }
}
