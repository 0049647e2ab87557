/**
 * Wire types of the QEMU guest agent protocol (QAPI names, as the agent sends them) and the
 * launcher's own camelCase view of what it learned from the agent (GuestInfo).
 */
import type {
  GuestAgentCommandInfo,
  VirtualMachineInstanceFileSystem,
  VirtualMachineInstanceGuestOSUser,
} from '../../api/kubevirt/v1/vmi-subresources';

/** `guest-get-osinfo` answer; every member is optional (os-release may be missing). */
export interface QgaOsInfo {
  readonly 'kernel-release'?: string;
  readonly 'kernel-version'?: string;
  readonly machine?: string;
  readonly id?: string;
  readonly name?: string;
  readonly 'pretty-name'?: string;
  readonly version?: string;
  readonly 'version-id'?: string;
  readonly variant?: string;
  readonly 'variant-id'?: string;
}

/** `guest-get-host-name` answer. */
export interface QgaHostName {
  readonly 'host-name': string;
}

/** `guest-get-timezone` answer; offset in seconds east of UTC. */
export interface QgaTimezone {
  readonly zone?: string;
  readonly offset: number;
}

/** One address of a `guest-network-get-interfaces` entry. */
export interface QgaIpAddress {
  readonly 'ip-address-type'?: string;
  readonly 'ip-address'?: string;
  readonly prefix?: number;
}

/** One entry of `guest-network-get-interfaces` (statistics, which the agent may add, are not read). */
export interface QgaNetworkInterface {
  readonly name?: string;
  readonly 'hardware-address'?: string;
  readonly 'ip-addresses'?: readonly QgaIpAddress[];
}

/** One line from the agent: a reply with `return` or `error`. */
export interface QgaReply {
  readonly return?: unknown;
  readonly error?: { readonly class?: string; readonly desc?: string };
}

/** Guest operating system facts, named the way KubeVirt's VMI status names them. */
export interface GuestOsInfo {
  readonly id?: string;
  readonly name?: string;
  readonly prettyName?: string;
  readonly version?: string;
  readonly versionId?: string;
  readonly variant?: string;
  readonly variantId?: string;
  readonly kernelRelease?: string;
  readonly kernelVersion?: string;
  readonly machine?: string;
}

/** A network interface as the guest sees it (the agent's `guest-network-get-interfaces`). */
export interface GuestNetworkInterface {
  /** The guest's name for it (eth0). */
  readonly name: string;
  /** Lower case; absent for an interface without one (a tunnel). */
  readonly mac?: string;
  /** In the order the guest lists them. */
  readonly ipAddresses: readonly GuestIpAddress[];
}

export interface GuestIpAddress {
  readonly type: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly prefix?: number;
}

/** What `GET /v1/guest-info` answers. */
export interface GuestInfo {
  /** Whether an agent answered the last poll. */
  readonly connected: boolean;
  readonly osInfo?: GuestOsInfo;
  readonly hostname?: string;
  readonly timezone?: { readonly zone?: string; readonly offsetSeconds: number };
  /** The guest's network interfaces (loopback included, as the agent lists it); absent when the agent lacks the command. */
  readonly interfaces?: readonly GuestNetworkInterface[];
  /** When the agent was last asked (RFC 3339), absent before the first poll. */
  readonly checkedAt?: string;
}

/** Pure: the agent's QAPI answer in the launcher's (KubeVirt's) field names; empty members dropped. */
export function toGuestOsInfo(raw: QgaOsInfo): GuestOsInfo {
  const pairs: [keyof GuestOsInfo, string | undefined][] = [
    ['id', raw.id],
    ['name', raw.name],
    ['prettyName', raw['pretty-name']],
    ['version', raw.version],
    ['versionId', raw['version-id']],
    ['variant', raw.variant],
    ['variantId', raw['variant-id']],
    ['kernelRelease', raw['kernel-release']],
    ['kernelVersion', raw['kernel-version']],
    ['machine', raw.machine],
  ];
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) if (typeof v === 'string' && v !== '') out[k] = v;
  return out as GuestOsInfo;
}

/**
 * Pure: `guest-network-get-interfaces` in the launcher's names. Entries without a name and
 * addresses without a known type or text are dropped; MACs are lower-cased so they compare
 * with the domain's.
 */
export function toGuestInterfaces(raw: readonly QgaNetworkInterface[] | undefined): GuestNetworkInterface[] {
  return (Array.isArray(raw) ? raw : [])
    .filter((i) => i && typeof i.name === 'string' && i.name !== '')
    .map((i) => {
      const mac = typeof i['hardware-address'] === 'string' ? i['hardware-address'].toLowerCase() : '';
      const addrs = (Array.isArray(i['ip-addresses']) ? i['ip-addresses'] : []).flatMap(
        (a): GuestIpAddress[] => {
          const type = a?.['ip-address-type'];
          const address = a?.['ip-address'];
          if ((type !== 'ipv4' && type !== 'ipv6') || typeof address !== 'string' || address === '')
            return [];
          return [{ type, address, ...(typeof a.prefix === 'number' ? { prefix: a.prefix } : {}) }];
        },
      );
      return { name: i.name!, ...(mac ? { mac } : {}), ipAddresses: addrs };
    });
}

/** `guest-info` answer: the agent's version and the commands it knows. */
export interface QgaAgentInfo {
  readonly version?: string;
  readonly supported_commands?: readonly { name?: string; enabled?: boolean }[];
}

/** One entry of `guest-get-users`: login time in seconds since the epoch. */
export interface QgaUser {
  readonly user?: string;
  readonly domain?: string;
  readonly 'login-time'?: number;
}

/** One entry of `guest-get-fsinfo` (byte counts only for filesystems the agent can stat). */
export interface QgaFsInfo {
  readonly name?: string;
  readonly mountpoint?: string;
  readonly type?: string;
  readonly 'used-bytes'?: number;
  readonly 'total-bytes'?: number;
}

/** Pure: `guest-get-users` in KubeVirt's names (entries without a user name dropped). */
export function toGuestUsers(raw: readonly QgaUser[] | undefined): VirtualMachineInstanceGuestOSUser[] {
  return (Array.isArray(raw) ? raw : [])
    .filter((u) => typeof u?.user === 'string' && u.user !== '')
    .map((u) => ({
      userName: u.user!,
      ...(typeof u.domain === 'string' && u.domain ? { domain: u.domain } : {}),
      ...(typeof u['login-time'] === 'number' ? { loginTime: u['login-time'] } : {}),
    }));
}

/** Pure: `guest-get-fsinfo` in KubeVirt's names (missing counts are 0, as KubeVirt reports them). */
export function toGuestFilesystems(
  raw: readonly QgaFsInfo[] | undefined,
): VirtualMachineInstanceFileSystem[] {
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return (Array.isArray(raw) ? raw : [])
    .filter((f) => f && typeof f === 'object')
    .map((f) => ({
      diskName: typeof f.name === 'string' ? f.name : '',
      mountPoint: typeof f.mountpoint === 'string' ? f.mountpoint : '',
      fileSystemType: typeof f.type === 'string' ? f.type : '',
      usedBytes: num(f['used-bytes']),
      totalBytes: num(f['total-bytes']),
    }));
}

/** Pure: `guest-info`'s commands in KubeVirt's names. */
export function toSupportedCommands(raw: QgaAgentInfo | undefined): GuestAgentCommandInfo[] {
  const list = Array.isArray(raw?.supported_commands) ? raw.supported_commands : [];
  return list
    .filter((c) => typeof c?.name === 'string' && c.name !== '')
    .map((c) => ({ name: c.name!, ...(c.enabled ? { enabled: true } : {}) }));
}
