/**
 * Kube-OVN's IPAM for launcher pods, in the controller (Kube-OVN's kube-ovn-controller role):
 * before a launcher pod is created, each interface Kube-OVN serves gets its address and MAC
 * from its Subnet, kept in an IP object named after the VM (so the address outlives the pod:
 * stop/start and restart give it back), and written on the pod as Kube-OVN's allocation
 * annotations, which the node handler's data plane reads. IP objects go when their VM (or
 * standalone VMI) goes; Subnet status counts what is allocated.
 *
 * Allocations are made one at a time in this process (the controller is leader-elected), from a
 * fresh list of IP objects, so two VMIs never get one address.
 */
import { randomBytes } from 'crypto';
import { isDeepStrictEqual } from 'util';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { IP, IPPool, Subnet, Vlan } from '../../api/kubeovn/v1';
import {
  addressScope,
  allocateAddress,
  allocationAnnotations,
  ipPoolV4Usage,
  ipObjectName,
  IP_MANAGED_BY,
  IP_MANAGED_BY_LABEL,
  IP_OWNER_KIND_ANNOTATION,
  KUBE_OVN_KEYS,
  KubeOvnAddressError,
  kubeOvnAnnotationKey,
  renderIpObject,
  selectSubnet,
  subnetV4Usage,
  type IpOwner,
  type UnderlayInfo,
} from '../../api/kubeovn/ipam';
import {
  isNotFound,
  KUBE_OVN_IPPOOLS,
  KUBE_OVN_IPS,
  KUBE_OVN_SUBNETS,
  KUBE_OVN_VLANS,
  listOrNone,
  NETWORK_ATTACHMENT_DEFINITIONS,
  type KubeClient,
} from '../../kube';
import { kubeOvnInterfaces, kubeOvnProviderOf, type NadRef } from './interfaces';

export interface KubeOvnIpamOptions {
  /**
   * false: never allocate (`--no-kube-ovn-ipam`). true: allocate unless `detectRealKubeOvn` finds
   * the real Kube-OVN running, which allocates itself. @default true
   */
  readonly enabled?: boolean;
  /**
   * Asked by `detect()`: where the real Kube-OVN's controller runs, or undefined when it does not.
   * @default never found
   */
  readonly detectRealKubeOvn?: () => Promise<string | undefined>;
  /** @default 00:00:00 followed by three random bytes, as Kube-OVN makes them */
  readonly randomMac?: () => string;
}

export function kubeOvnRandomMac(): string {
  return `00:00:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** Whose life an allocation follows: the VMI's controlling VM, else the VMI itself. */
export function ipOwnerOf(vmi: VirtualMachineInstance): IpOwner {
  const namespace = vmi.metadata?.namespace ?? 'default';
  const vm = vmi.metadata?.ownerReferences?.find(
    (r) => r.controller && r.kind === 'VirtualMachine' && r.apiVersion.startsWith('kubevirt.io/'),
  );
  return vm
    ? { kind: 'VirtualMachine', name: vm.name, namespace }
    : { kind: 'VirtualMachineInstance', name: vmi.metadata?.name ?? '', namespace };
}

export class KubeOvnIpam {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: KubeClient,
    private readonly options: KubeOvnIpamOptions = {},
  ) {}

  /** The real Kube-OVN controller this IPAM stepped aside for (`detect()`), if any. */
  private deferringTo: string | undefined;

  /** Whether this IPAM allocates: configured on, and no real Kube-OVN found by the last `detect()`. */
  get enabled(): boolean {
    return (this.options.enabled ?? true) && this.deferringTo === undefined;
  }

  /** Whether it may ever allocate (not switched off by configuration). */
  get configured(): boolean {
    return this.options.enabled ?? true;
  }

  /** The real Kube-OVN controller it leaves allocation to, if one was found. */
  get deferredTo(): string | undefined {
    return this.deferringTo;
  }

  /**
   * Look for the real Kube-OVN again; returns whether that changed what this IPAM does. An error
   * (no right to list pods cluster-wide, say) leaves the last answer in place and is thrown.
   */
  async detect(): Promise<boolean> {
    if (!this.configured || !this.options.detectRealKubeOvn) return false;
    const found = await this.options.detectRealKubeOvn();
    const changed = found !== this.deferringTo;
    this.deferringTo = found;
    return changed;
  }

  /** One operation at a time (allocations read and write the same IP objects). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async nadProvider(ref: NadRef): Promise<string | undefined> {
    const nad = await this.client.getIfExists<{ spec?: { config?: unknown } }>(
      NETWORK_ATTACHMENT_DEFINITIONS,
      ref.namespace,
      ref.name,
    );
    return nad ? kubeOvnProviderOf(nad.spec?.config, ref) : undefined;
  }

  private async underlayOf(subnet: Subnet): Promise<UnderlayInfo | undefined> {
    const name = subnet.spec?.vlan;
    if (!name) return undefined;
    const vlan = await this.client.getIfExists<Vlan>(KUBE_OVN_VLANS, undefined, name);
    if (!vlan)
      throw new KubeOvnAddressError(
        'InvalidSubnet',
        `Subnet ${subnet.metadata?.name ?? ''} spec.vlan names Vlan ${JSON.stringify(name)}, which does not exist; create the Vlan or clear spec.vlan`,
      );
    return { vlanId: vlan.spec?.id ?? vlan.spec?.vlanId ?? 0, providerNetwork: vlan.spec?.provider ?? '' };
  }

  /**
   * The Kube-OVN allocation annotations for `vmi`'s launcher pod, whose annotations so far are
   * `podAnnotations` (the VMI's, carrying any fixed ip_address / mac_address / logical_switch).
   * Empty when Kube-OVN serves none of its interfaces. Throws KubeOvnAddressError.
   */
  podAnnotations(
    vmi: VirtualMachineInstance,
    podAnnotations: Readonly<Record<string, string>>,
  ): Promise<Record<string, string>> {
    if (!this.enabled) return Promise.resolve({});
    return this.serial(async () => {
      const interfaces = await kubeOvnInterfaces(vmi, (ref) => this.nadProvider(ref));
      if (interfaces.length === 0) return {};
      const subnets = await listOrNone<Subnet>(this.client, KUBE_OVN_SUBNETS);
      const pools = await listOrNone<IPPool>(this.client, KUBE_OVN_IPPOOLS);
      const namespace = vmi.metadata?.namespace ?? 'default';
      const chosen = interfaces.flatMap((i) => {
        const subnet = selectSubnet({
          provider: i.provider,
          annotations: podAnnotations,
          namespace,
          subnets,
          pools,
        });
        return subnet ? [{ ...i, subnet }] : [];
      });
      if (chosen.length === 0) return {};
      const ips = await listOrNone<IP>(this.client, KUBE_OVN_IPS);
      const owner = ipOwnerOf(vmi);
      const out: Record<string, string> = {};
      for (const c of chosen) {
        const key = (k: string) => kubeOvnAnnotationKey(c.provider, k);
        const ipName = ipObjectName(owner.name, namespace, c.provider);
        const allocation = allocateAddress({
          subnet: c.subnet,
          ipName,
          ipField: `annotation ${key(KUBE_OVN_KEYS.ipAddress)}`,
          macField: `annotation ${key(KUBE_OVN_KEYS.macAddress)}`,
          requestedIp: podAnnotations[key(KUBE_OVN_KEYS.ipAddress)],
          requestedMac: podAnnotations[key(KUBE_OVN_KEYS.macAddress)],
          scope: addressScope({
            provider: c.provider,
            annotations: podAnnotations,
            namespace,
            subnet: c.subnet,
            pools,
          }),
          ips,
          randomMac: this.options.randomMac ?? kubeOvnRandomMac,
        });
        const underlay = await this.underlayOf(c.subnet);
        const desired = renderIpObject(ipName, owner, allocation);
        const existing = ips.find((i) => i.metadata?.name === ipName);
        const stored = await this.writeIp(desired, existing);
        ips.splice(existing ? ips.indexOf(existing) : ips.length, existing ? 1 : 0, stored);
        Object.assign(out, allocationAnnotations(c.provider, allocation, c.subnet, underlay));
      }
      return out;
    });
  }

  private async writeIp(desired: IP, existing: IP | undefined): Promise<IP> {
    const name = desired.metadata?.name ?? '';
    if (!existing) return this.client.create<IP>(KUBE_OVN_IPS, undefined, desired);
    if (
      isDeepStrictEqual(existing.spec, desired.spec) &&
      existing.metadata?.labels?.[IP_MANAGED_BY_LABEL] === IP_MANAGED_BY
    )
      return existing;
    return this.client.replace<IP>(KUBE_OVN_IPS, undefined, name, {
      ...desired,
      metadata: {
        ...desired.metadata,
        labels: { ...existing.metadata?.labels, ...desired.metadata?.labels },
        annotations: { ...existing.metadata?.annotations, ...desired.metadata?.annotations },
        resourceVersion: existing.metadata?.resourceVersion,
      },
    });
  }

  /**
   * Release the addresses whose VM (or standalone VMI) is gone, and bring each Subnet's and
   * IPPool's IPv4 using / available counts up to date. Level-triggered: run it periodically.
   */
  gc(ownerExists: (owner: IpOwner) => boolean): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return this.serial(async () => {
      const subnets = await listOrNone<Subnet>(this.client, KUBE_OVN_SUBNETS);
      let ips = await listOrNone<IP>(this.client, KUBE_OVN_IPS);
      const gone: IP[] = [];
      for (const ip of ips) {
        if (ip.metadata?.labels?.[IP_MANAGED_BY_LABEL] !== IP_MANAGED_BY) continue;
        const kind = ip.metadata.annotations?.[IP_OWNER_KIND_ANNOTATION];
        if (kind !== 'VirtualMachine' && kind !== 'VirtualMachineInstance') continue;
        if (ownerExists({ kind, name: ip.spec?.podName ?? '', namespace: ip.spec?.namespace ?? '' }))
          continue;
        try {
          await this.client.delete(KUBE_OVN_IPS, undefined, ip.metadata.name ?? '', {
            uid: ip.metadata.uid,
          });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        gone.push(ip);
      }
      ips = ips.filter((i) => !gone.includes(i));
      for (const s of subnets) {
        let usage: { using: number; available: number };
        try {
          usage = subnetV4Usage(s, ips);
        } catch {
          continue; // a subnet without an IPv4 block has no IPv4 counts
        }
        if (s.status?.v4usingIPs === usage.using && s.status.v4availableIPs === usage.available) continue;
        try {
          await this.client.updateStatus<Subnet>(KUBE_OVN_SUBNETS, undefined, s.metadata?.name ?? '', {
            ...s,
            status: { ...s.status, v4usingIPs: usage.using, v4availableIPs: usage.available },
          });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      for (const p of await listOrNone<IPPool>(this.client, KUBE_OVN_IPPOOLS)) {
        const subnet = subnets.find((s) => s.metadata?.name === p.spec?.subnet);
        if (!subnet) continue;
        let usage: { using: number; available: number };
        try {
          usage = ipPoolV4Usage(p, subnet, ips);
        } catch {
          continue;
        }
        if (p.status?.v4UsingIPs === usage.using && p.status.v4AvailableIPs === usage.available) continue;
        try {
          await this.client.updateStatus<IPPool>(KUBE_OVN_IPPOOLS, undefined, p.metadata?.name ?? '', {
            ...p,
            status: { ...p.status, v4UsingIPs: usage.using, v4AvailableIPs: usage.available },
          });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    });
  }
}
