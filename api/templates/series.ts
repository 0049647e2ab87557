/**
 * The instancetype series of the template library, computed rather than typed out: each
 * series is a vCPU:memory ratio plus the traits that set it apart (overcommit, dedicated
 * CPUs, huge pages). Names, ratios and traits follow kubevirt/common-instancetypes so a VM
 * that says `u1.medium` means the same thing on virtkit and on upstream KubeVirt.
 */
import type { instancetypeV1beta1 } from '..';
import { IoThreadsPolicy, renderInstancetypeSpec, type InstancetypeSettings } from './instancetype-spec';

type InstancetypeSpec = instancetypeV1beta1.VirtualMachineInstancetypeSpec;

/** The settings a series adds to every size (all but vCPUs and memory). */
export type SeriesTraits = Omit<InstancetypeSettings, 'cpus' | 'memory'>;

/** The size ladder, smallest first. `medium` is the first size with a whole 1:ratio pair. */
export const INSTANCETYPE_SIZES = [
  'nano',
  'micro',
  'small',
  'medium',
  'large',
  'xlarge',
  '2xlarge',
  '4xlarge',
  '8xlarge',
] as const;

const MEDIUM = INSTANCETYPE_SIZES.indexOf('medium');

/** What one series of instancetypes is. */
export interface InstancetypeSeriesDefinition {
  /** Series prefix of every name, for example `u1`. */
  readonly name: string;
  /** Value of the `instancetype.kubevirt.io/class` label, for example `general.purpose`. */
  readonly className: string;
  /** Human name shown by UIs, for example `General Purpose`. */
  readonly displayName: string;
  /** One line on the series, in the `instancetype.kubevirt.io/description` annotation. */
  readonly description: string;
  /** GiB of guest memory per vCPU. */
  readonly memoryPerCpuGi: number;
  /** Sizes the upstream catalogue publishes; the library generates every size of the ladder. */
  readonly upstreamSizes: readonly string[];
  /** The settings shared by every size. */
  readonly traits: SeriesTraits;
}

const ALL = INSTANCETYPE_SIZES;

export const U1: InstancetypeSeriesDefinition = {
  name: 'u1',
  className: 'general.purpose',
  displayName: 'General Purpose',
  description: 'Balanced vCPUs and memory for everyday workloads; vCPUs share host cores by time-slicing.',
  memoryPerCpuGi: 4,
  upstreamSizes: ALL,
  traits: {},
};

export const O1: InstancetypeSeriesDefinition = {
  name: 'o1',
  className: 'overcommitted',
  displayName: 'Overcommitted',
  description: 'The u1 shapes with half of the guest memory left unrequested, to pack more VMs per node.',
  memoryPerCpuGi: 4,
  upstreamSizes: ALL,
  traits: { overcommitPercent: 50 },
};

export const CX1: InstancetypeSeriesDefinition = {
  name: 'cx1',
  className: 'compute.exclusive',
  displayName: 'Compute Exclusive',
  description:
    'Dedicated host CPUs with an isolated emulator thread, the host NUMA layout passed through and 2Mi huge pages, for compute-bound work.',
  memoryPerCpuGi: 2,
  upstreamSizes: ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'],
  traits: {
    dedicatedCpuPlacement: true,
    isolateEmulatorThread: true,
    numaGuestMappingPassthrough: true,
    hugepagesPageSize: '2Mi',
    ioThreadsPolicy: IoThreadsPolicy.AUTO,
  },
};

export const M1: InstancetypeSeriesDefinition = {
  name: 'm1',
  className: 'memory.intensive',
  displayName: 'Memory Intensive',
  description: 'Eight GiB per vCPU backed by 2Mi huge pages, for caches and in-memory databases.',
  memoryPerCpuGi: 8,
  upstreamSizes: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'],
  traits: { hugepagesPageSize: '2Mi' },
};

/** Every series of the library, in catalogue order. */
export const INSTANCETYPE_SERIES: readonly InstancetypeSeriesDefinition[] = [U1, O1, CX1, M1];

/** vCPUs of a size: 1 up to medium, then doubling each step. */
export function cpusForSize(size: string): number {
  const step = sizeIndex(size) - MEDIUM;
  return step <= 0 ? 1 : 2 ** step;
}

/** Guest memory of a size in MiB: the ratio at medium, halving below and doubling above. */
export function memoryMiForSize(series: InstancetypeSeriesDefinition, size: string): number {
  const step = sizeIndex(size) - MEDIUM;
  return series.memoryPerCpuGi * 1024 * 2 ** step;
}

/** A MiB count as a Kubernetes quantity, in Gi when it is whole. */
export function formatMi(mi: number): string {
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

function sizeIndex(size: string): number {
  const i = (INSTANCETYPE_SIZES as readonly string[]).indexOf(size);
  if (i < 0) {
    throw new Error(`unknown instancetype size "${size}"; use one of: ${INSTANCETYPE_SIZES.join(', ')}`);
  }
  return i;
}

/** The settings of `<series>.<size>`, traits included. */
export function instancetypeSettingsFor(
  series: InstancetypeSeriesDefinition,
  size: string,
): InstancetypeSettings {
  return { ...series.traits, cpus: cpusForSize(size), memory: formatMi(memoryMiForSize(series, size)) };
}

/** The full api/ spec of `<series>.<size>`. */
export function instancetypeSpecFor(series: InstancetypeSeriesDefinition, size: string): InstancetypeSpec {
  return renderInstancetypeSpec(instancetypeSettingsFor(series, size));
}

/** Labels that UIs and `kubectl get -l` use to find instancetypes by shape. */
export function instancetypeLabelsFor(
  series: InstancetypeSeriesDefinition,
  size: string,
): Record<string, string> {
  return {
    'instancetype.kubevirt.io/class': series.className,
    'instancetype.kubevirt.io/cpu': String(cpusForSize(size)),
    'instancetype.kubevirt.io/memory': formatMi(memoryMiForSize(series, size)),
    'instancetype.kubevirt.io/size': size,
    'instancetype.kubevirt.io/version': series.name.replace(/^[a-z]+/, ''),
  };
}

/** Split `u1.medium` into its series and size, with a message naming what is wrong. */
export function parseInstancetypeName(name: string): { series: InstancetypeSeriesDefinition; size: string } {
  const dot = name.indexOf('.');
  const seriesName = dot < 0 ? name : name.slice(0, dot);
  const size = dot < 0 ? '' : name.slice(dot + 1);
  const series = INSTANCETYPE_SERIES.find((s) => s.name === seriesName);
  if (!series) {
    throw new Error(
      `instancetype "${name}" is not in the library; write <series>.<size> with series one of ${INSTANCETYPE_SERIES.map((s) => s.name).join(', ')}, for example u1.medium`,
    );
  }
  if (!(INSTANCETYPE_SIZES as readonly string[]).includes(size)) {
    throw new Error(
      `instancetype "${name}" has no size "${size}"; use one of: ${INSTANCETYPE_SIZES.join(', ')}, for example ${series.name}.medium`,
    );
  }
  return { series, size };
}
