/**
 * The bodies and answers of KubeVirt's VirtualMachineInstance subresources that act on the
 * guest (subresources.kubevirt.io/v1): PauseOptions / UnpauseOptions, FreezeUnfreezeTimeout,
 * and the guest agent's answers VirtualMachineInstanceGuestAgentInfo (`guestosinfo`),
 * VirtualMachineInstanceGuestOSUserList (`userlist`) and VirtualMachineInstanceFileSystemList
 * (`filesystemlist`), with KubeVirt's field names. Pure: the readers answer a value or the
 * reason it cannot be read.
 */
import type { VirtualMachineInstanceGuestOSInfo } from './vmi-status';

/** One command of the guest agent (`guest-info`'s supported_commands). */
export interface GuestAgentCommandInfo {
  readonly name: string;
  readonly enabled?: boolean;
}

/** One user logged in to the guest. */
export interface VirtualMachineInstanceGuestOSUser {
  readonly userName: string;
  readonly domain?: string;
  /** Seconds since the epoch, as the agent reports it. */
  readonly loginTime?: number;
}

/** One mounted filesystem of the guest. */
export interface VirtualMachineInstanceFileSystem {
  readonly diskName: string;
  readonly mountPoint: string;
  readonly fileSystemType: string;
  readonly usedBytes: number;
  readonly totalBytes: number;
}

/** What `GET .../virtualmachineinstances/{name}/guestosinfo` answers. */
export interface VirtualMachineInstanceGuestAgentInfo {
  readonly guestAgentVersion?: string;
  readonly supportedCommands?: readonly GuestAgentCommandInfo[];
  readonly hostname?: string;
  readonly os?: VirtualMachineInstanceGuestOSInfo;
  /** `<zone>, <offset in seconds>`, as KubeVirt formats it (`UTC, 0`). */
  readonly timezone?: string;
  /** The first users (KubeVirt lists at most 10 here; `userlist` has them all). */
  readonly userList?: readonly VirtualMachineInstanceGuestOSUser[];
  /** The first filesystems (at most 10; `filesystemlist` has them all). */
  readonly fsInfo?: { readonly disks: readonly VirtualMachineInstanceFileSystem[] };
  /** `frozen` or `thawed`. */
  readonly fsFreezeStatus?: string;
}

/** What `GET .../userlist` answers. */
export interface VirtualMachineInstanceGuestOSUserList {
  readonly metadata: Record<string, never>;
  readonly items: readonly VirtualMachineInstanceGuestOSUser[];
}

/** What `GET .../filesystemlist` answers. */
export interface VirtualMachineInstanceFileSystemList {
  readonly metadata: Record<string, never>;
  readonly items: readonly VirtualMachineInstanceFileSystem[];
}

/** How many users and filesystems `guestosinfo` carries (KubeVirt's limit). */
export const GUEST_AGENT_INFO_LIST_LIMIT = 10;

export type SubresourceBodyRead<T> = { readonly value: T } | { readonly problem: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * PauseOptions / UnpauseOptions `{dryRun: ["All"]}`: whether this is a dry run. An empty body
 * is no dry run; a dryRun other than a list of "All" is refused (the API server's own rule).
 */
export function readDryRunOptions(body: unknown): SubresourceBodyRead<{ dryRun: boolean }> {
  if (body === undefined || body === null) return { value: { dryRun: false } };
  if (!isObject(body)) return { problem: 'the request body must be a JSON object' };
  const d = body.dryRun;
  if (d === undefined || d === null) return { value: { dryRun: false } };
  if (!Array.isArray(d) || d.some((x) => x !== 'All'))
    return { problem: `dryRun must be ["All"] or left out, not ${JSON.stringify(d)}` };
  return { value: { dryRun: d.length > 0 } };
}

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Go's time.ParseDuration (what a metav1.Duration is read with): `300s`, `5m0s`, `1h30m`,
 * `1.5h`, `-2s`, `0`. Answers nanoseconds, or undefined when it does not parse.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (!s) return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]];
    at = re.lastIndex;
  }
  return sign * total;
}

/**
 * FreezeUnfreezeTimeout `{unfreezeTimeout: "5m0s"}`: the seconds after which the guest's
 * filesystems are thawed again by themselves (0: never; KubeVirt truncates to whole seconds).
 * KubeVirt's words for a missing body or value.
 */
export function readUnfreezeTimeout(body: unknown): SubresourceBodyRead<{ unfreezeTimeoutSeconds: number }> {
  if (body === undefined || body === null) return { problem: 'failed to retrieve unfreeze timeout' };
  if (!isObject(body)) return { problem: 'failed to unmarshal unfreeze timeout' };
  const raw = body.unfreezeTimeout;
  if (raw === undefined || raw === null) return { problem: 'Unfreeze timeout in freeze request is not set' };
  const ns = typeof raw === 'string' ? parseGoDuration(raw) : undefined;
  if (ns === undefined) return { problem: 'failed to unmarshal unfreeze timeout' };
  if (ns < 0) return { problem: `unfreezeTimeout must not be negative, not ${JSON.stringify(raw)}` };
  return { value: { unfreezeTimeoutSeconds: Math.trunc(ns / 1e9) } };
}

/** `<zone>, <offset>` as KubeVirt writes the guest's time zone. */
export function formatGuestTimezone(zone: string | undefined, offsetSeconds: number): string {
  return `${zone ?? ''}, ${offsetSeconds}`;
}
