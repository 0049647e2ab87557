/**
 * The data plane of one Kube-OVN allocation (pure): the CNI configuration list that puts a pod
 * interface on its Subnet with the reference plugins. Kube-OVN wires an OVS port on the
 * Subnet's OVN logical switch; virtkit substitutes a Linux bridge per Subnet on the node:
 *
 * - `bridge` on `vko<hash>` with the gateway address on the bridge in the host namespace
 *   (isGateway: the host reaches the pods and routes for them), hairpin mode, NAT of traffic
 *   leaving the Subnet when the Subnet has natOutgoing (ipMasq), the Subnet's MTU;
 * - `static` IPAM with exactly the allocated address and gateway, and the default route through
 *   the gateway on the default network only (Kube-OVN attachments do not take the default route);
 * - `tuning` chained after it, setting the allocated MAC on the pod's interface (tuning reports
 *   the new MAC in its result, and restores the old one on DEL from its backup in `dataDir`).
 *
 * A VLAN underlay's list is the same on the VLAN's `vkvl<hash>` bridge but without isGateway or
 * ipMasq: the Subnet's gateway is the physical router, reached over the bridge's uplink
 * (underlay.ts), so the default route goes through it and the host neither holds it nor NATs.
 */
import { networkConfigListFrom } from '../cni/conflist';
import type { NetworkConfigList } from '../cni/types';
import type { KubeOvnAllocation } from './annotations';
import { kubeOvnNetworkName } from './names';

/** The CNI version of the lists (Debian's plugins 1.1.1 speak it). */
export const KUBE_OVN_CNI_VERSION = '1.0.0';

export interface DataPlaneOptions {
  /** The Subnet's bridge on this node (names.ts kubeOvnBridgeName). */
  readonly bridge: string;
  /** `default` (the pod's eth0, with the default route) or `attachment` (no default route). */
  readonly role: 'default' | 'attachment';
  /** Where tuning keeps its backups (absolute, under the handler's state directory). */
  readonly tuningDataDir: string;
  /** Where the list comes from, for messages and cache records. */
  readonly source: string;
}

/** The configuration list that wires `a` on its Subnet's bridge; throws CniConfigError for bad options. */
export function kubeOvnNetworkList(a: KubeOvnAllocation, o: DataPlaneOptions): NetworkConfigList {
  const ipam = {
    type: 'static',
    addresses: [{ address: `${a.ip}/${a.prefix}`, gateway: a.gateway }],
    ...(o.role === 'default' ? { routes: [{ dst: '0.0.0.0/0', gw: a.gateway }] } : {}),
  };
  return networkConfigListFrom(
    {
      cniVersion: KUBE_OVN_CNI_VERSION,
      name: kubeOvnNetworkName(a.subnet),
      plugins: [
        {
          type: 'bridge',
          bridge: o.bridge,
          // An underlay's gateway is the physical router, reached over the VLAN's uplink: the
          // host holds no address on its bridge and NATs nothing.
          isGateway: a.underlay === undefined,
          ipMasq: a.underlay === undefined && a.natOutgoing,
          hairpinMode: true,
          ...(a.mtu !== undefined ? { mtu: a.mtu } : {}),
          ipam,
        },
        { type: 'tuning', mac: a.mac, dataDir: o.tuningDataDir },
      ],
    },
    o.source,
  );
}
