/**
 * What the launcher's DHCP server answers, given a decoded request and its table of leases. Pure.
 *
 * Each lease is a fixed binding of one guest NIC (its MAC) to one address, as KubeVirt's
 * virt-launcher hands out for the masquerade and bridge bindings: there is no pool and no lease
 * state; the lease is infinite unless configured otherwise. Several servers may share one
 * broadcast segment, so a request from a MAC that is not in the table gets no answer at all.
 *
 * The answers (RFC 2131 section 4.3):
 *   DISCOVER → OFFER of the lease's address.
 *   REQUEST  → naming another server (option 54 not ours): silence, the client chose that one;
 *              asking for the lease's address (option 50, else ciaddr when renewing): ACK;
 *              asking for any other address, or none: NAK, so the client starts over.
 *   INFORM   → ACK with the configuration but no address and no lease time.
 *   DECLINE, RELEASE, anything else → no answer (the binding is fixed, nothing to free).
 *
 * OFFER and ACK (INFORM's too) carry every option the lease configures, whether or not the
 * client listed it in its parameter request list (option 55): KubeVirt's server does the same
 * (it answers with all its options, never a selection), and RFC 2131 section 4.3.1 allows a
 * server to send options the client did not ask for. So a guest sees the interface's
 * `dhcpOptions` (66 TFTP server name and 67 boot file name as text, 42 NTP servers as 4-byte
 * addresses, the private options 224..254 as the bytes of their UTF-8 value) without requesting
 * them; a client that wants only what it asked for ignores the rest.
 *
 * Unlike KubeVirt's server, a reply never outgrows what the client takes (option 57, at least
 * the 576 bytes every client must take): a longer one would be dropped whole (busybox udhcpc
 * advertises 576 and ignores an oversized packet), so the guest would get no address at all.
 * The dhcpOptions that do not fit are left out, each tried in turn; `omittedOptions` says which.
 */
import { isIP } from 'net';
import {
  BOOTREPLY,
  BOOTREQUEST,
  DhcpMessageType,
  DhcpOptionCode,
  HTYPE_ETHERNET,
  IP_UDP_HEADER_LENGTH,
  ipv4Bytes,
  MAX_OPTION_LENGTH,
  maxMessageSize,
  optionsLength,
  OPTIONS_OFFSET,
  PRIVATE_OPTION_MAX,
  PRIVATE_OPTION_MIN,
  messageType,
  parseIpv4,
  requestedIp,
  serverId,
  type DhcpMessage,
  type DhcpOption,
} from './packet';

export interface DhcpLease {
  /** The guest NIC's MAC, lower-case colon form. */
  mac: string;
  /** Address handed out. */
  ip: string;
  /** 0..32 → option 1 subnet mask. */
  prefixLength: number;
  /** Option 3. */
  router?: string;
  /** Option 6 (IPv4 only; other entries are skipped). */
  dns: readonly string[];
  /** Option 119, RFC 1035 name encoding without compression; skipped when empty. */
  searchDomains: readonly string[];
  /** Option 15 (KubeVirt sets the first search domain). */
  domainName?: string;
  /** Option 12. */
  hostname?: string;
  /** Option 26 (uint16), only when 68..65535. */
  mtu?: number;
  /** Option 54; siaddr stays 0.0.0.0. */
  serverId: string;
  /** Option 51; default 0xffffffff (infinite, as KubeVirt does); 58/59 only when finite. */
  leaseSeconds?: number;
  /**
   * Option 121, classless static routes (RFC 3442). Clients that take option 121 ignore option 3,
   * so when `router` is set and these routes have no default route, one via `router` is added.
   */
  routes?: readonly { destination: string; prefixLength: number; gateway: string }[];
  /** Option 66 (KubeVirt's dhcpOptions.tftpServerName), UTF-8 text; skipped when empty. */
  tftpServerName?: string;
  /** Option 67 (dhcpOptions.bootFileName), UTF-8 text; skipped when empty. */
  bootFileName?: string;
  /** Option 42 (dhcpOptions.ntpServers), dotted-quad IPv4 addresses; skipped when empty. */
  ntpServers?: readonly string[];
  /** Options 224..254 (dhcpOptions.privateOptions), each sent as the UTF-8 bytes of its value. */
  privateOptions?: readonly { option: number; value: string }[];
}

/** The lease time that means "forever" (RFC 2131 section 3.3). */
export const INFINITE_LEASE = 0xffffffff;

/** Leases that cannot be served; `problems` name each field and value. */
export class DhcpLeaseError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid DHCP lease configuration: ${problems.join('; ')}`);
    this.name = 'DhcpLeaseError';
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

/** Problems with one lease, each naming the field and its value; [] when it can be served. */
export function checkLease(lease: DhcpLease): string[] {
  const problems: string[] = [];
  const who = `lease ${JSON.stringify(lease.mac)}`;
  const bad = (field: string, value: unknown, why: string) =>
    problems.push(`${who}: ${field} ${JSON.stringify(value)} ${why}`);
  const ipv4 = (field: string, value: string | undefined) => {
    if (value !== undefined && !parseIpv4(value)) bad(field, value, 'is not a dotted-quad IPv4 address');
  };

  if (!MAC.test(lease.mac)) bad('mac', lease.mac, 'is not a MAC address like aa:bb:cc:dd:ee:ff');
  else if (parseInt(lease.mac.slice(0, 2), 16) & 1)
    bad('mac', lease.mac, 'is a multicast address, not a NIC');
  ipv4('ip', lease.ip);
  if (!Number.isInteger(lease.prefixLength) || lease.prefixLength < 0 || lease.prefixLength > 32)
    bad('prefixLength', lease.prefixLength, 'is not an integer from 0 to 32');
  ipv4('router', lease.router);
  ipv4('serverId', lease.serverId);
  lease.dns.forEach((d, i) => {
    if (isIP(d) === 0) bad(`dns[${i}]`, d, 'is not an IP address');
  });
  lease.searchDomains.forEach((d, i) => {
    const why = domainProblem(d);
    if (why) bad(`searchDomains[${i}]`, d, why);
  });
  if (lease.domainName !== undefined) {
    const why = domainProblem(lease.domainName);
    if (why) bad('domainName', lease.domainName, why);
  }
  if (lease.hostname !== undefined) {
    const why = domainProblem(lease.hostname);
    if (why) bad('hostname', lease.hostname, why);
  }
  if (lease.mtu !== undefined && (!Number.isInteger(lease.mtu) || lease.mtu < 68 || lease.mtu > 65535))
    bad('mtu', lease.mtu, 'is not an integer from 68 to 65535');
  if (
    lease.leaseSeconds !== undefined &&
    (!Number.isInteger(lease.leaseSeconds) || lease.leaseSeconds < 1 || lease.leaseSeconds > INFINITE_LEASE)
  )
    bad('leaseSeconds', lease.leaseSeconds, `is not an integer from 1 to ${INFINITE_LEASE}`);
  (lease.routes ?? []).forEach((r, i) => {
    const field = `routes[${i}]`;
    const dest = parseIpv4(r.destination);
    if (!dest) bad(`${field}.destination`, r.destination, 'is not a dotted-quad IPv4 address');
    ipv4(`${field}.gateway`, r.gateway);
    if (!Number.isInteger(r.prefixLength) || r.prefixLength < 0 || r.prefixLength > 32)
      bad(`${field}.prefixLength`, r.prefixLength, 'is not an integer from 0 to 32');
    else if (dest && (toUint32(dest) & ~maskOf(r.prefixLength)) >>> 0 !== 0)
      bad(
        `${field}.destination`,
        `${r.destination}/${r.prefixLength}`,
        'has bits set past its prefix length',
      );
  });
  const text = (field: string, value: string | undefined) => {
    if (value === undefined) return;
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_OPTION_LENGTH)
      bad(field, value, `is ${bytes} bytes long; a DHCP option carries at most ${MAX_OPTION_LENGTH}`);
  };
  text('tftpServerName', lease.tftpServerName);
  text('bootFileName', lease.bootFileName);
  const ntp = lease.ntpServers ?? [];
  ntp.forEach((n, i) => ipv4(`ntpServers[${i}]`, n));
  if (ntp.length * 4 > MAX_OPTION_LENGTH)
    bad(
      'ntpServers',
      ntp.length,
      `addresses are more than option 42 holds (at most ${Math.floor(MAX_OPTION_LENGTH / 4)})`,
    );
  const seenCodes = new Map<number, number>();
  (lease.privateOptions ?? []).forEach((p, i) => {
    const field = `privateOptions[${i}]`;
    if (!Number.isInteger(p.option) || p.option < PRIVATE_OPTION_MIN || p.option > PRIVATE_OPTION_MAX)
      bad(
        `${field}.option`,
        p.option,
        `is not a private-use code from ${PRIVATE_OPTION_MIN} to ${PRIVATE_OPTION_MAX}`,
      );
    const first = seenCodes.get(p.option);
    if (first !== undefined) bad(`${field}.option`, p.option, `repeats privateOptions[${first}]`);
    else seenCodes.set(p.option, i);
    text(`${field}.value`, p.value);
  });
  return problems;
}

/** Problems across a table: each lease's, plus MACs and addresses given twice. */
export function checkLeases(leases: ReadonlyMap<string, DhcpLease> | readonly DhcpLease[]): string[] {
  const list = leaseList(leases);
  const problems = list.flatMap(checkLease);
  const seen = (key: (l: DhcpLease) => string, field: string) => {
    const first = new Map<string, number>();
    list.forEach((l, i) => {
      const k = key(l);
      const j = first.get(k);
      if (j === undefined) first.set(k, i);
      else problems.push(`leases ${j} and ${i} have the same ${field} ${JSON.stringify(k)}`);
    });
  };
  seen((l) => l.mac.toLowerCase(), 'mac');
  seen((l) => l.ip, 'ip');
  return problems;
}

/** Why a DNS name (RFC 1035 / 1123 labels; one trailing dot allowed) is unusable, or undefined. */
function domainProblem(name: string): string | undefined {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return 'is empty';
  if (trimmed.length > 253) return `is ${trimmed.length} characters long, more than 253`;
  for (const label of trimmed.split('.')) {
    if (label.length > 63) return `has a label of ${label.length} characters, more than 63`;
    if (!LABEL.test(label))
      return (
        `has the label ${JSON.stringify(label)}: labels are letters, digits and inner hyphens` +
        `${label === '' ? ' and may not be empty' : ''}`
      );
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Option encoders

function toUint32(octets: readonly number[]): number {
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Option 1: the subnet mask of a prefix length (24 → 255.255.255.0). */
export function subnetMask(prefixLength: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(maskOf(prefixLength));
  return b;
}

/** Option 119: each name as RFC 1035 length-prefixed labels ending in a zero byte, no compression. */
export function encodeSearchList(domains: readonly string[]): Buffer {
  const bytes: number[] = [];
  for (const domain of domains) {
    const trimmed = domain.endsWith('.') ? domain.slice(0, -1) : domain;
    for (const label of trimmed.split('.')) {
      bytes.push(label.length, ...Buffer.from(label, 'ascii'));
    }
    bytes.push(0);
  }
  return Buffer.from(bytes);
}

/**
 * Option 121 (RFC 3442): per route, the prefix length, the significant octets of the destination
 * (ceil(prefix/8) of them), then the four octets of the gateway.
 */
export function encodeClasslessRoutes(
  routes: readonly { destination: string; prefixLength: number; gateway: string }[],
): Buffer {
  const parts: Buffer[] = [];
  for (const r of routes) {
    const dest = ipv4Bytes(r.destination, 'route destination');
    parts.push(
      Buffer.from([r.prefixLength]),
      dest.subarray(0, Math.ceil(r.prefixLength / 8)),
      ipv4Bytes(r.gateway, 'route gateway'),
    );
  }
  return Buffer.concat(parts);
}

/** The routes option 121 carries: the configured ones, with a default via `router` first if missing. */
export function effectiveRoutes(lease: DhcpLease): DhcpLease['routes'] {
  const routes = lease.routes ?? [];
  if (routes.length === 0) return [];
  const hasDefault = routes.some((r) => r.prefixLength === 0);
  return lease.router !== undefined && !hasDefault
    ? [{ destination: '0.0.0.0', prefixLength: 0, gateway: lease.router }, ...routes]
    : routes;
}

/**
 * The options of KubeVirt's `dhcpOptions` a lease carries, in code order of kind: 42 (NTP servers,
 * 4 bytes each), 66 and 67 (text), then the private options in the order given. Empty text and
 * empty lists are left out, as KubeVirt leaves them out.
 */
export function extraOptions(lease: DhcpLease): DhcpOption[] {
  const out: DhcpOption[] = [];
  const ntp = lease.ntpServers ?? [];
  if (ntp.length > 0)
    out.push({
      code: DhcpOptionCode.NTP_SERVERS,
      data: Buffer.concat(ntp.map((n) => ipv4Bytes(n, 'NTP server'))),
    });
  if (lease.tftpServerName)
    out.push({ code: DhcpOptionCode.TFTP_SERVER_NAME, data: Buffer.from(lease.tftpServerName, 'utf8') });
  if (lease.bootFileName)
    out.push({ code: DhcpOptionCode.BOOTFILE_NAME, data: Buffer.from(lease.bootFileName, 'utf8') });
  for (const p of lease.privateOptions ?? [])
    out.push({ code: p.option, data: Buffer.from(p.value, 'utf8') });
  return out;
}

/** The dhcpOptions codes of `lease` an OFFER or ACK left out for want of room; [] otherwise. */
export function omittedOptions(reply: DhcpMessage, lease: DhcpLease): number[] {
  const type = messageType(reply);
  if (type !== DhcpMessageType.OFFER && type !== DhcpMessageType.ACK) return [];
  const sent = new Set(reply.options.map((o) => o.code));
  return extraOptions(lease)
    .map((o) => o.code)
    .filter((code) => !sent.has(code));
}

// ---------------------------------------------------------------------------------------------
// Answers

/** The lease of `mac` (compared lower-case), from a table given as a Map or a list. */
export function findLease(
  leases: ReadonlyMap<string, DhcpLease> | readonly DhcpLease[],
  mac: string,
): DhcpLease | undefined {
  const wanted = mac.toLowerCase();
  return leaseList(leases).find((l) => l.mac.toLowerCase() === wanted);
}

function leaseList(leases: ReadonlyMap<string, DhcpLease> | readonly DhcpLease[]): readonly DhcpLease[] {
  return Array.isArray(leases) ? leases : [...(leases as ReadonlyMap<string, DhcpLease>).values()];
}

/** The reply to `request`, or undefined when this server must stay silent. */
export function dhcpAnswer(
  request: DhcpMessage,
  leases: ReadonlyMap<string, DhcpLease> | readonly DhcpLease[],
): DhcpMessage | undefined {
  if (request.op !== BOOTREQUEST || request.htype !== HTYPE_ETHERNET || request.hlen !== 6) return undefined;
  const lease = findLease(leases, request.chaddr);
  if (!lease) return undefined;

  switch (messageType(request)) {
    case DhcpMessageType.DISCOVER:
      return reply(request, lease, DhcpMessageType.OFFER, { yiaddr: lease.ip, withLease: true });
    case DhcpMessageType.REQUEST: {
      const chosen = serverId(request);
      if (chosen !== undefined && chosen !== lease.serverId) return undefined;
      const wanted = requestedIp(request) ?? (request.ciaddr !== '0.0.0.0' ? request.ciaddr : undefined);
      if (wanted !== lease.ip) return nak(request, lease, wanted);
      return reply(request, lease, DhcpMessageType.ACK, {
        yiaddr: lease.ip,
        ciaddr: request.ciaddr,
        withLease: true,
      });
    }
    case DhcpMessageType.INFORM:
      return reply(request, lease, DhcpMessageType.ACK, {
        yiaddr: '0.0.0.0',
        ciaddr: request.ciaddr,
        withLease: false,
      });
    default:
      // DECLINE and RELEASE need no answer; OFFER/ACK/NAK are not requests; no type is plain BOOTP.
      return undefined;
  }
}

function header(request: DhcpMessage, yiaddr: string, ciaddr: string, options: DhcpOption[]): DhcpMessage {
  return {
    op: BOOTREPLY,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr,
    yiaddr,
    siaddr: '0.0.0.0',
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    options,
  };
}

function nak(request: DhcpMessage, lease: DhcpLease, wanted: string | undefined): DhcpMessage {
  const text = wanted
    ? `address ${wanted} is not the lease of ${lease.mac}`
    : `no requested address; the lease of ${lease.mac} is ${lease.ip}`;
  return header(request, '0.0.0.0', '0.0.0.0', [
    { code: DhcpOptionCode.MESSAGE_TYPE, data: Buffer.from([DhcpMessageType.NAK]) },
    { code: DhcpOptionCode.SERVER_ID, data: ipv4Bytes(lease.serverId, 'serverId') },
    { code: DhcpOptionCode.MESSAGE, data: Buffer.from(text, 'ascii') },
  ]);
}

function reply(
  request: DhcpMessage,
  lease: DhcpLease,
  type: number,
  how: { yiaddr: string; ciaddr?: string; withLease: boolean },
): DhcpMessage {
  const options: DhcpOption[] = [];
  const add = (code: number, data: Buffer) => options.push({ code, data });
  const uint32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };

  add(DhcpOptionCode.MESSAGE_TYPE, Buffer.from([type]));
  add(DhcpOptionCode.SERVER_ID, ipv4Bytes(lease.serverId, 'serverId'));
  if (how.withLease) {
    const seconds = lease.leaseSeconds ?? INFINITE_LEASE;
    add(DhcpOptionCode.LEASE_TIME, uint32(seconds));
    if (seconds !== INFINITE_LEASE) {
      add(DhcpOptionCode.RENEWAL_TIME, uint32(Math.floor(seconds / 2)));
      add(DhcpOptionCode.REBINDING_TIME, uint32(Math.floor((seconds * 7) / 8)));
    }
  }
  add(DhcpOptionCode.SUBNET_MASK, subnetMask(lease.prefixLength));
  if (lease.router !== undefined) add(DhcpOptionCode.ROUTER, ipv4Bytes(lease.router, 'router'));
  const dns = lease.dns.filter((d) => parseIpv4(d) !== undefined);
  if (dns.length > 0)
    add(DhcpOptionCode.DNS_SERVERS, Buffer.concat(dns.map((d) => ipv4Bytes(d, 'dns server'))));
  if (lease.domainName) add(DhcpOptionCode.DOMAIN_NAME, Buffer.from(lease.domainName, 'ascii'));
  if (lease.hostname) add(DhcpOptionCode.HOSTNAME, Buffer.from(lease.hostname, 'ascii'));
  if (lease.mtu !== undefined && Number.isInteger(lease.mtu) && lease.mtu >= 68 && lease.mtu <= 65535) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(lease.mtu);
    add(DhcpOptionCode.INTERFACE_MTU, b);
  }
  if (lease.searchDomains.length > 0)
    add(DhcpOptionCode.DOMAIN_SEARCH, encodeSearchList(lease.searchDomains));
  const routes = effectiveRoutes(lease) ?? [];
  if (routes.length > 0) add(DhcpOptionCode.CLASSLESS_STATIC_ROUTE, encodeClasslessRoutes(routes));
  // KubeVirt's dhcpOptions, as many as fit in the largest message the client takes.
  const room = maxMessageSize(request) - IP_UDP_HEADER_LENGTH - OPTIONS_OFFSET - 1; // 1: END
  for (const o of extraOptions(lease)) if (optionsLength([...options, o]) <= room) options.push(o);

  return header(request, how.yiaddr, how.ciaddr ?? '0.0.0.0', options);
}
