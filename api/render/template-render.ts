/**
 * The one renderer of a VMI spec and VMI template, shared by VirtualMachine,
 * VirtualMachineInstance, VirtualMachineInstanceReplicaSet and VirtualMachinePool.
 * Pure: plain state in, api/ types out. Nothing the user did not set is written.
 */
import type { Toleration, Affinity } from '../k8s/scheduling';
import type {
  DataVolumeTemplateSpec,
  Disk as DiskSpec,
  DomainSpec,
  Features,
  Interface,
  Network,
  Volume,
  VirtualMachineInstanceSpec,
  VirtualMachineInstanceTemplateSpec,
} from '../kubevirt/v1';
import { compact, dropUndefined, nonEmpty, nonEmptyMap } from './compact';
import type { Disk, DiskProps } from './disk';
import type { Firmware } from './firmware';
import type { InterfaceProps, NetworkSource } from './network';
import type { Probe } from './probe';
import type { AffinitySpec, FeaturesSpec, TolerationSpec } from './structs';
import type { CpuTopology, EvictionStrategy, ResourceProps, VmiTemplateProps } from './template-props';

/** The mutable state behind a VMI template (what props and add* methods build up). */
export interface VmiTemplateState {
  cpu?: CpuTopology;
  memory?: string;
  resources?: ResourceProps;
  machineType?: string;
  firmware?: Firmware;
  features?: FeaturesSpec;
  disks: DiskProps[];
  volumes: { name: string; source: Disk }[];
  interfaces: InterfaceProps[];
  networks: { name: string; source: NetworkSource }[];
  nodeSelector: { [key: string]: string };
  affinity?: AffinitySpec;
  tolerations: TolerationSpec[];
  evictionStrategy?: EvictionStrategy;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  terminationGracePeriodSeconds?: number;
  hostname?: string;
  subdomain?: string;
  templateLabels: { [key: string]: string };
  templateAnnotations: { [key: string]: string };
}

/** A rendered VMI spec plus the DataVolume templates its disks own. */
export interface RenderedVmi {
  readonly spec: VirtualMachineInstanceSpec;
  readonly dataVolumeTemplates: DataVolumeTemplateSpec[];
}

function renderDisk(d: DiskProps): DiskSpec {
  const device = d.device ?? 'disk';
  const target = dropUndefined({ bus: d.bus, readonly: d.readOnly });
  return dropUndefined({
    name: d.name,
    [device]: target,
    bootOrder: d.bootOrder,
    serial: d.serial,
    cache: d.cache,
  }) as DiskSpec;
}

function renderInterface(i: InterfaceProps): Interface {
  return dropUndefined({
    name: i.name,
    ...i.binding._render(),
    model: i.model,
    macAddress: i.macAddress,
    bootOrder: i.bootOrder,
  });
}

function renderResources(r: ResourceProps | undefined): DomainSpec['resources'] {
  if (!r) return undefined;
  const requests: Record<string, string> = compact({ cpu: r.cpuRequest, memory: r.memoryRequest }) as Record<
    string,
    string
  >;
  const limits: Record<string, string> = compact({ cpu: r.cpuLimit, memory: r.memoryLimit }) as Record<
    string,
    string
  >;
  const out: NonNullable<DomainSpec['resources']> = compact({
    requests: Object.keys(requests).length ? requests : undefined,
    limits: Object.keys(limits).length ? limits : undefined,
  });
  return Object.keys(out).length ? out : undefined;
}

function renderDomain(s: VmiTemplateState): DomainSpec {
  return dropUndefined({
    cpu: s.cpu ? dropUndefined({ ...s.cpu }) : undefined,
    memory: s.memory !== undefined ? { guest: s.memory } : undefined,
    resources: renderResources(s.resources),
    machine: s.machineType !== undefined ? { type: s.machineType } : undefined,
    firmware: s.firmware?._render(),
    features: s.features ? (JSON.parse(JSON.stringify(s.features)) as Features) : undefined,
    devices: dropUndefined({
      disks: nonEmpty(s.disks.map(renderDisk)),
      interfaces: nonEmpty(s.interfaces.map(renderInterface)),
    }),
  });
}

/** Render the VMI spec; `ownerName` names owned DataVolumes (`<owner>-<disk>`). */
export function renderVmiSpec(s: VmiTemplateState, ownerName: string): RenderedVmi {
  const volumes: Volume[] = [];
  const dataVolumeTemplates: DataVolumeTemplateSpec[] = [];
  const sources = [...s.disks.map((d) => ({ name: d.name, source: d.source })), ...s.volumes];
  for (const { name, source } of sources) {
    const rendered = source._render(name, ownerName);
    volumes.push(rendered.volume);
    if (rendered.dataVolumeTemplate) dataVolumeTemplates.push(rendered.dataVolumeTemplate);
  }
  const networks: Network[] = s.networks.map((n) => n.source._render(n.name));
  const spec: VirtualMachineInstanceSpec = dropUndefined({
    domain: renderDomain(s),
    nodeSelector: nonEmptyMap(s.nodeSelector),
    affinity: s.affinity ? (JSON.parse(JSON.stringify(s.affinity)) as Affinity) : undefined,
    // Enumerations are strings in the structs; the schema checks them at synth.
    tolerations: nonEmpty(s.tolerations.map((t) => dropUndefined({ ...t }) as Toleration)),
    evictionStrategy: s.evictionStrategy,
    terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
    livenessProbe: s.livenessProbe?._render(),
    readinessProbe: s.readinessProbe?._render(),
    hostname: s.hostname,
    subdomain: s.subdomain,
    networks: nonEmpty(networks),
    volumes: nonEmpty(volumes),
  });
  return { spec, dataVolumeTemplates };
}

/** Render `{ metadata, spec }` for templates (VMs, replica sets, pools). */
export function renderVmiTemplate(
  s: VmiTemplateState,
  ownerName: string,
): { template: VirtualMachineInstanceTemplateSpec; dataVolumeTemplates: DataVolumeTemplateSpec[] } {
  const { spec, dataVolumeTemplates } = renderVmiSpec(s, ownerName);
  const metadata = dropUndefined({
    labels: nonEmptyMap(s.templateLabels),
    annotations: nonEmptyMap(s.templateAnnotations),
  });
  return {
    template: Object.keys(metadata).length ? { metadata, spec } : { spec },
    dataVolumeTemplates,
  };
}

/** A fresh state from props (copies every list and map, so props stay untouched). */
export function stateFromProps(p: VmiTemplateProps): VmiTemplateState {
  return {
    cpu: p.cpu,
    memory: p.memory,
    resources: p.resources,
    machineType: p.machineType,
    firmware: p.firmware,
    features: p.features,
    disks: [...(p.disks ?? [])],
    volumes: [],
    interfaces: [...(p.interfaces ?? [])],
    networks: (p.networks ?? []).map((n) => ({ name: n.name, source: n.source })),
    nodeSelector: { ...(p.nodeSelector ?? {}) },
    affinity: p.affinity,
    tolerations: [...(p.tolerations ?? [])],
    evictionStrategy: p.evictionStrategy,
    livenessProbe: p.livenessProbe,
    readinessProbe: p.readinessProbe,
    terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
    hostname: p.hostname,
    subdomain: p.subdomain,
    templateLabels: { ...(p.templateLabels ?? {}) },
    templateAnnotations: { ...(p.templateAnnotations ?? {}) },
  };
}
