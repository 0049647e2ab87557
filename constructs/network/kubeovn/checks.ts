/**
 * App-level checks of Kube-OVN networking: fixed addresses that the subnet cannot give,
 * underlay chains (Subnet -> Vlan -> ProviderNetwork) that do not resolve, and subnet
 * providers that do not match their NetworkAttachmentDefinition. Address parsing comes
 * from api/kubeovn (the same functions admission uses).
 */
import type { IConstruct } from 'constructs';
import {
  cidrContains,
  commaList,
  parseAddress,
  parseAddressOrRange,
  parseCidr,
  type Address,
  type Cidr,
} from '../../../api/kubeovn/v1/ip-address';
import { closest } from '../../../api/validation/schema-check';
import { AppIssueSeverity, type AppIssue, type IAppCheck } from '../../core';
import type { NetworkAttachmentDefinition } from '../nad';
import { kubeOvnAnnotationKey } from './annotations';
import { findByKind } from '../find';
import type { Ip } from './ip';
import type { IpPool } from './ippool';
import type { ProviderNetwork } from './provider-network';
import type { Subnet, SubnetBinding } from './subnet';
import type { Vlan } from './vlan';

const GROUP = 'kubeovn.io';

interface SubnetRanges {
  readonly cidrs: Cidr[];
  readonly excluded: { readonly text: string; readonly from: Address; readonly to: Address }[];
  readonly gateways: Address[];
}

function rangesOf(subnet: Subnet): SubnetRanges {
  const cidrs = commaList(subnet.cidrBlock)
    .map(parseCidr)
    .filter((c): c is Cidr => c !== undefined);
  const excluded: SubnetRanges['excluded'][number][] = [];
  for (const text of subnet.excludeIps) {
    const parsed = parseAddressOrRange(text);
    if ('problem' in parsed) continue; // the Subnet's own validation reports it
    excluded.push(
      parsed.kind === 'address'
        ? { text, from: parsed.address, to: parsed.address }
        : { text, from: parsed.from, to: parsed.to },
    );
  }
  const gateways = commaList(subnet.gateway ?? '')
    .map(parseAddress)
    .filter((a): a is Address => a !== undefined);
  return { cidrs, excluded, gateways };
}

/** Why `text` cannot be a fixed address on the subnet, or undefined when it can. */
function addressProblem(subnet: Subnet, ranges: SubnetRanges, text: string): string | undefined {
  const addr = parseAddress(text);
  if (!addr) return `${JSON.stringify(text)} is not an IP address; write one such as 10.16.0.15`;
  if (ranges.cidrs.length && !ranges.cidrs.some((c) => cidrContains(c, addr))) {
    return `${text} is outside subnet ${subnet.name}'s cidrBlock ${subnet.cidrBlock}; pick an address inside it`;
  }
  const ex = ranges.excluded.find(
    (e) => e.from.family === addr.family && addr.value >= e.from.value && addr.value <= e.to.value,
  );
  if (ex) {
    return `${text} is in subnet ${subnet.name}'s excludeIps entry ${ex.text}, so Kube-OVN never hands it out; pick another address or shrink excludeIps`;
  }
  if (ranges.gateways.some((g) => g.family === addr.family && g.value === addr.value)) {
    return `${text} is the gateway of subnet ${subnet.name}; pick another address`;
  }
  return undefined;
}

/** JSON path of a VMI template annotation on a VM-like construct, for messages. */
function annotationPath(vm: IConstruct, provider: string, key: string): string {
  const specPath = (vm as { vmiSpecPath?: unknown }).vmiSpecPath;
  const base =
    typeof specPath === 'string' ? specPath.replace(/\.spec$/, '.metadata.annotations') : 'annotations';
  return `${base}["${kubeOvnAnnotationKey(provider, key)}"]`;
}

function staticAddressIssues(root: IConstruct): AppIssue[] {
  const issues: AppIssue[] = [];
  const error = (construct: IConstruct, path: string, message: string) =>
    issues.push({ construct, path, message, severity: AppIssueSeverity.ERROR });
  for (const subnet of findByKind<Subnet>(root, 'Subnet', GROUP)) {
    const ranges = rangesOf(subnet);
    const owners = new Map<string, SubnetBinding>();
    for (const binding of subnet.bindings ?? []) {
      if (binding.ipAddress === undefined) continue;
      const path = annotationPath(binding.vm, binding.provider, 'ip_address');
      for (const text of commaList(binding.ipAddress)) {
        const problem = addressProblem(subnet, ranges, text);
        if (problem) {
          error(binding.vm, path, problem);
          continue;
        }
        const owner = owners.get(text);
        if (owner && owner.vm !== binding.vm) {
          error(
            binding.vm,
            path,
            `${text} on subnet ${subnet.name} is already fixed for ${owner.vm.node.path}; give each VM its own address`,
          );
        }
        owners.set(text, binding);
      }
    }
  }
  for (const ip of findByKind<Ip>(root, 'IP', GROUP)) {
    ip.addresses.forEach((text) => {
      const problem = addressProblem(ip.subnet, rangesOf(ip.subnet), text);
      const field = parseAddress(text)?.family === 6 ? 'spec.v6IpAddress' : 'spec.v4IpAddress';
      if (problem) error(ip, field, problem);
    });
  }
  for (const pool of findByKind<IpPool>(root, 'IPPool', GROUP)) {
    const ranges = rangesOf(pool.subnet);
    pool.ips.forEach((entry, i) => {
      const ends = entry.includes('/')
        ? [parseCidr(entry)].filter((c): c is Cidr => c !== undefined).map((c) => c.text.split('/')[0])
        : entry.includes('..')
          ? entry.split('..')
          : [entry];
      for (const end of ends) {
        const addr = parseAddress(end);
        if (addr && ranges.cidrs.length && !ranges.cidrs.some((c) => cidrContains(c, addr))) {
          error(
            pool,
            `spec.ips[${i}]`,
            `${entry} is outside subnet ${pool.subnet.name}'s cidrBlock ${pool.subnet.cidrBlock}; keep pool entries inside the subnet`,
          );
          break;
        }
      }
    });
  }
  return issues;
}

/** A name reference that does not resolve: an error when the app defines objects of that kind (a typo), a warning otherwise (it may live outside the app). */
function unresolved(
  construct: IConstruct,
  path: string,
  what: string,
  name: string,
  known: readonly string[],
  fix: string,
): AppIssue {
  if (known.length) {
    const guess = closest(name, known);
    return {
      construct,
      path,
      severity: AppIssueSeverity.ERROR,
      message: `${what} "${name}" is not defined in this app (it defines ${known.join(', ')})${guess ? `; did you mean "${guess}"?` : ''} ${fix}`,
    };
  }
  return {
    construct,
    path,
    severity: AppIssueSeverity.WARNING,
    message: `${what} "${name}" is not defined in this app; make sure it exists in the cluster, or ${fix}`,
  };
}

function underlayChainIssues(root: IConstruct): AppIssue[] {
  const issues: AppIssue[] = [];
  const vlans = findByKind<Vlan>(root, 'Vlan', GROUP);
  const providerNetworks = findByKind<ProviderNetwork>(root, 'ProviderNetwork', GROUP);
  const vlanNames = vlans.map((v) => v.name);
  const pnNames = providerNetworks.map((p) => p.name);
  for (const subnet of findByKind<Subnet>(root, 'Subnet', GROUP)) {
    const name = subnet.vlanName;
    if (name === undefined || subnet.vlan !== undefined) continue;
    if (!vlanNames.includes(name)) {
      issues.push(
        unresolved(
          subnet,
          'spec.vlan',
          'Vlan',
          name,
          vlanNames,
          'define it with new Vlan(...) and pass vlan: thatVlan.',
        ),
      );
    }
  }
  for (const vlan of vlans) {
    if (vlan.providerNetwork !== undefined) continue;
    const name = vlan.providerNetworkName;
    if (!pnNames.includes(name)) {
      issues.push(
        unresolved(
          vlan,
          'spec.provider',
          'ProviderNetwork',
          name,
          pnNames,
          'define it with new ProviderNetwork(...) and pass provider: thatProviderNetwork.',
        ),
      );
    }
  }
  return issues;
}

const PROVIDER_PATTERN = /^[^.]+\.[^.]+(\.ovn)?$/;

function providerIssues(root: IConstruct): AppIssue[] {
  const issues: AppIssue[] = [];
  const nads = findByKind<NetworkAttachmentDefinition>(root, 'NetworkAttachmentDefinition');
  for (const subnet of findByKind<Subnet>(root, 'Subnet', GROUP)) {
    const provider = subnet.provider;
    if (provider !== undefined && provider !== 'ovn') {
      if (!PROVIDER_PATTERN.test(provider)) {
        issues.push({
          construct: subnet,
          path: 'spec.provider',
          severity: AppIssueSeverity.ERROR,
          message: `provider "${provider}" is neither ovn nor the provider of a NetworkAttachmentDefinition; write <nad-name>.<nad-namespace> (kube-ovn IPAM) or <nad-name>.<nad-namespace>.ovn (kube-ovn plugin), or pass network: theNad`,
        });
      } else {
        const [nadName, nadNamespace] = provider.split('.');
        const nad =
          subnet.network ?? nads.find((n) => n.name === nadName && n.effectiveNamespace === nadNamespace);
        if (nad === undefined) {
          issues.push({
            construct: subnet,
            path: 'spec.provider',
            severity: AppIssueSeverity.WARNING,
            message: `provider "${provider}" names NetworkAttachmentDefinition ${nadNamespace}/${nadName}, which this app does not define; make sure it exists and its CNI config carries the same provider`,
          });
        } else if (nad.kubeOvnProvider === undefined) {
          issues.push({
            construct: subnet,
            path: 'spec.provider',
            severity: AppIssueSeverity.ERROR,
            message: `subnet serves NetworkAttachmentDefinition ${nad.node.path}, whose ${nad.plugin.type} plugin does not use Kube-OVN, so Kube-OVN never allocates from this subnet; build the NAD with CniPlugin.kubeOvn() or give its plugin ipam: Ipam.kubeOvn()`,
          });
        } else if (nad.kubeOvnProvider !== provider) {
          issues.push({
            construct: subnet,
            path: 'spec.provider',
            severity: AppIssueSeverity.ERROR,
            message: `provider "${provider}" does not match NetworkAttachmentDefinition ${nad.node.path}, whose provider is "${nad.kubeOvnProvider}"; set provider to "${nad.kubeOvnProvider}" or pass network: theNad`,
          });
        }
      }
    }
    for (const binding of subnet.bindings ?? []) {
      if (!binding.network || provider === undefined || provider === 'ovn') continue;
      if (binding.provider !== provider) {
        issues.push({
          construct: binding.vm,
          path: annotationPath(binding.vm, binding.provider, 'logical_switch'),
          severity: AppIssueSeverity.ERROR,
          message: `attached to subnet ${subnet.name} through ${binding.network.node.path} (provider "${binding.provider}"), but the subnet's provider is "${provider}"; create the subnet with network: theNad so the providers match`,
        });
      }
    }
  }
  return issues;
}

/** The Kube-OVN app check (registered once per app by the Kube-OVN constructs). */
export const kubeOvnChecks: IAppCheck = {
  id: 'virtkit.kubeovn',
  check: (root) => [...staticAddressIssues(root), ...underlayChainIssues(root), ...providerIssues(root)],
};
