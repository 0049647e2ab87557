/**
 * A VMI's guest size as the API model defines it: vCPU topology and guest RAM. The controller
 * sizes launcher pods from it and the launcher builds QEMU's -smp and -m from it. Pure.
 */
import { parseQuantity } from '../quantity';
import type { VirtualMachineInstanceSpec } from '../kubevirt/v1';

function cpuCount(value: unknown): number | undefined {
  const n = parseQuantity(value);
  return n === undefined ? undefined : Math.max(1, Math.ceil(n));
}

/** Guest vCPU topology: explicit sockets/cores/threads, else the CPU request or limit, else 1. */
export function topology(spec: VirtualMachineInstanceSpec): {
  sockets: number;
  cores: number;
  threads: number;
} {
  const cpu = spec.domain.cpu;
  if (cpu?.sockets || cpu?.cores || cpu?.threads) {
    return { sockets: cpu.sockets || 1, cores: cpu.cores || 1, threads: cpu.threads || 1 };
  }
  const res = spec.domain.resources;
  const fromResources = cpuCount(res?.limits?.cpu) ?? cpuCount(res?.requests?.cpu);
  return { sockets: fromResources ?? 1, cores: 1, threads: 1 };
}

/** Guest RAM: memory.guest, else the memory request, else the memory limit. */
export function guestMemoryBytes(spec: VirtualMachineInstanceSpec): number | undefined {
  const d = spec.domain;
  for (const q of [d.memory?.guest, d.resources?.requests?.memory, d.resources?.limits?.memory]) {
    const n = parseQuantity(q);
    if (n !== undefined && n > 0) return n;
  }
  return undefined;
}
