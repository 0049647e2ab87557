/**
 * A preference's `requirements` (KubeVirt checks them when it admits a VM): the instancetype,
 * or the VM when it has none, must give at least `requirements.cpu.guest` vCPUs and
 * `requirements.memory.guest` memory, and the VM must run on `requirements.architecture`.
 * Without an instancetype the VM's vCPUs are counted the way the preference lays them out
 * (sockets, cores, threads, the spread levels, or all three for `any`), after KubeVirt's
 * defaults: no topology at all means sockets from the CPU limit or request (else 1), cores and
 * threads 1; its memory is `memory.guest`, else the memory request, limit or huge page size.
 * The first failure is the answer, in KubeVirt's words, with its field. Pure.
 */
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { VirtualMachineInstancetypeSpec } from '../v1beta1/instancetype';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { parseQuantity } from '../../quantity';
import { REQUIREMENTS_PREFIX, type ExpansionProblem } from './conflicts';
import { preferredTopology, spreadOptions } from './cpu-topology';
import { canonicalQuantity } from './quantity-text';

/** The architecture a VM gets when neither it nor its preference names one (virtkit runs amd64 guests). */
export const DEFAULT_ARCHITECTURE = 'amd64';

const CPU_FIELD = 'spec.template.spec.domain.cpu';

interface Failure {
  readonly field: string;
  readonly error: string;
  readonly fix: string;
}

/** KubeVirt's defaulted topology of a VM: what its requirement check counts. */
function vmTopology(spec: VirtualMachineInstanceSpec): { sockets: number; cores: number; threads: number } {
  const cpu = spec.domain?.cpu ?? {};
  if (cpu.sockets || cpu.cores || cpu.threads)
    return { sockets: cpu.sockets ?? 0, cores: cpu.cores ?? 0, threads: cpu.threads ?? 0 };
  const resources = spec.domain?.resources;
  const amount = resources?.limits?.cpu ?? resources?.requests?.cpu;
  const sockets = amount === undefined ? 1 : Math.ceil(parseQuantity(amount) ?? 1);
  return { sockets, cores: 1, threads: 1 };
}

function checkCpu(
  it: VirtualMachineInstancetypeSpec | undefined,
  p: VirtualMachinePreferenceSpec,
  spec: VirtualMachineInstanceSpec,
): Failure | undefined {
  const required = p.requirements?.cpu?.guest;
  if (required === undefined || required === null) return undefined;
  const fixVm = (levels: string) =>
    `give the VM at least ${required} vCPUs as ${levels}, or choose another preference`;
  if (it) {
    if (it.cpu.guest >= required) return undefined;
    return {
      field: 'spec.instancetype',
      error: `insufficient CPU resources of ${it.cpu.guest} vCPU provided by instance type, preference requires ${required} vCPU`,
      fix: `choose an instance type with spec.cpu.guest of at least ${required}, or another preference`,
    };
  }
  const t = vmTopology(spec);
  const short = (provided: number, levels: string, fields: string[]): Failure | undefined =>
    provided >= required
      ? undefined
      : {
          field: fields.map((f) => `${CPU_FIELD}.${f}`).join(', '),
          error: `insufficient CPU resources of ${provided} vCPU provided by VirtualMachine, preference requires ${required} vCPU provided as ${levels}`,
          fix: fixVm(levels),
        };
  switch (preferredTopology(p)) {
    case 'threads':
      return short(t.threads, 'threads', ['threads']);
    case 'cores':
      return short(t.cores, 'cores', ['cores']);
    case 'spread': {
      const { across } = spreadOptions(p);
      if (across === 'CoresThreads') return short(t.cores * t.threads, across, ['cores', 'threads']);
      if (across === 'SocketsCoresThreads')
        return short(t.sockets * t.cores * t.threads, across, ['sockets', 'cores', 'threads']);
      return short(t.sockets * t.cores, across, ['sockets', 'cores']);
    }
    case 'any':
      return short(t.cores * t.sockets * t.threads, 'cores, sockets and threads', [
        'cores',
        'sockets',
        'threads',
      ]);
    default:
      return short(t.sockets, 'sockets', ['sockets']);
  }
}

/** KubeVirt's defaulted guest memory of a VM, as written; undefined when it has none. */
function vmMemory(spec: VirtualMachineInstanceSpec): string | number | undefined {
  const domain = spec.domain;
  return (
    domain?.memory?.guest ??
    domain?.resources?.requests?.memory ??
    domain?.resources?.limits?.memory ??
    domain?.memory?.hugepages?.pageSize
  );
}

function checkMemory(
  it: VirtualMachineInstancetypeSpec | undefined,
  p: VirtualMachinePreferenceSpec,
  spec: VirtualMachineInstanceSpec,
): Failure | undefined {
  const required = p.requirements?.memory?.guest;
  const requiredBytes = parseQuantity(required);
  if (required === undefined || requiredBytes === undefined) return undefined;
  const provided = it ? it.memory.guest : vmMemory(spec);
  const providedBytes = parseQuantity(provided);
  if (provided === undefined || providedBytes === undefined || providedBytes >= requiredBytes)
    return undefined;
  const by = it ? 'instance type' : 'VirtualMachine';
  return {
    field: it ? 'spec.instancetype' : 'spec.template.spec.domain.memory',
    error: `insufficient Memory resources of ${canonicalQuantity(provided)} provided by ${by}, preference requires ${canonicalQuantity(required)}`,
    fix: it
      ? `choose an instance type with spec.memory.guest of at least ${canonicalQuantity(required)}, or another preference`
      : `give the VM at least ${canonicalQuantity(required)} in spec.template.spec.domain.memory.guest, or choose another preference`,
  };
}

function checkArchitecture(
  p: VirtualMachinePreferenceSpec,
  spec: VirtualMachineInstanceSpec,
  defaultArchitecture: string,
): Failure | undefined {
  const required = p.requirements?.architecture;
  if (required === undefined || required === null) return undefined;
  const requested = spec.architecture || p.preferredArchitecture || defaultArchitecture;
  if (requested === required) return undefined;
  return {
    field: 'spec.template.spec.architecture',
    error: `preference requires architecture ${required} but ${requested} is being requested`,
    fix: `set spec.template.spec.architecture to ${required}, or choose another preference`,
  };
}

/**
 * The first requirement of the preference the instancetype (or, without one, the VM's own
 * template spec) does not meet: KubeVirt's message (`failure checking preference requirements:
 * ...`), its field, and the fix; undefined when every requirement is met.
 */
export function checkPreferenceRequirements(
  instancetype: VirtualMachineInstancetypeSpec | undefined,
  preference: VirtualMachinePreferenceSpec | undefined,
  spec: VirtualMachineInstanceSpec,
  defaultArchitecture = DEFAULT_ARCHITECTURE,
): ExpansionProblem | undefined {
  if (!preference?.requirements) return undefined;
  const failure =
    checkCpu(instancetype, preference, spec) ??
    checkMemory(instancetype, preference, spec) ??
    checkArchitecture(preference, spec, defaultArchitecture);
  if (!failure) return undefined;
  const summary = `${REQUIREMENTS_PREFIX}${failure.error}`;
  return {
    kind: 'PreferenceRequirement',
    field: failure.field,
    summary,
    message: `${summary}; ${failure.fix}`,
  };
}
