/**
 * The pod-network bindings a launcher asks its handler to wire (cluster mode), checked before
 * anything runs (pure). The launcher plans them (launcher/plan/, from the VMI and its pod
 * interface as it found it) but has no NET_ADMIN; the handler performs the steps
 * (launcher/network/binding-steps.ts) in the pod's network namespace only. The launcher is not
 * trusted with more than its own namespace: every field the steps put into an `ip` argument or
 * the nft ruleset is checked here against its expected shape, and the tap's owner is the
 * launcher's own uid, never a value it sends.
 */
import type { PlannedBinding } from '../../launcher/plan/types';

export class BindingRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BindingRequestError';
  }
}

/** Linux interface names: at most 15 bytes; these are the planner's own (eth0, pod<hash>, k6t-*, tap*). */
const IFNAME = /^[a-z][a-z0-9-]{0,14}$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/i;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function cidr(v: unknown): v is { ip: string; prefixLength: number } {
  return isObject(v) && typeof v.ip === 'string' && IPV4.test(v.ip) && intIn(v.prefixLength, 0, 32);
}

/** The problems of one requested binding, each naming its field (empty: it can be wired). */
export function bindingProblems(b: unknown, at: string): string[] {
  if (!isObject(b)) return [`${at}: not an object`];
  const p: string[] = [];
  const bad = (field: string, want: string): void => {
    p.push(`${at}.${field} = ${JSON.stringify(b[field])}: ${want}`);
  };
  if (b.kind !== 'masquerade' && b.kind !== 'bridge') bad('kind', 'masquerade or bridge');
  for (const f of ['podInterface', 'bridge', 'tap'])
    if (typeof b[f] !== 'string' || !IFNAME.test(b[f] as string))
      bad(f, 'an interface name (a-z, 0-9, -; at most 15)');
  if (typeof b.bridge === 'string' && !b.bridge.startsWith('k6t-')) bad('bridge', 'a bridge named k6t-*');
  if (typeof b.tap === 'string' && !b.tap.startsWith('tap')) bad('tap', 'a tap named tap*');
  if (b.queues !== undefined && !intIn(b.queues, 1, 256)) bad('queues', 'a whole number 1..256');
  if (!intIn(b.mtu, 68, 65535)) bad('mtu', 'a whole number 68..65535');
  if (typeof b.guestMac !== 'string' || !MAC.test(b.guestMac)) bad('guestMac', 'a lower-case MAC address');
  if (b.podMac !== undefined && (typeof b.podMac !== 'string' || !MAC.test(b.podMac)))
    bad('podMac', 'a lower-case MAC address');
  if (typeof b.serverIp !== 'string' || !IPV4.test(b.serverIp)) bad('serverIp', 'an IPv4 address');
  if (b.guest !== undefined && !cidr(b.guest)) bad('guest', 'an IPv4 address with its prefix length');
  if (b.kind === 'masquerade' && b.guest === undefined)
    bad('guest', 'an address (masquerade always has one)');
  if (b.podAddress !== undefined && !cidr(b.podAddress))
    bad('podAddress', 'an IPv4 address with its prefix length');
  if (
    !Array.isArray(b.ports) ||
    !b.ports.every(
      (x: unknown) =>
        isObject(x) &&
        (x.protocol === 'tcp' || x.protocol === 'udp') &&
        intIn(x.port, 1, 65535) &&
        (x.end === undefined || (intIn(x.end, 1, 65535) && x.end >= x.port)),
    )
  )
    bad('ports', 'a list of {protocol: tcp|udp, port: 1..65535, end?: port..65535}');
  if (typeof b.hostname !== 'string' || !HOSTNAME.test(b.hostname)) bad('hostname', 'a host name');
  return p;
}

/** The checked bindings of a launcher's request file, or an error naming every bad field. */
export function checkedBindings(request: unknown, subject: string): PlannedBinding[] {
  const list = isObject(request) ? request.bindings : undefined;
  if (!Array.isArray(list))
    throw new BindingRequestError(`${subject}: the network request has no bindings list`);
  const problems = list.flatMap((b, i) => bindingProblems(b, `bindings[${i}]`));
  if (problems.length)
    throw new BindingRequestError(`${subject}: refused network request: ${problems.join('; ')}`);
  return list as PlannedBinding[];
}
