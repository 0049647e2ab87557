/**
 * VirtualMachineInstanceSpec (the desired running guest) and the template other kinds
 * embed it in.
 */
import {
  Obj,
  Opt,
  Str,
  Int64,
  Enum,
  OpenEnum,
  StringMap,
  List,
  ListMap,
  CrdOverride,
  Nullable,
  type Static,
  type TSchema,
} from '../../schema/dsl';
import { ObjectMeta } from '../../k8s/meta';
import { Affinity, PodDNSConfig, Toleration, TopologySpreadConstraint, DNS_POLICIES } from '../../k8s/core';
import { DomainSpec } from './domain';
import { UtilityVolume, Volume } from './volumes';
import { Network } from './networks';
import { Probe } from './probes';
import { AccessCredential } from './access-credentials';

export const EVICTION_STRATEGIES = ['None', 'LiveMigrate', 'LiveMigrateIfPossible', 'External'] as const;
export type EvictionStrategy = (typeof EVICTION_STRATEGIES)[number];

export const START_STRATEGIES = ['Paused'] as const;
export type StartStrategy = (typeof START_STRATEGIES)[number];

export const ARCHITECTURES = ['amd64', 'arm64', 's390x'] as const;

/** KubeVirt caps volumes, networks and access credentials at 256 entries each. */
export const MAX_VMI_LIST_ITEMS = 256;

function capped<T extends TSchema>(list: T): T {
  return { ...list, maxItems: MAX_VMI_LIST_ITEMS } as T;
}

export const VirtualMachineInstanceResourceClaim = Obj(
  'A dynamic resource allocation claim the launcher pod needs before it starts.',
  {
    name: Str('Name of the claim inside the VMI (a DNS label); devices refer to it as claimName.'),
    resourceClaimName: Opt(
      Str('An existing ResourceClaim in the namespace; set this or resourceClaimTemplateName.'),
    ),
    resourceClaimTemplateName: Opt(
      Str(
        'A ResourceClaimTemplate from which a claim is made for the launcher pod; set this or resourceClaimName.',
      ),
    ),
  },
);
export type VirtualMachineInstanceResourceClaim = Static<typeof VirtualMachineInstanceResourceClaim>;

export const VirtualMachineInstanceSpec = Obj(
  'Desired state of a virtual machine instance: hardware, storage, networks and placement.',
  {
    priorityClassName: Opt(Str('PriorityClass of the launcher pod.')),
    domain: DomainSpec,
    nodeSelector: Opt(StringMap('Node labels a node must carry to run the VMI.')),
    affinity: Opt(Affinity),
    schedulerName: Opt(Str('Scheduler that places the launcher pod; the default scheduler when empty.')),
    serviceAccountName: Opt(
      Str(
        'Service account of the launcher pod; the guest only sees its token through a serviceAccount volume.',
      ),
    ),
    tolerations: Opt(List('Taints the launcher pod tolerates.', Toleration)),
    topologySpreadConstraints: Opt(
      ListMap('How VMIs are spread across topology domains.', TopologySpreadConstraint, [
        'topologyKey',
        'whenUnsatisfiable',
      ]),
    ),
    evictionStrategy: Opt(
      Enum(
        'What happens to the VMI when its node is drained; the cluster setting applies when unset.',
        EVICTION_STRATEGIES,
      ),
    ),
    startStrategy: Opt(Enum('Set to Paused to start the guest paused.', START_STRATEGIES)),
    terminationGracePeriodSeconds: Opt(
      Int64(
        'Seconds the guest gets to shut down after the stop signal before it is killed; defaults to 30.',
        { minimum: 0 },
      ),
    ),
    volumes: Opt(
      capped(ListMap('Volumes that disks and filesystems of the VMI use, keyed by name.', Volume)),
    ),
    livenessProbe: Opt(Probe),
    readinessProbe: Opt(Probe),
    hostname: Opt(
      Str('Hostname of the guest; defaults to the VMI name when DHCP or cloud-init passes it on.'),
    ),
    subdomain: Opt(
      Str(
        'With a hostname, gives the guest the FQDN <hostname>.<subdomain>.<namespace>.svc.<cluster domain>.',
      ),
    ),
    networks: Opt(capped(ListMap('Networks the interfaces of the VMI connect to, keyed by name.', Network))),
    dnsPolicy: Opt(Enum('DNS policy of the launcher pod; defaults to ClusterFirst.', DNS_POLICIES)),
    dnsConfig: Opt(PodDNSConfig),
    accessCredentials: Opt(capped(List('SSH keys and passwords injected into the guest.', AccessCredential))),
    architecture: Opt(
      OpenEnum('CPU architecture of the guest; defaults to the architecture of the cluster.', ARCHITECTURES),
    ),
    resourceClaims: Opt(
      ListMap(
        'Dynamic resource allocation claims (alpha; needs a DRA feature gate).',
        VirtualMachineInstanceResourceClaim,
      ),
    ),
    utilityVolumes: Opt(
      capped(
        ListMap('Claims mounted into the launcher pod without a guest disk, keyed by name.', UtilityVolume),
      ),
    ),
  },
);
export type VirtualMachineInstanceSpec = Static<typeof VirtualMachineInstanceSpec>;

/**
 * Template metadata: validated as ObjectMeta, published as KubeVirt publishes it (an
 * opaque, nullable object), so labels and annotations are never pruned.
 */
export const TemplateObjectMeta = CrdOverride(Nullable(ObjectMeta), {
  type: 'object',
  nullable: true,
  'x-kubernetes-preserve-unknown-fields': true,
});

export const VirtualMachineInstanceTemplateSpec = Obj('Template of the VMIs a VM or replica set creates.', {
  metadata: Opt(TemplateObjectMeta),
  spec: Opt(VirtualMachineInstanceSpec),
});
export type VirtualMachineInstanceTemplateSpec = Static<typeof VirtualMachineInstanceTemplateSpec>;
