/**
 * What `virtkit launch` tells its user about networking it runs differently from a node (pure):
 * interfaces on QEMU's user-mode networking, and the `dhcpOptions` those interfaces do not get
 * (QEMU's own DHCP server answers there, which sends none of them).
 */
import type { VirtualMachineInstance } from '../api/kubevirt/v1';

/** The lines to print for the interfaces that run on QEMU user-mode networking. */
export function userNetworkingNotices(
  vmi: Pick<VirtualMachineInstance, 'spec'>,
  userNet: readonly string[],
): string[] {
  if (userNet.length === 0) return [];
  const lines = [
    `virtkit launch: interface ${userNet.join(', ')} uses QEMU user-mode networking (NAT inside QEMU, 10.0.2.0/24 unless vmNetworkCIDR says otherwise); on a node (virtkit up) the pod network gets a real address and KubeVirt's masquerade or bridge binding`,
  ];
  (vmi.spec.domain.devices.interfaces ?? []).forEach((iface, i) => {
    if (!userNet.includes(iface.name) || !iface.dhcpOptions) return;
    const set = Object.entries(iface.dhcpOptions)
      .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k]) => k);
    if (set.length === 0) return;
    lines.push(
      `virtkit launch: spec.domain.devices.interfaces[${i}].dhcpOptions (${set.join(', ')}) of interface ${iface.name} are not sent: QEMU's user-mode DHCP server answers here; the launcher's DHCP server sends them on a node (virtkit up)`,
    );
  });
  return lines;
}
