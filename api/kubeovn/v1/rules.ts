/**
 * Kube-OVN's admission checks in virtkit's words: a subnet's block, gateway and excluded
 * addresses must be real addresses that fit together; IP and IPPool addresses must parse.
 */
import { defineRule, type Rule } from '../../validation/rule';
import { error, warning, show, type Issue } from '../../validation/issue';
import { dig, list, record, text } from '../../validation/readers';
import {
  cidrContains,
  commaList,
  familyName,
  isMac,
  parseAddress,
  parseAddressOrRange,
  parseCidr,
  type Address,
  type Cidr,
} from './ip-address';

const CIDR_EXAMPLE = 'such as 10.16.0.0/16, or 10.16.0.0/16,fd00:10:16::/64 for dual stack';

/** The subnet blocks, or issues explaining why cidrBlock is unusable. */
function subnetCidrs(spec: Record<string, unknown>, rule: string): { cidrs: Cidr[]; issues: Issue[] } {
  const raw = spec.cidrBlock;
  if (raw === undefined || raw === '') {
    if (spec.protocol === 'Mac') return { cidrs: [], issues: [] };
    return {
      cidrs: [],
      issues: [
        error('spec.cidrBlock', `the subnet has no address block; set spec.cidrBlock ${CIDR_EXAMPLE}`, rule),
      ],
    };
  }
  if (typeof raw !== 'string') return { cidrs: [], issues: [] };
  const cidrs: Cidr[] = [];
  const issues: Issue[] = [];
  for (const part of commaList(raw)) {
    const cidr = parseCidr(part);
    if (cidr) cidrs.push(cidr);
    else
      issues.push(
        error('spec.cidrBlock', `${show(part)} is not a CIDR; write an address block ${CIDR_EXAMPLE}`, rule),
      );
  }
  if (issues.length) return { cidrs: [], issues };
  const v4 = cidrs.filter((c) => c.family === 4).length;
  const v6 = cidrs.filter((c) => c.family === 6).length;
  if (cidrs.length > 2 || v4 > 1 || v6 > 1) {
    issues.push(
      error(
        'spec.cidrBlock',
        `cidrBlock ${show(raw)} has ${cidrs.length} blocks; a subnet takes one block per family: one IPv4, one IPv6, or one of each`,
        rule,
      ),
    );
  }
  return { cidrs, issues };
}

function protocolOf(cidrs: readonly Cidr[]): string {
  const families = new Set(cidrs.map((c) => c.family));
  return families.size === 2 ? 'Dual' : families.has(6) ? 'IPv6' : 'IPv4';
}

function insideIssue(
  cidrs: readonly Cidr[],
  addr: Address,
  path: string,
  what: string,
  rule: string,
): Issue | undefined {
  const sameFamily = cidrs.filter((c) => c.family === addr.family);
  if (sameFamily.length === 0) {
    return error(
      path,
      `${what} is ${familyName(addr.family)} but cidrBlock ${show(cidrs.map((c) => c.text).join(','))} has no ${familyName(addr.family)} block; use an address of the subnet's family or add a block to spec.cidrBlock`,
      rule,
    );
  }
  if (!sameFamily.some((c) => cidrContains(c, addr))) {
    return error(
      path,
      `${what} is outside cidrBlock ${show(sameFamily.map((c) => c.text).join(','))}; use an address inside the block`,
      rule,
    );
  }
  return undefined;
}

export const subnetAddresses = defineRule<unknown>({
  id: 'kubeovn.subnet-addresses',
  summary:
    'A Subnet has valid CIDR(s), a matching protocol, and its gateway and excludeIps inside the block.',
  check(object) {
    const rule = 'kubeovn.subnet-addresses';
    const spec = record(dig(object, 'spec'));
    if (!spec) {
      return [error('spec', `the subnet has no spec; set spec.cidrBlock ${CIDR_EXAMPLE}`, rule)];
    }
    const { cidrs, issues } = subnetCidrs(spec, rule);
    if (cidrs.length === 0) return issues;

    const protocol = spec.protocol;
    if (typeof protocol === 'string' && protocol !== '' && protocol !== protocolOf(cidrs)) {
      issues.push(
        error(
          'spec.protocol',
          `protocol ${show(protocol)} does not match cidrBlock ${show(spec.cidrBlock)}, which is ${protocolOf(cidrs)}; set spec.protocol to ${protocolOf(cidrs)} or leave it out`,
          rule,
        ),
      );
    }

    if (typeof spec.gateway === 'string' && spec.gateway !== '') {
      const gateways = commaList(spec.gateway);
      const seen = new Set<number>();
      for (const g of gateways) {
        const addr = parseAddress(g);
        if (!addr) {
          issues.push(
            error(
              'spec.gateway',
              `gateway ${show(g)} is not an IP address; write an address inside cidrBlock, such as the first one`,
              rule,
            ),
          );
          continue;
        }
        const inside = insideIssue(cidrs, addr, 'spec.gateway', `gateway ${show(g)}`, rule);
        if (inside) issues.push(inside);
        else if (seen.has(addr.family))
          issues.push(
            error(
              'spec.gateway',
              `gateway lists two ${familyName(addr.family)} addresses; give one gateway per family`,
              rule,
            ),
          );
        seen.add(addr.family);
        const cidr = cidrs.find((c) => cidrContains(c, addr));
        if (cidr && cidr.prefix < (addr.family === 4 ? 31 : 127) && addr.value === cidr.first) {
          issues.push(
            error(
              'spec.gateway',
              `gateway ${show(g)} is the network address of ${cidr.text}; use a host address such as the next one`,
              rule,
            ),
          );
        }
      }
    }

    list(spec.excludeIps).forEach((entry, i) => {
      if (typeof entry !== 'string') return;
      const path = `spec.excludeIps[${i}]`;
      const parsed = parseAddressOrRange(entry);
      if ('problem' in parsed) {
        issues.push(
          error(
            path,
            `excludeIps entry ${show(entry)} ${parsed.problem}; write an address (10.16.0.10) or a range (10.16.0.10..10.16.0.20)`,
            rule,
          ),
        );
        return;
      }
      const ends = parsed.kind === 'address' ? [parsed.address] : [parsed.from, parsed.to];
      for (const end of ends) {
        const inside = insideIssue(cidrs, end, path, `excluded address ${show(entry)}`, rule);
        if (inside) {
          issues.push(inside);
          break;
        }
      }
    });

    if (
      spec.gatewayType === 'centralized' &&
      !text(spec.gatewayNode) &&
      list(spec.gatewayNodeSelectors).length === 0
    ) {
      issues.push(
        error(
          'spec.gatewayNode',
          'a centralized subnet needs gateway nodes; set spec.gatewayNode (comma-separated node names) or spec.gatewayNodeSelectors',
          rule,
        ),
      );
    }
    if (typeof spec.u2oInterconnectionIP === 'string' && spec.u2oInterconnectionIP !== '') {
      const addr = parseAddress(spec.u2oInterconnectionIP);
      const problem = addr
        ? insideIssue(
            cidrs,
            addr,
            'spec.u2oInterconnectionIP',
            `u2oInterconnectionIP ${show(spec.u2oInterconnectionIP)}`,
            rule,
          )
        : error(
            'spec.u2oInterconnectionIP',
            `u2oInterconnectionIP ${show(spec.u2oInterconnectionIP)} is not an IP address`,
            rule,
          );
      if (problem) issues.push(problem);
    }
    return issues;
  },
});

export const ipAddresses = defineRule<unknown>({
  id: 'kubeovn.ip-addresses',
  summary: 'An IP object holds valid addresses of the right family and a valid MAC.',
  check(object) {
    const rule = 'kubeovn.ip-addresses';
    const spec = record(dig(object, 'spec'));
    if (!spec) return [];
    const issues: Issue[] = [];
    const family = (field: 'v4IpAddress' | 'v6IpAddress', want: 4 | 6) => {
      const value = spec[field];
      if (typeof value !== 'string' || value === '') return;
      const addr = parseAddress(value);
      if (!addr)
        issues.push(
          error(
            `spec.${field}`,
            `${show(value)} is not an IP address; write one ${familyName(want)} address`,
            rule,
          ),
        );
      else if (addr.family !== want)
        issues.push(
          error(
            `spec.${field}`,
            `${show(value)} is ${familyName(addr.family)}; spec.${field} holds an ${familyName(want)} address`,
            rule,
          ),
        );
    };
    family('v4IpAddress', 4);
    family('v6IpAddress', 6);
    if (typeof spec.ipAddress === 'string' && spec.ipAddress !== '') {
      for (const part of commaList(spec.ipAddress)) {
        if (!parseAddress(part))
          issues.push(
            error(
              'spec.ipAddress',
              `${show(part)} is not an IP address; list addresses separated by commas`,
              rule,
            ),
          );
      }
    }
    list(spec.attachIps).forEach((a, i) => {
      if (typeof a === 'string' && commaList(a).some((p) => !parseAddress(p)))
        issues.push(error(`spec.attachIps[${i}]`, `${show(a)} is not an IP address`, rule));
    });
    if (typeof spec.macAddress === 'string' && spec.macAddress !== '' && !isMac(spec.macAddress)) {
      issues.push(
        error(
          'spec.macAddress',
          `${show(spec.macAddress)} is not a MAC address; write six hex pairs such as 00:00:00:3e:51:0a`,
          rule,
        ),
      );
    }
    list(spec.attachMacs).forEach((m, i) => {
      if (typeof m === 'string' && !isMac(m))
        issues.push(error(`spec.attachMacs[${i}]`, `${show(m)} is not a MAC address`, rule));
    });
    return issues;
  },
});

export const ippoolAddresses = defineRule<unknown>({
  id: 'kubeovn.ippool-addresses',
  summary: 'Every IPPool entry is an address, a CIDR or a first..last range.',
  check(object) {
    const rule = 'kubeovn.ippool-addresses';
    const ips = dig(object, 'spec', 'ips');
    if (!Array.isArray(ips)) return [];
    if (ips.length === 0) {
      return [
        error(
          'spec.ips',
          'the pool lists no addresses; add addresses, CIDRs or ranges of the subnet to spec.ips',
          rule,
        ),
      ];
    }
    const issues: Issue[] = [];
    ips.forEach((entry, i) => {
      if (typeof entry !== 'string') return;
      if (entry.includes('/')) {
        if (!parseCidr(entry))
          issues.push(
            error(`spec.ips[${i}]`, `${show(entry)} is not a CIDR; write it like 10.16.0.0/28`, rule),
          );
        return;
      }
      const parsed = parseAddressOrRange(entry);
      if ('problem' in parsed) {
        issues.push(
          error(
            `spec.ips[${i}]`,
            `${show(entry)} ${parsed.problem}; write an address (10.16.0.10), a CIDR (10.16.0.0/28) or a range (10.16.0.10..10.16.0.20)`,
            rule,
          ),
        );
      }
    });
    return issues;
  },
});

export const vlanId = defineRule<unknown>({
  id: 'kubeovn.vlan-id',
  summary: 'A Vlan uses id and provider rather than their deprecated names.',
  check(object) {
    const rule = 'kubeovn.vlan-id';
    const issues: Issue[] = [];
    if (dig(object, 'spec', 'vlanId') !== undefined) {
      issues.push(warning('spec.vlanId', 'spec.vlanId is deprecated; write the tag in spec.id', rule));
    }
    if (dig(object, 'spec', 'providerInterfaceName') !== undefined) {
      issues.push(
        warning(
          'spec.providerInterfaceName',
          'spec.providerInterfaceName is deprecated; name the ProviderNetwork in spec.provider',
          rule,
        ),
      );
    }
    return issues;
  },
});

export const providerNetworkNames = defineRule<unknown>({
  id: 'kubeovn.provider-network-names',
  summary:
    'A ProviderNetwork name fits in 12 characters and is not reserved; interface names are Linux names.',
  check(object) {
    const rule = 'kubeovn.provider-network-names';
    const issues: Issue[] = [];
    const name = dig(object, 'metadata', 'name');
    if (typeof name === 'string') {
      if (name.length > 12) {
        issues.push(
          error(
            'metadata.name',
            `provider network name ${show(name)} is ${name.length} characters; Kube-OVN derives bridge names from it, so keep it to 12 or fewer`,
            rule,
          ),
        );
      }
      if (name === 'int' || name === 'external') {
        issues.push(
          error(
            'metadata.name',
            `provider network name ${show(name)} is reserved by Kube-OVN; choose another name`,
            rule,
          ),
        );
      }
    }
    const iface = (value: unknown, path: string) => {
      if (typeof value === 'string' && (value.length > 15 || !/^[^/\s]+$/.test(value))) {
        issues.push(
          error(
            path,
            `interface name ${show(value)} is not a Linux interface name; use at most 15 characters with no "/" or spaces`,
            rule,
          ),
        );
      }
    };
    iface(dig(object, 'spec', 'defaultInterface'), 'spec.defaultInterface');
    list(dig(object, 'spec', 'customInterfaces')).forEach((c, i) =>
      iface(dig(c, 'interface'), `spec.customInterfaces[${i}].interface`),
    );
    return issues;
  },
});

export const subnetRules: readonly Rule[] = [subnetAddresses];
export const ipRules: readonly Rule[] = [ipAddresses];
export const ippoolRules: readonly Rule[] = [ippoolAddresses];
export const vlanRules: readonly Rule[] = [vlanId];
export const providerNetworkRules: readonly Rule[] = [providerNetworkNames];
