/**
 * The DHCPv4 wire format (RFC 2131 over the BOOTP layout of RFC 951, options of RFC 2132). Pure:
 * a Buffer in, a DhcpMessage out, and back; no sockets here (server.ts does the I/O).
 *
 * Layout of a message (all integers big-endian):
 *
 *   offset size field
 *        0    1 op      1 BOOTREQUEST (client → server), 2 BOOTREPLY
 *        1    1 htype   1 for Ethernet
 *        2    1 hlen    6 for Ethernet, at most 16 (the size of chaddr)
 *        3    1 hops
 *        4    4 xid     chosen by the client, echoed by the server
 *        8    2 secs
 *       10    2 flags   bit 15 = BROADCAST
 *       12    4 ciaddr  13  16 yiaddr  20 siaddr  24 giaddr   (4 bytes each)
 *       28   16 chaddr  (hlen bytes used)
 *       44   64 sname   108  128 file   (ignored here, zeroed on encode)
 *      236    4 magic cookie 99.130.83.99
 *      240    … options: code, length, data; 0 is a one-byte pad, 255 ends the list
 *
 * An option longer than 255 bytes is split into several instances of the same code (RFC 3396);
 * `getOption` joins them back. Option overload (52, options in sname/file) is not honoured: the
 * sname and file fields are never read.
 */

/** BOOTP opcodes. */
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** htype of Ethernet (ARP hardware type 1). */
export const HTYPE_ETHERNET = 1;

/** The four bytes 99.130.83.99 that mark the start of DHCP options. */
export const MAGIC_COOKIE = Buffer.from([99, 130, 83, 99]);

/** Size of the fixed BOOTP header, before the magic cookie. */
export const BOOTP_HEADER_LENGTH = 236;
/** Header plus magic cookie: where the options begin. */
export const OPTIONS_OFFSET = BOOTP_HEADER_LENGTH + MAGIC_COOKIE.length;
/** Replies are padded to at least this size (the BOOTP minimum many clients still expect). */
export const MIN_PACKET_LENGTH = 300;

/** The BROADCAST bit of `flags`. */
export const FLAG_BROADCAST = 0x8000;

/** DHCP message types, the value of option 53. */
export const DhcpMessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type DhcpMessageTypeValue = (typeof DhcpMessageType)[keyof typeof DhcpMessageType];

/** Option codes this package reads or writes. */
export const DhcpOptionCode = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS_SERVERS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  INTERFACE_MTU: 26,
  NTP_SERVERS: 42,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OPTION_OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  CLIENT_ID: 61,
  TFTP_SERVER_NAME: 66,
  BOOTFILE_NAME: 67,
  DOMAIN_SEARCH: 119,
  CLASSLESS_STATIC_ROUTE: 121,
  END: 255,
} as const;

/** The option codes RFC 2132 section 2 leaves to site-specific use (KubeVirt's privateOptions). */
export const PRIVATE_OPTION_MIN = 224;
export const PRIVATE_OPTION_MAX = 254;

/** The most data one instance of an option carries (its length is one byte). */
export const MAX_OPTION_LENGTH = 255;

/**
 * The largest message (IP and UDP headers included) every client must accept (RFC 2131 section
 * 2: 312 bytes of options); a client that takes more says so in option 57.
 */
export const MIN_MAX_MESSAGE_SIZE = 576;
/** IPv4 header (no options) plus UDP header, counted in a client's maximum message size. */
export const IP_UDP_HEADER_LENGTH = 28;

/** One option as it appeared (or will appear) on the wire, minus code and length bytes. */
export interface DhcpOption {
  readonly code: number;
  readonly data: Buffer;
}

export interface DhcpMessage {
  /** BOOTREQUEST (1) or BOOTREPLY (2). */
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  /** Transaction id, an unsigned 32-bit integer. */
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  /** Dotted-quad IPv4 addresses; 0.0.0.0 when unset. */
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** The first hlen bytes of chaddr as lower-case hex pairs joined by ':' ("aa:bb:cc:dd:ee:ff"). */
  readonly chaddr: string;
  /** Options in wire order, pads and END left out. */
  readonly options: readonly DhcpOption[];
}

/** A packet that is too short, garbled, or not DHCP; or a message that cannot be encoded. */
export class DhcpPacketError extends Error {
  constructor(
    readonly detail: string,
    /** Byte offset in the packet where decoding failed, when decoding. */
    readonly offset?: number,
  ) {
    super(`DHCP packet: ${detail}${offset !== undefined ? ` (at byte ${offset})` : ''}`);
    this.name = 'DhcpPacketError';
  }
}

// ---------------------------------------------------------------------------------------------
// IPv4 and MAC helpers (shared with lease.ts)

const IPV4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** The four octets of a dotted-quad IPv4 address, or undefined if it is not one (no leading zeros). */
export function parseIpv4(text: string): number[] | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** Dotted quad of four bytes of `buf` from `offset`. */
export function formatIpv4(buf: Buffer, offset = 0): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** Four bytes of an IPv4 address; throws DhcpPacketError naming `what` if it is not one. */
export function ipv4Bytes(text: string, what: string): Buffer {
  const octets = parseIpv4(text);
  if (!octets) throw new DhcpPacketError(`${what} ${JSON.stringify(text)} is not a dotted-quad IPv4 address`);
  return Buffer.from(octets);
}

/** Lower-case colon form of hardware address bytes. */
export function formatMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Bytes of a colon-separated hex hardware address ("" → no bytes), or undefined if garbled. */
export function parseMac(text: string): Buffer | undefined {
  if (text === '') return Buffer.alloc(0);
  const parts = text.split(':');
  if (!parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Options whose length is fixed by RFC 2132: a different length means a garbled packet. */
const FIXED_LENGTHS: ReadonlyMap<number, [number, string]> = new Map([
  [DhcpOptionCode.MESSAGE_TYPE, [1, 'message type']],
  [DhcpOptionCode.REQUESTED_IP, [4, 'requested IP address']],
  [DhcpOptionCode.SERVER_ID, [4, 'server identifier']],
]);

/** Parse one DHCP datagram. Throws DhcpPacketError saying what is wrong with it. */
export function decodeDhcp(buf: Buffer): DhcpMessage {
  if (buf.length < OPTIONS_OFFSET)
    throw new DhcpPacketError(
      `packet is ${buf.length} bytes, shorter than the ${BOOTP_HEADER_LENGTH}-byte BOOTP header ` +
        `plus the 4-byte magic cookie`,
    );
  const op = buf[0];
  if (op !== BOOTREQUEST && op !== BOOTREPLY)
    throw new DhcpPacketError(`op is ${op}, neither BOOTREQUEST (1) nor BOOTREPLY (2)`, 0);
  const hlen = buf[2];
  if (hlen > 16) throw new DhcpPacketError(`hlen is ${hlen}, more than the 16 bytes of chaddr`, 2);
  if (!buf.subarray(BOOTP_HEADER_LENGTH, OPTIONS_OFFSET).equals(MAGIC_COOKIE))
    throw new DhcpPacketError(
      `magic cookie is ${formatIpv4(buf, BOOTP_HEADER_LENGTH)}, not 99.130.83.99 ` +
        `(plain BOOTP or not DHCP at all)`,
      BOOTP_HEADER_LENGTH,
    );

  return {
    op,
    htype: buf[1],
    hlen,
    hops: buf[3],
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: formatIpv4(buf, 12),
    yiaddr: formatIpv4(buf, 16),
    siaddr: formatIpv4(buf, 20),
    giaddr: formatIpv4(buf, 24),
    chaddr: formatMac(buf.subarray(28, 28 + hlen)),
    options: decodeOptions(buf, OPTIONS_OFFSET),
  };
}

function decodeOptions(buf: Buffer, start: number): DhcpOption[] {
  const options: DhcpOption[] = [];
  let i = start;
  // A list that runs to the end of the datagram without END is accepted: some clients omit it.
  while (i < buf.length) {
    const code = buf[i];
    if (code === DhcpOptionCode.END) return options;
    if (code === DhcpOptionCode.PAD) {
      i += 1;
      continue;
    }
    if (i + 1 >= buf.length)
      throw new DhcpPacketError(`option ${code} is truncated: the packet ends before its length byte`, i);
    const length = buf[i + 1];
    const remaining = buf.length - (i + 2);
    if (length > remaining)
      throw new DhcpPacketError(
        `option ${code} is truncated: it claims ${length} bytes but only ${remaining} remain`,
        i,
      );
    const fixed = FIXED_LENGTHS.get(code);
    if (fixed && length !== fixed[0])
      throw new DhcpPacketError(`option ${code} (${fixed[1]}) has length ${length}, expected ${fixed[0]}`, i);
    options.push({ code, data: Buffer.from(buf.subarray(i + 2, i + 2 + length)) });
    i += 2 + length;
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Serialize a message: header, cookie, options (split past 255 bytes), END, zero pad to 300. */
export function encodeDhcp(msg: DhcpMessage): Buffer {
  const header = Buffer.alloc(OPTIONS_OFFSET);
  header[0] = uint(msg.op, 0xff, 'op');
  header[1] = uint(msg.htype, 0xff, 'htype');
  const hlen = uint(msg.hlen, 16, 'hlen');
  header[2] = hlen;
  header[3] = uint(msg.hops, 0xff, 'hops');
  header.writeUInt32BE(uint(msg.xid, 0xffffffff, 'xid'), 4);
  header.writeUInt16BE(uint(msg.secs, 0xffff, 'secs'), 8);
  header.writeUInt16BE(uint(msg.flags, 0xffff, 'flags'), 10);
  ipv4Bytes(msg.ciaddr, 'ciaddr').copy(header, 12);
  ipv4Bytes(msg.yiaddr, 'yiaddr').copy(header, 16);
  ipv4Bytes(msg.siaddr, 'siaddr').copy(header, 20);
  ipv4Bytes(msg.giaddr, 'giaddr').copy(header, 24);
  const chaddr = parseMac(msg.chaddr);
  if (!chaddr || chaddr.length !== hlen)
    throw new DhcpPacketError(
      `chaddr ${JSON.stringify(msg.chaddr)} is not ${hlen} colon-separated hex bytes (hlen ${hlen})`,
    );
  chaddr.copy(header, 28);
  MAGIC_COOKIE.copy(header, BOOTP_HEADER_LENGTH);

  const parts: Buffer[] = [header];
  for (const { code, data } of msg.options) {
    if (!Number.isInteger(code) || code <= DhcpOptionCode.PAD || code >= DhcpOptionCode.END)
      throw new DhcpPacketError(`option code ${code} cannot be encoded (must be 1..254)`);
    if (data.length === 0) {
      parts.push(Buffer.from([code, 0]));
      continue;
    }
    for (let at = 0; at < data.length; at += 255) {
      const chunk = data.subarray(at, at + 255);
      parts.push(Buffer.from([code, chunk.length]), chunk);
    }
  }
  parts.push(Buffer.from([DhcpOptionCode.END]));
  const body = Buffer.concat(parts);
  return body.length >= MIN_PACKET_LENGTH
    ? body
    : Buffer.concat([body, Buffer.alloc(MIN_PACKET_LENGTH - body.length)]);
}

/** Bytes `options` take on the wire (code and length bytes, instances past 255 bytes), END not counted. */
export function optionsLength(options: readonly DhcpOption[]): number {
  return options.reduce((n, o) => n + o.data.length + 2 * Math.max(1, Math.ceil(o.data.length / 255)), 0);
}

function uint(value: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new DhcpPacketError(`${field} ${value} is not an integer from 0 to ${max}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Accessors

/** The data of option `code`, instances of it joined in order (RFC 3396); undefined if absent. */
export function getOption(msg: DhcpMessage, code: number): Buffer | undefined {
  const found = msg.options.filter((o) => o.code === code);
  return found.length === 0 ? undefined : Buffer.concat(found.map((o) => o.data));
}

/** Option 53, or undefined for a message without one (plain BOOTP). */
export function messageType(msg: DhcpMessage): number | undefined {
  const data = getOption(msg, DhcpOptionCode.MESSAGE_TYPE);
  return data && data.length === 1 ? data[0] : undefined;
}

/** Option 50, the address a client in SELECTING or INIT-REBOOT asks for. */
export function requestedIp(msg: DhcpMessage): string | undefined {
  return ipv4Option(msg, DhcpOptionCode.REQUESTED_IP);
}

/** Option 54, the server a client chose (REQUEST) or the server that answered. */
export function serverId(msg: DhcpMessage): string | undefined {
  return ipv4Option(msg, DhcpOptionCode.SERVER_ID);
}

/** Option 55, the option codes the client asks for, in its order; [] when absent. */
export function parameterRequestList(msg: DhcpMessage): number[] {
  return [...(getOption(msg, DhcpOptionCode.PARAMETER_REQUEST_LIST) ?? [])];
}

/** Option 57: the largest message the client takes, never below the 576 every client must take. */
export function maxMessageSize(msg: DhcpMessage): number {
  const data = getOption(msg, DhcpOptionCode.MAX_MESSAGE_SIZE);
  const said = data && data.length === 2 ? data.readUInt16BE(0) : 0;
  return Math.max(MIN_MAX_MESSAGE_SIZE, said);
}

/** Option 12 as text (trailing NULs some clients send dropped). */
export function clientHostname(msg: DhcpMessage): string | undefined {
  const data = getOption(msg, DhcpOptionCode.HOSTNAME);
  return data === undefined ? undefined : data.toString('latin1').replace(/\0+$/, '');
}

/** An option holding a list of IPv4 addresses (3, 6, 42) as dotted quads; undefined if absent or garbled. */
export function ipv4ListOption(msg: DhcpMessage, code: number): string[] | undefined {
  const data = getOption(msg, code);
  if (!data || data.length === 0 || data.length % 4 !== 0) return undefined;
  const out: string[] = [];
  for (let at = 0; at < data.length; at += 4) out.push(formatIpv4(data, at));
  return out;
}

/** An option holding text (66, 67, private options) decoded as UTF-8; undefined if absent. */
export function textOption(msg: DhcpMessage, code: number): string | undefined {
  return getOption(msg, code)?.toString('utf8');
}

function ipv4Option(msg: DhcpMessage, code: number): string | undefined {
  const data = getOption(msg, code);
  return data && data.length === 4 ? formatIpv4(data) : undefined;
}

/** Name of a message type for logs ("DISCOVER"), or "type N". */
export function messageTypeName(type: number | undefined): string {
  if (type === undefined) return 'BOOTP (no message type)';
  const entry = Object.entries(DhcpMessageType).find(([, v]) => v === type);
  return entry ? entry[0] : `type ${type}`;
}
