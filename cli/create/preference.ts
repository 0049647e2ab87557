/**
 * `virtkit create preference`: virtctl's generator of a VirtualMachineClusterPreference (or, with
 * --namespaced or -n, a VirtualMachinePreference) with virtctl's flags: --cpu-topology,
 * --volume-storage-class and --machine-type. Pure: the object, or a CreateUsageError naming
 * every bad flag.
 */
import {
  PREFERRED_CPU_TOPOLOGIES,
  type VirtualMachineClusterPreference,
  type VirtualMachinePreference,
  type VirtualMachinePreferenceSpec,
} from '../../api/instancetype/v1beta1';
import { dns1123SubdomainProblems } from '../../api/validation/dns-names';
import { assertValid } from './manifest';
import { Problems, randomSuffix, type RandomSuffix, scopedMetadata } from './params';

export interface CreatePreferenceOptions {
  /** Default: `clusterpreference-` (or `preference-`) and 5 random characters, as virtctl. */
  readonly name?: string;
  /** -n: the namespace; implies --namespaced, as in virtctl. */
  readonly namespace?: string;
  readonly namespaced?: boolean;
  /** spec.cpu.preferredCPUTopology: sockets, cores, threads, spread, any (or a deprecated prefer*). */
  readonly cpuTopology?: string;
  /** spec.volumes.preferredStorageClassName. */
  readonly volumeStorageClass?: string;
  /** spec.machine.preferredMachineType, such as q35. */
  readonly machineType?: string;
}

/** QEMU machine type names: q35, pc-q35-9.2, virt... */
const MACHINE_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function createPreference(
  opts: CreatePreferenceOptions,
  random: RandomSuffix = randomSuffix,
): VirtualMachinePreference | VirtualMachineClusterPreference {
  const problems = new Problems();
  const { namespaced, metadata } = scopedMetadata(problems, opts, 'preference', random);

  const spec: VirtualMachinePreferenceSpec = {};
  if (opts.cpuTopology !== undefined) {
    const topology = PREFERRED_CPU_TOPOLOGIES.find((t) => t === opts.cpuTopology);
    if (topology) spec.cpu = { preferredCPUTopology: topology };
    else
      problems.add(
        'cpu-topology',
        opts.cpuTopology,
        'CPU topology must have a value of sockets, cores, threads, spread or any (preferSockets, preferCores, preferThreads, preferSpread and preferAny are the deprecated spellings)',
      );
  }
  if (opts.volumeStorageClass !== undefined) {
    const found = dns1123SubdomainProblems(opts.volumeStorageClass);
    if (found.length)
      problems.add(
        'volume-storage-class',
        opts.volumeStorageClass,
        `not a StorageClass name: ${found.join('; ')}`,
      );
    else spec.volumes = { preferredStorageClassName: opts.volumeStorageClass };
  }
  if (opts.machineType !== undefined) {
    if (MACHINE_TYPE_RE.test(opts.machineType)) spec.machine = { preferredMachineType: opts.machineType };
    else
      problems.add(
        'machine-type',
        opts.machineType,
        'not a machine type; write a QEMU machine type such as q35 or pc-q35-rhel9.6.0',
      );
  }
  problems.check();

  const object = {
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind: namespaced ? 'VirtualMachinePreference' : 'VirtualMachineClusterPreference',
    metadata,
    spec,
  } as VirtualMachinePreference | VirtualMachineClusterPreference;
  assertValid(object, object.kind);
  return object;
}
