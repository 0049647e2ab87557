/**
 * KubeVirt's admission checks of an interface's `dhcpOptions`, with its wording, plus the bounds
 * a DHCP option puts on the values (KubeVirt does not check them; its server would then send a
 * garbled option). The launcher's planner checks the same again where it uses them
 * (launcher/plan/pod-binding.ts) and reuses the helpers here. Pure.
 *
 * - privateOptions: each option code from 224 to 254 (RFC 2132's site-specific range), no code
 *   twice (KubeVirt: "provided DHCPPrivateOptions are out of range, must be in range 224 to 254",
 *   "Found Duplicates: you have provided duplicate DHCPPrivateOptions").
 * - ntpServers: each an IPv4 address (KubeVirt: "NTP servers must be a list of valid IPv4
 *   addresses."); as Go's net.ParseIP(...).To4() does, an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 *   counts as its IPv4 address.
 * - bootFileName, tftpServerName, each private option's value: at most 255 bytes of UTF-8 (one
 *   option's length is one byte); at most 63 NTP servers (4 bytes each).
 */
import { isIP } from 'net';
import { error, field, index, show, type Issue } from '../../../validation/issue';
import { dig, record, records, str, type Json } from '../../../validation/readers';

/** The site-specific option codes of RFC 2132 section 2, KubeVirt's range for privateOptions. */
export const DHCP_PRIVATE_OPTION_MIN = 224;
export const DHCP_PRIVATE_OPTION_MAX = 254;
/** The data one DHCP option carries at most. */
export const DHCP_OPTION_MAX_BYTES = 255;
/** Option 42 holds 4 bytes per server. */
export const DHCP_NTP_SERVERS_MAX = Math.floor(DHCP_OPTION_MAX_BYTES / 4);

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;

/**
 * The dotted-quad IPv4 address an NTP server entry means, or undefined when it is none: a
 * dotted quad (no leading zeros) or an IPv4-mapped IPv6 address, as KubeVirt accepts.
 */
export function ntpServerIpv4(text: string): string | undefined {
  if (isIP(text) === 4) return DOTTED_QUAD.test(text) ? text : undefined;
  if (isIP(text) !== 6) return undefined;
  // Let the URL parser normalise the IPv6 address: [::ffff:a.b.c.d] becomes [::ffff:xxxx:yyyy].
  let host: string;
  try {
    host = new URL(`http://[${text}]/`).hostname;
  } catch {
    return undefined;
  }
  const m = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (!m) return undefined;
  const hi = parseInt(m[1], 16);
  const lo = parseInt(m[2], 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Why a text option's value cannot be sent, or undefined. */
export function dhcpTextProblem(value: string): string | undefined {
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > DHCP_OPTION_MAX_BYTES
    ? `is ${bytes} bytes long; a DHCP option carries at most ${DHCP_OPTION_MAX_BYTES} bytes, so shorten it`
    : undefined;
}

function checkOne(options: Json, at: string): Issue[] {
  const issues: Issue[] = [];
  for (const key of ['bootFileName', 'tftpServerName'] as const) {
    const v = str(options[key]);
    const problem = v === undefined ? undefined : dhcpTextProblem(v);
    if (problem) issues.push(error(field(at, key), `${field(at, key)} ${problem}`, 'vmi.dhcp-option-length'));
  }

  const ntpAt = field(at, 'ntpServers');
  const ntp = Array.isArray(options.ntpServers) ? (options.ntpServers as unknown[]) : [];
  ntp.forEach((server, i) => {
    if (typeof server === 'string' && ntpServerIpv4(server) !== undefined) return;
    issues.push(
      error(
        index(ntpAt, i),
        `NTP servers must be a list of valid IPv4 addresses. ${index(ntpAt, i)} is ${show(server)}; write an address such as 192.0.2.1`,
        'vmi.dhcp-ntp-servers',
      ),
    );
  });
  if (ntp.length > DHCP_NTP_SERVERS_MAX)
    issues.push(
      error(
        ntpAt,
        `${ntpAt} lists ${ntp.length} servers; DHCP option 42 holds at most ${DHCP_NTP_SERVERS_MAX}, so list fewer`,
        'vmi.dhcp-option-length',
      ),
    );

  const privAt = field(at, 'privateOptions');
  const first = new Map<number, number>();
  records(options.privateOptions).forEach((p, j) => {
    const pAt = index(privAt, j);
    const code = p.option;
    if (typeof code === 'number') {
      if (!Number.isInteger(code) || code < DHCP_PRIVATE_OPTION_MIN || code > DHCP_PRIVATE_OPTION_MAX)
        issues.push(
          error(
            field(pAt, 'option'),
            `provided DHCPPrivateOptions are out of range, must be in range ${DHCP_PRIVATE_OPTION_MIN} to ${DHCP_PRIVATE_OPTION_MAX}; ${field(pAt, 'option')} is ${show(code)}`,
            'vmi.dhcp-private-option-range',
          ),
        );
      const k = first.get(code);
      if (k !== undefined)
        issues.push(
          error(
            field(pAt, 'option'),
            `Found Duplicates: you have provided duplicate DHCPPrivateOptions; option ${show(code)} is also ${field(index(privAt, k), 'option')}: give each code once`,
            'vmi.dhcp-private-option-duplicate',
          ),
        );
      else first.set(code, j);
    }
    const v = str(p.value);
    const problem = v === undefined ? undefined : dhcpTextProblem(v);
    if (problem)
      issues.push(error(field(pAt, 'value'), `${field(pAt, 'value')} ${problem}`, 'vmi.dhcp-option-length'));
  });
  return issues;
}

/** KubeVirt's dhcpOptions checks on every interface of the VMI spec at `base`. */
export function checkDhcpOptions(spec: Json, base: string): Issue[] {
  const at = `${base}.domain.devices.interfaces`;
  return records(dig(spec, 'domain', 'devices', 'interfaces')).flatMap((iface, i) => {
    const options = record(iface.dhcpOptions);
    return options ? checkOne(options, field(index(at, i), 'dhcpOptions')) : [];
  });
}
