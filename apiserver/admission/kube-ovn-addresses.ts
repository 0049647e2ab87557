/**
 * Fixed Kube-OVN addresses checked at admission: a VirtualMachine whose template annotations (or
 * a VirtualMachineInstance whose annotations) ask for `<provider>.kubernetes.io/ip_address` or
 * `mac_address` is refused when the address cannot be given: outside the Subnet's block, in its
 * excludeIps, its gateway, already held by another VM's IP object, or a Subnet named by
 * logical_switch that does not exist; an `ip_pool` naming an IPPool that does not exist or
 * belongs to another Subnet, or listing no IPv4 address, is refused too. The same IPAM rules (api/kubeovn/ipam/) run again when
 * the controller allocates, which also catches what changed in between (a VMI condition then).
 *
 * Checked on create, and on update only when those annotations change, so a running VM that
 * holds its address is never refused for it. A VMI that a VM controls is not checked: its VM was. A fixed address on a network no Subnet serves is
 * left alone (the cluster may run the real Kube-OVN, or none).
 */
import {
  addressScope,
  allocateAddress,
  ipObjectName,
  KUBE_OVN_KEYS,
  KubeOvnAddressError,
  selectSubnet,
} from '../../api/kubeovn/ipam';
import type { IP, IPPool, Subnet } from '../../api/kubeovn/v1';
import type { AdmissionRequest, StatusCause } from './review';

/** Reads the cluster's Subnets, IP objects and IPPools (none when Kube-OVN's CRDs are not installed). */
export interface KubeOvnLookup {
  subnets(): Promise<readonly Subnet[]>;
  ips(): Promise<readonly IP[]>;
  pools(): Promise<readonly IPPool[]>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;

const SUFFIXES = [
  KUBE_OVN_KEYS.ipAddress,
  KUBE_OVN_KEYS.macAddress,
  KUBE_OVN_KEYS.logicalSwitch,
  KUBE_OVN_KEYS.ipPool,
].map((k) => `.kubernetes.io/${k}`);

/** The annotations that decide addresses, with where they live in the object. */
function addressAnnotations(
  object: Json | null | undefined,
  kind: string | undefined,
): { path: string; annotations: Record<string, string> } | undefined {
  if (!object) return undefined;
  const meta =
    kind === 'VirtualMachine'
      ? obj(obj(obj(object.spec)?.template)?.metadata)
      : kind === 'VirtualMachineInstance'
        ? obj(object.metadata)
        : undefined;
  const path = kind === 'VirtualMachine' ? 'spec.template.metadata.annotations' : 'metadata.annotations';
  const raw = obj(meta?.annotations) ?? {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') annotations[k] = v;
  return { path, annotations };
}

function relevant(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).filter(([k]) => SUFFIXES.some((s) => k.endsWith(s))));
}

/** The name in a VMI's controlling VirtualMachine ownerReference. */
function controllingVm(object: Json): string | undefined {
  const refs = obj(object.metadata)?.ownerReferences;
  const vm = (Array.isArray(refs) ? (refs as Json[]) : []).find(
    (r) => r.controller === true && r.kind === 'VirtualMachine',
  );
  return typeof vm?.name === 'string' ? vm.name : undefined;
}

/** Whose address it is: the VM (a standalone VMI is its own owner; a VM's VMI is not checked). */
function ownerName(object: Json): string {
  const name = obj(object.metadata)?.name;
  return typeof name === 'string' ? name : '';
}

/** The refusals for `request`'s fixed Kube-OVN addresses (none when nothing asks for one). */
export async function kubeOvnAddressCauses(
  request: AdmissionRequest,
  lookup: KubeOvnLookup,
): Promise<StatusCause[]> {
  const kind = request.kind?.kind;
  if (kind !== 'VirtualMachine' && kind !== 'VirtualMachineInstance') return [];
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return [];
  const now = addressAnnotations(request.object, kind);
  if (!now || !request.object) return [];
  // A VM's VMI claims nothing new: the VM's address was checked when the VM was written, and
  // what changed since (another stopped VM took it first) is the controller's to report on the
  // VMI, which then waits for the address instead of failing to exist.
  if (kind === 'VirtualMachineInstance' && controllingVm(request.object) !== undefined) return [];
  const asked = relevant(now.annotations);
  if (Object.keys(asked).length === 0) return [];
  if (request.operation === 'UPDATE') {
    const before = relevant(addressAnnotations(request.oldObject, kind)?.annotations ?? {});
    if (JSON.stringify(Object.entries(before).sort()) === JSON.stringify(Object.entries(asked).sort()))
      return [];
  }
  const providers = new Set(Object.keys(asked).map((k) => k.slice(0, k.indexOf('.kubernetes.io/'))));
  const subnets = await lookup.subnets();
  if (subnets.length === 0) return [];
  const ips = await lookup.ips();
  const pools = await lookup.pools();
  const namespace =
    request.namespace ?? (obj(request.object.metadata)?.namespace as string | undefined) ?? 'default';
  const owner = ownerName(request.object);
  const causes: StatusCause[] = [];
  for (const provider of [...providers].sort()) {
    const key = (k: string) => `${provider}.kubernetes.io/${k}`;
    const field = (k: string) => `${now.path}[${key(k)}]`;
    try {
      const subnet = selectSubnet({ provider, annotations: now.annotations, namespace, subnets, pools });
      if (!subnet) continue;
      const scope = addressScope({ provider, annotations: now.annotations, namespace, subnet, pools });
      allocateAddress({
        subnet,
        ipName: ipObjectName(owner, namespace, provider),
        ipField: `annotation ${key(KUBE_OVN_KEYS.ipAddress)}`,
        macField: `annotation ${key(KUBE_OVN_KEYS.macAddress)}`,
        requestedIp: now.annotations[key(KUBE_OVN_KEYS.ipAddress)],
        requestedMac: now.annotations[key(KUBE_OVN_KEYS.macAddress)],
        scope,
        ips,
        randomMac: () => '00:00:00:00:00:00',
      });
    } catch (e) {
      if (!(e instanceof KubeOvnAddressError)) throw e;
      // A full subnet is the controller's to report when it allocates: the VM may wait for room.
      if (e.reason === 'NoAvailableAddress') continue;
      const which =
        e.reason === 'IPPoolNotFound' ||
        e.reason === 'IPPoolMismatch' ||
        e.message.startsWith(`annotation ${key(KUBE_OVN_KEYS.ipPool)}`)
          ? KUBE_OVN_KEYS.ipPool
          : e.reason === 'SubnetNotFound'
            ? KUBE_OVN_KEYS.logicalSwitch
            : e.message.includes(KUBE_OVN_KEYS.macAddress)
              ? KUBE_OVN_KEYS.macAddress
              : KUBE_OVN_KEYS.ipAddress;
      causes.push({ type: 'FieldValueInvalid', field: field(which), message: `${e.reason}: ${e.message}` });
    }
  }
  return causes;
}
