/**
 * The Kubernetes core/v1 types KubeVirt embeds, in one import. Each group lives in
 * its own file; PodDNSConfig is small enough to live here.
 */
import { Obj, Opt, Str, StringList, List, type Static } from '../schema/dsl';

export * from './scheduling';
export * from './storage';
export * from './probes';

export const PodDNSConfigOption = Obj('A resolver option.', {
  name: Opt(Str('Option name, for example ndots.')),
  value: Opt(Str('Option value, if the option takes one.')),
});
export type PodDNSConfigOption = Static<typeof PodDNSConfigOption>;

export const PodDNSConfig = Obj('DNS settings merged into those derived from dnsPolicy.', {
  nameservers: Opt(StringList('Name server IP addresses.')),
  searches: Opt(StringList('DNS search domains.')),
  options: Opt(List('Resolver options.', PodDNSConfigOption)),
});
export type PodDNSConfig = Static<typeof PodDNSConfig>;

export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
export type DNSPolicy = (typeof DNS_POLICIES)[number];

export const PULL_POLICIES = ['Always', 'Never', 'IfNotPresent'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

export const POD_QOS_CLASSES = ['Guaranteed', 'Burstable', 'BestEffort'] as const;
export type PodQOSClass = (typeof POD_QOS_CLASSES)[number];
