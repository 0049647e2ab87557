/**
 * virtkit's per-VM memory overhead: what a launcher pod needs on top of the guest's RAM.
 * The controller adds it to the launcher pod's memory request (KubeVirt does the same with
 * its own, larger, formula). A fact of the API model (the controller sizes pods with it; the launcher is what it measures),
 * derived from bench/launcher-overhead.ts (see docs/launcher.md):
 *
 *   base 160 MiB         launcher (Node.js, ~56 MiB measured) + QEMU's own heap, libraries, ROMs and
 *                        TCG state (~94 MiB beyond guest RAM and video, measured), with ~10% margin
 *   + 4 MiB per vCPU     vCPU thread stacks and per-CPU emulator state (TCG translation buffers are
 *                        shared; under KVM the per-vCPU cost is lower)
 *   + guest RAM / 512    guest page tables (KVM's shadow/EPT structures, QEMU's dirty bitmaps)
 *   + 16 MiB             when a graphics device is attached (VGA framebuffer)
 *   + 8 MiB per dedicated IO thread
 * Pure; rounded up to whole MiB.
 */
import type { VirtualMachineInstanceSpec } from '../kubevirt/v1';
import { guestMemoryBytes, topology } from './guest';

const MiB = 2 ** 20;
export const OVERHEAD_BASE_MIB = 160;
export const OVERHEAD_PER_VCPU_MIB = 4;
export const OVERHEAD_VIDEO_MIB = 16;
export const OVERHEAD_PER_IOTHREAD_MIB = 8;

/** Bytes of memory the launcher pod needs beyond the guest RAM of this VMI. */
export function memoryOverhead(spec: VirtualMachineInstanceSpec): number {
  const t = topology(spec);
  const vcpus = t.sockets * t.cores * t.threads;
  const guest = guestMemoryBytes(spec) ?? 0;
  const dev = spec.domain.devices;
  const video = dev.autoattachGraphicsDevice === false ? 0 : OVERHEAD_VIDEO_MIB * MiB;
  const iothreads =
    (dev.disks ?? []).filter((d) => d.dedicatedIOThread).length * OVERHEAD_PER_IOTHREAD_MIB * MiB;
  const total =
    OVERHEAD_BASE_MIB * MiB + vcpus * OVERHEAD_PER_VCPU_MIB * MiB + guest / 512 + video + iothreads;
  return Math.ceil(total / MiB) * MiB;
}
