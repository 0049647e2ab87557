/**
 * virtkit's default cluster network (pure): the configuration list the handler writes when its
 * CNI configuration directory has none. A `bridge` plugin on a Linux bridge the host routes
 * for (isGateway: the bridge holds the range's first address, the pods' default gateway) with
 * NAT to the outside (ipMasq) and host-local IPAM whose leases live under the handler's state
 * directory (so they survive handler restarts and each handler has its own), then `portmap` for
 * hostPort mappings (the portMappings capability, as kubelet passes ports).
 */
import { parseCidr } from './cidr';
import { networkConfigListFrom } from './conflist';
import { CniConfigError, type ConfigProblem } from './errors';
import { IFNAME_PATTERN } from './names';
import type { JsonObject, NetworkConfigList } from './types';

export const DEFAULT_NETWORK_NAME = 'virtkit';
export const DEFAULT_BRIDGE = 'virtkit0';
/** Kubernetes' customary first node range (flannel's and kubeadm's docs use 10.244.0.0/16). */
export const DEFAULT_POD_CIDR = '10.244.0.0/24';
export const DEFAULT_CONFIG_FILE = '10-virtkit.conflist';
export const DEFAULT_CNI_VERSION = '1.0.0';

export interface DefaultNetworkOptions {
  /** Where host-local keeps its leases (one directory per network name below it). */
  readonly ipamDataDir: string;
  /** @default DEFAULT_NETWORK_NAME */
  readonly name?: string;
  /** Linux bridge the pods' host-side veths join. @default DEFAULT_BRIDGE */
  readonly bridge?: string;
  /** The range pod addresses come from; the first address is the gateway. @default DEFAULT_POD_CIDR */
  readonly podCidr?: string;
  /** MTU of the bridge and the pod interfaces. @default the kernel's (1500) */
  readonly mtu?: number;
}

/** The default network's configuration list document; throws CniConfigError for bad options. */
export function defaultNetworkConfig(o: DefaultNetworkOptions): JsonObject {
  const source = 'virtkit default network options';
  const problems: ConfigProblem[] = [];
  const podCidr = o.podCidr ?? DEFAULT_POD_CIDR;
  const bridge = o.bridge ?? DEFAULT_BRIDGE;
  const cidr = parseCidr(podCidr);
  if (typeof cidr === 'string')
    problems.push({
      path: 'podCidr',
      value: podCidr,
      message: cidr,
      fix: 'give the pod range as e.g. 10.244.0.0/24',
    });
  else if (cidr.prefix > (cidr.family === 'ipv4' ? 30 : 126))
    problems.push({
      path: 'podCidr',
      value: podCidr,
      message: 'leaves no address for a pod after the gateway',
      fix: 'use a prefix of /30 or wider (/24 holds 253 pods)',
    });
  if (!IFNAME_PATTERN.test(bridge))
    problems.push({
      path: 'bridge',
      value: bridge,
      message: 'is not a Linux interface name',
      fix: 'use 1-15 letters, digits, "_", "." or "-"',
    });
  if (!o.ipamDataDir.startsWith('/'))
    problems.push({
      path: 'ipamDataDir',
      value: o.ipamDataDir,
      message: 'is not an absolute path',
      fix: 'give the directory under the handler state dir',
    });
  if (o.mtu !== undefined && (!Number.isInteger(o.mtu) || o.mtu < 576 || o.mtu > 65535))
    problems.push({
      path: 'mtu',
      value: o.mtu,
      message: 'is not an MTU',
      fix: 'use a whole number from 576 to 65535',
    });
  if (problems.length > 0) throw new CniConfigError(source, problems);
  const v6 = typeof cidr !== 'string' && cidr.family === 'ipv6';
  return {
    cniVersion: DEFAULT_CNI_VERSION,
    name: o.name ?? DEFAULT_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: true,
        // A pod reaching its own hostPort through portmap comes back over the same port.
        hairpinMode: true,
        ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: podCidr }]],
          routes: [{ dst: v6 ? '::/0' : '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** The default network as a validated list (what a pod set up on it runs). */
export function defaultNetworkList(o: DefaultNetworkOptions): NetworkConfigList {
  return networkConfigListFrom(defaultNetworkConfig(o), 'virtkit default network');
}
