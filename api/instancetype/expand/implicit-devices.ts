/**
 * The devices a VMI has without naming them, made explicit before a preference is applied, as
 * KubeVirt's expansion does, so the preference's disk and interface settings reach them too: a
 * disk for every volume that no disk or filesystem uses (KubeVirt's default disk), and the pod
 * network's interface when the VM names no interface and no network and does not turn
 * `autoattachPodInterface` off. That interface is bound with masquerade, the binding virtkit's
 * runtime gives the implicit pod interface (KubeVirt's own default follows its cluster
 * configuration). Pure, but it writes into the spec it is given.
 */
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';

/** The name KubeVirt gives the implicit pod network and its interface. */
export const DEFAULT_POD_NETWORK_NAME = 'default';

/** A disk for every volume without a disk or filesystem of its name. */
export function addDefaultVolumeDisks(spec: VirtualMachineInstanceSpec): void {
  const devices = spec.domain.devices;
  const used = new Set([
    ...(devices.disks ?? []).map((d) => d.name),
    ...(devices.filesystems ?? []).map((f) => f.name),
  ]);
  const missing = (spec.volumes ?? []).filter((v) => !used.has(v.name));
  if (missing.length) devices.disks = [...(devices.disks ?? []), ...missing.map((v) => ({ name: v.name }))];
}

/** The pod interface and network, when the VM has neither interfaces nor networks and autoattach is not off. */
export function addDefaultPodInterface(spec: VirtualMachineInstanceSpec): void {
  const devices = spec.domain.devices;
  if (devices.autoattachPodInterface === false) return;
  if (spec.networks?.length || devices.interfaces?.length) return;
  devices.interfaces = [{ name: DEFAULT_POD_NETWORK_NAME, masquerade: {} }];
  spec.networks = [{ name: DEFAULT_POD_NETWORK_NAME, pod: {} }];
}
