/**
 * One provider's Kube-OVN allocation on a pod (pure): the `<provider>.kubernetes.io/*`
 * annotations the controller writes when it creates the pod (Kube-OVN's controller role),
 * read and checked before anything is wired. The default network's provider is `ovn`; a
 * NetworkAttachmentDefinition of type kube-ovn has `<nad>.<namespace>.ovn` (or its config's
 * `provider`). Every problem of one provider's annotations is gathered into one error.
 */
import { isIPv4 } from 'net';
import { KUBE_OVN_KEYS, kubeOvnAnnotationKey } from '../../../api/kubeovn/ipam/keys';
import { cidrContains, parseCidr, type Cidr } from '../cni/cidr';
import {
  KubeOvnAllocationError,
  UnsupportedUnderlayError,
  type AllocationProblem,
  type PodRef,
} from './errors';

/** The addresses one interface of a pod got from its Kube-OVN subnet. */
export interface KubeOvnAllocation {
  readonly provider: string;
  /** The Subnet (Kube-OVN's logical switch). */
  readonly subnet: string;
  /** The pod's IPv4 address, without prefix. */
  readonly ip: string;
  /** The subnet's CIDR as written (e.g. 10.66.0.0/24). */
  readonly cidr: string;
  /** The CIDR's prefix length: the pod's address is ip/prefix. */
  readonly prefix: number;
  readonly gateway: string;
  /** Lower case, colon-separated. */
  readonly mac: string;
  /** The Subnet's natOutgoing (virtkit's own annotation; absent is false). */
  readonly natOutgoing: boolean;
  readonly mtu?: number;
  /** A VLAN underlay Subnet: the pod goes on this VLAN of this ProviderNetwork (absent: overlay). */
  readonly underlay?: KubeOvnUnderlay;
}

/** A VLAN underlay: `vlan_id` (the Vlan's spec.id) on `provider_network` (its spec.provider). */
export interface KubeOvnUnderlay {
  /** 1 to 4094 (0, untagged, is refused: see readAllocation). */
  readonly vlanId: number;
  /** The ProviderNetwork's name. */
  readonly providerNetwork: string;
}

/** A pod as read here. */
export interface AllocatedPod extends PodRef {
  readonly annotations: Readonly<Record<string, string>>;
}

/** Kube-OVN writes object names; virtkit also names the CNI network `kube-ovn-<subnet>` (at most 128). */
const SUBNET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_SUBNET_NAME_LENGTH = 119;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function shortened(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/**
 * The allocation of `provider` on the pod, or undefined when the pod has no `allocated`
 * annotation for it. Throws UnsupportedUnderlayError for a VLAN (underlay) subnet and
 * KubeOvnAllocationError naming every annotation that cannot be used.
 */
export function readAllocation(pod: AllocatedPod, provider: string): KubeOvnAllocation | undefined {
  const key = (k: string): string => kubeOvnAnnotationKey(provider, k);
  const raw = (k: string): string | undefined => pod.annotations[key(k)];
  const allocated = raw(KUBE_OVN_KEYS.allocated);
  if (allocated === undefined) return undefined;
  const problems: AllocationProblem[] = [];
  const problem = (k: string, message: string, fix: string): void => {
    const value = raw(k);
    problems.push({
      key: key(k),
      ...(value !== undefined ? { value: shortened(value) } : {}),
      message,
      fix,
    });
  };
  const writer = 'the controller writes it when it creates the pod; recreate the pod (or fix the annotation)';
  if (allocated !== 'true')
    problem(KUBE_OVN_KEYS.allocated, 'is not "true"', 'write "true" once the addresses below are written');

  const subnet = raw(KUBE_OVN_KEYS.logicalSwitch);
  const underlay = readUnderlay(raw, problem);
  if (underlay === 0)
    throw new UnsupportedUnderlayError(pod, subnet ?? '(unnamed)', key(KUBE_OVN_KEYS.vlanId), '0');
  if (subnet === undefined || subnet === '')
    problem(KUBE_OVN_KEYS.logicalSwitch, 'is missing', `name the pod's Subnet; ${writer}`);
  else if (!SUBNET_NAME.test(subnet) || subnet.length > MAX_SUBNET_NAME_LENGTH)
    problem(
      KUBE_OVN_KEYS.logicalSwitch,
      'is not a Subnet name virtkit can wire',
      `use a DNS-1123 subdomain of at most ${MAX_SUBNET_NAME_LENGTH} characters (lower-case letters, digits, "-" and ".")`,
    );

  const cidrText = raw(KUBE_OVN_KEYS.cidr);
  let cidr: Cidr | undefined;
  if (cidrText === undefined || cidrText === '')
    problem(KUBE_OVN_KEYS.cidr, 'is missing', `give the Subnet's CIDR, e.g. 10.66.0.0/24; ${writer}`);
  else {
    const parsed = parseCidr(cidrText);
    if (typeof parsed === 'string')
      problem(
        KUBE_OVN_KEYS.cidr,
        cidrText.includes(',') ? 'is dual-stack' : parsed,
        "give one IPv4 CIDR such as 10.66.0.0/24 (virtkit's data plane wires IPv4 subnets only)",
      );
    else if (parsed.family !== 'ipv4')
      problem(
        KUBE_OVN_KEYS.cidr,
        'is IPv6',
        "virtkit's data plane wires IPv4 subnets only; put the VM on an IPv4 Subnet",
      );
    else if (parsed.prefix > 30)
      problem(
        KUBE_OVN_KEYS.cidr,
        'leaves no address for a pod beside the gateway',
        'give the Subnet a prefix of /30 or wider',
      );
    else cidr = parsed;
  }

  const inCidr = (k: string, what: string): string | undefined => {
    const v = raw(k);
    if (v === undefined || v === '') {
      problem(k, 'is missing', `give the ${what}; ${writer}`);
      return undefined;
    }
    if (!isIPv4(v)) {
      problem(
        k,
        v.includes(',') || v.includes(':')
          ? "is not one IPv4 address (virtkit's data plane wires IPv4 only; dual-stack and IPv6 are not supported yet)"
          : 'is not an IPv4 address',
        `give the ${what} as one IPv4 address, e.g. 10.66.0.5`,
      );
      return undefined;
    }
    if (cidr && !cidrContains(cidr, v)) {
      problem(k, `is outside the subnet's CIDR ${cidr.text}`, `give an address inside ${cidr.text}`);
      return undefined;
    }
    return v;
  };
  const ip = inCidr(KUBE_OVN_KEYS.ipAddress, "pod's address");
  const gateway = inCidr(KUBE_OVN_KEYS.gateway, "subnet's gateway");
  if (ip !== undefined && gateway !== undefined && ip === gateway)
    problem(
      KUBE_OVN_KEYS.ipAddress,
      'is the gateway address',
      'give the pod an address other than the gateway',
    );
  else if (ip !== undefined && cidr) {
    const hostBits = 32 - cidr.prefix;
    const offset = ipv4Number(ip) % 2 ** hostBits;
    if (offset === 0 || offset === 2 ** hostBits - 1)
      problem(
        KUBE_OVN_KEYS.ipAddress,
        `is the ${offset === 0 ? 'network' : 'broadcast'} address of ${cidr.text}`,
        'give the pod a host address of the subnet',
      );
  }

  const macText = raw(KUBE_OVN_KEYS.macAddress);
  let mac: string | undefined;
  if (macText === undefined || macText === '')
    problem(KUBE_OVN_KEYS.macAddress, 'is missing', `give the pod's MAC, e.g. 00:00:00:1a:2b:3c; ${writer}`);
  else if (!MAC.test(macText))
    problem(
      KUBE_OVN_KEYS.macAddress,
      'is not a MAC address',
      'write six hexadecimal octets separated by ":", e.g. 00:00:00:1a:2b:3c',
    );
  else if (parseInt(macText.slice(0, 2), 16) % 2 === 1 || /^(00:){5}00$/.test(macText))
    problem(
      KUBE_OVN_KEYS.macAddress,
      'is not a unicast MAC address (multicast bit set, or all zeros)',
      'give a unicast MAC (the first octet even), e.g. 00:00:00:1a:2b:3c',
    );
  else mac = macText.toLowerCase();

  const nat = raw(KUBE_OVN_KEYS.natOutgoing);
  if (nat !== undefined && nat !== 'true' && nat !== 'false')
    problem(
      KUBE_OVN_KEYS.natOutgoing,
      'is not "true" or "false"',
      'write "true" or "false" (absent is false)',
    );

  const mtuText = raw(KUBE_OVN_KEYS.mtu);
  let mtu: number | undefined;
  if (mtuText !== undefined) {
    mtu = /^\d{1,5}$/.test(mtuText) ? Number(mtuText) : NaN;
    if (!(mtu >= 68 && mtu <= 65535))
      problem(KUBE_OVN_KEYS.mtu, 'is not an MTU', 'write a whole number from 68 to 65535, or leave it out');
  }

  if (problems.length > 0) throw new KubeOvnAllocationError(pod, provider, problems);
  const c = cidr as Cidr;
  return {
    provider,
    subnet: subnet as string,
    ip: ip as string,
    cidr: c.text,
    prefix: c.prefix,
    gateway: gateway as string,
    mac: mac as string,
    natOutgoing: nat === 'true',
    ...(mtu !== undefined ? { mtu } : {}),
    ...(underlay ? { underlay } : {}),
  };
}

/**
 * The underlay annotations: undefined for an overlay Subnet (neither present), 0 for VLAN 0,
 * else the VLAN; problems go to `problem` (one without the other, a bad id or name).
 */
function readUnderlay(
  raw: (k: string) => string | undefined,
  problem: (k: string, message: string, fix: string) => void,
): KubeOvnUnderlay | 0 | undefined {
  const idText = raw(KUBE_OVN_KEYS.vlanId);
  const pn = raw(KUBE_OVN_KEYS.providerNetwork);
  const has = (v: string | undefined): v is string => v !== undefined && v !== '';
  if (!has(idText) && !has(pn)) return undefined;
  const writer =
    "the controller writes both from the Subnet's Vlan (spec.id, spec.provider); recreate the pod";
  let vlanId: number | undefined;
  if (!has(idText)) problem(KUBE_OVN_KEYS.vlanId, 'is missing beside provider_network', writer);
  else if (!/^\d{1,4}$/.test(idText) || Number(idText) > 4094)
    problem(KUBE_OVN_KEYS.vlanId, 'is not a VLAN id', `write a whole number from 1 to 4094; ${writer}`);
  else vlanId = Number(idText);
  if (!has(pn)) problem(KUBE_OVN_KEYS.providerNetwork, 'is missing beside vlan_id', writer);
  else if (!SUBNET_NAME.test(pn) || pn.length > 253)
    problem(
      KUBE_OVN_KEYS.providerNetwork,
      'is not a ProviderNetwork name',
      `write the name of a kubeovn.io/v1 ProviderNetwork (a DNS-1123 subdomain); ${writer}`,
    );
  if (vlanId === 0) return 0;
  return vlanId !== undefined && has(pn) && SUBNET_NAME.test(pn) && pn.length <= 253
    ? { vlanId, providerNetwork: pn }
    : undefined;
}
