/**
 * How an instancetype's vCPU count becomes a guest topology, following the preference's
 * `cpu.preferredCPUTopology` (KubeVirt's rules): `sockets` by default (also for `any`), or all
 * `cores`, all `threads`, or `spread` across sockets and cores (cores per socket = the ratio,
 * 2 by default), cores and threads (threads per core = the ratio) or sockets, cores and threads
 * (2 threads per core, the ratio cores per socket). The deprecated `prefer*` spellings mean the
 * same. A spread the vCPU count does not divide is a conflict, with KubeVirt's message. Pure.
 */
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import type { Conflict } from './conflicts';

export type CpuTopologyChoice = 'sockets' | 'cores' | 'threads' | 'spread' | 'any';
export type SpreadAcross = 'SocketsCores' | 'CoresThreads' | 'SocketsCoresThreads';

export interface GuestTopology {
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

const DEPRECATED: Readonly<Record<string, CpuTopologyChoice>> = {
  preferSockets: 'sockets',
  preferCores: 'cores',
  preferThreads: 'threads',
  preferSpread: 'spread',
  preferAny: 'any',
};
const CHOICES: readonly string[] = ['sockets', 'cores', 'threads', 'spread', 'any'];

/** The preference's topology, the deprecated spellings mapped to the current ones; sockets by default. */
export function preferredTopology(preference: VirtualMachinePreferenceSpec | undefined): CpuTopologyChoice {
  const written = preference?.cpu?.preferredCPUTopology;
  if (!written) return 'sockets';
  if (written in DEPRECATED) return DEPRECATED[written];
  // An unknown value (the schema refuses it) lays nothing out but the defaults, as KubeVirt does.
  return CHOICES.includes(written) ? (written as CpuTopologyChoice) : 'sockets';
}

/** Ratio and levels of a spread: spreadOptions first, then the deprecated ratio field, then 2 across SocketsCores. */
export function spreadOptions(preference: VirtualMachinePreferenceSpec | undefined): {
  ratio: number;
  across: SpreadAcross;
} {
  let ratio = 2;
  if (preference?.preferSpreadSocketToCoreRatio) ratio = preference.preferSpreadSocketToCoreRatio;
  const options = preference?.cpu?.spreadOptions;
  if (options?.ratio !== undefined && options.ratio !== null) ratio = options.ratio;
  return { ratio, across: options?.across ?? 'SocketsCores' };
}

const THREADS_PER_CORE = 2;
/** KubeVirt reports a spread that does not divide at this path (of the instancetype, not the VM). */
export const SPREAD_CONFLICT_FIELD = 'instancetype.spec.cpu.guest';

/** The conflict of a spread topology the instancetype's vCPU count does not divide, in KubeVirt's words. */
export function spreadConflict(
  vcpus: number,
  preference: VirtualMachinePreferenceSpec | undefined,
): Conflict | undefined {
  if (preferredTopology(preference) !== 'spread') return undefined;
  const { ratio, across } = spreadOptions(preference);
  const divides = (n: number, by: number) => by >= 1 && Number.isInteger(n / by);
  const ratioWords = 'Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio';
  let message: string | undefined;
  if (across === 'SocketsCores' && !divides(vcpus, ratio)) {
    message = `${vcpus} vCPUs provided by the instance type are not divisible by the ${ratioWords} of ${ratio} provided by the preference`;
  } else if (across === 'CoresThreads' && !divides(vcpus, ratio)) {
    message = `${vcpus} vCPUs provided by the instance type are not divisible by the number of threads per core ${ratio}`;
  } else if (
    across === 'SocketsCoresThreads' &&
    !(divides(vcpus, THREADS_PER_CORE) && divides(vcpus / THREADS_PER_CORE, ratio))
  ) {
    message = `${vcpus} vCPUs provided by the instance type are not divisible by the number of threads per core ${THREADS_PER_CORE} and ${ratioWords} of ${ratio}`;
  }
  if (!message) return undefined;
  return {
    field: SPREAD_CONFLICT_FIELD,
    message,
    fix: `choose an instance type whose spec.cpu.guest is a multiple of the spread (${across}, ratio ${ratio}), or change the preference's spec.cpu.spreadOptions`,
  };
}

/** The topology of `vcpus` as the preference lays it out (check spreadConflict first). */
export function guestTopology(
  vcpus: number,
  preference: VirtualMachinePreferenceSpec | undefined,
): GuestTopology {
  const one = { sockets: 1, cores: 1, threads: 1 };
  if (vcpus === 1) return one;
  switch (preferredTopology(preference)) {
    case 'cores':
      return { ...one, cores: vcpus };
    case 'threads':
      return { ...one, threads: vcpus };
    case 'spread': {
      const { ratio, across } = spreadOptions(preference);
      if (across === 'CoresThreads') return { sockets: 1, cores: Math.trunc(vcpus / ratio), threads: ratio };
      if (across === 'SocketsCoresThreads')
        return {
          sockets: Math.trunc(vcpus / THREADS_PER_CORE / ratio),
          cores: ratio,
          threads: THREADS_PER_CORE,
        };
      return { sockets: Math.trunc(vcpus / ratio), cores: ratio, threads: 1 };
    }
    default:
      return { ...one, sockets: vcpus };
  }
}
