/**
 * An instancetype applied to a VMI template, KubeVirt's way: the instancetype's fields win, and a
 * VM that sets one of them too is a conflict (KubeVirt reports the VM's field path). In KubeVirt's
 * order: nodeSelector, schedulerName, CPU (guest vCPUs as a topology, model, dedicated placement,
 * emulator thread isolation, NUMA, realtime, maxSockets), memory (guest, overcommit as a lower
 * request, hugepages, maxGuest), ioThreadsPolicy, ioThreads, launchSecurity, GPUs, host devices,
 * then the annotations of the template. Values are copied, never shared with the instancetype.
 * Pure, but it writes into the spec and metadata it is given (expand.ts hands it copies).
 */
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { VirtualMachineInstancetypeSpec } from '../v1beta1/instancetype';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { show } from '../../validation/issue';
import { parseQuantity } from '../../quantity';
import type { Conflict } from './conflicts';
import { guestTopology, spreadConflict } from './cpu-topology';
import { formatQuantity, quantityNotation } from './quantity-text';
import { copyOf, isSet, isWritten } from './values';

/** The template's metadata as the apply functions see it (only the annotations are written). */
export interface TemplateMetadata {
  annotations?: Record<string, string>;
}

/** Where the VMI spec sits in the VM, for conflict paths. */
export const TEMPLATE_SPEC_PATH = 'spec.template.spec';

const hasKey = (map: Record<string, unknown> | undefined | null, key: string): boolean =>
  !!map && isSet(map[key]);

class Conflicts {
  readonly list: Conflict[] = [];
  constructor(
    private readonly base: string,
    /** `the VirtualMachineClusterInstancetype "u1.small"`, for the fix. */
    private readonly who: string,
  ) {}

  /** The VM sets `vmPath` (under the template spec) that the instancetype's `itField` decides. */
  add(vmPath: string, vmValue: unknown, itField: string, itValue: unknown): void {
    this.list.push({
      field: `${this.base}.${vmPath}`,
      value: vmValue,
      fix: `${this.who} sets ${itField} (${show(itValue)}); remove ${this.base}.${vmPath} from the VM, or choose an instance type that leaves ${itField} out`,
    });
  }
}

function cpuConflicts(
  it: VirtualMachineInstancetypeSpec,
  spec: VirtualMachineInstanceSpec,
  c: Conflicts,
): number {
  const before = c.list.length;
  const cpu = spec.domain.cpu ?? {};
  const resources = spec.domain.resources;
  const guest = ['spec.cpu.guest', it.cpu.guest] as const;
  if (hasKey(resources?.requests, 'cpu'))
    c.add('domain.resources.requests.cpu', resources?.requests?.cpu, ...guest);
  if (hasKey(resources?.limits, 'cpu'))
    c.add('domain.resources.limits.cpu', resources?.limits?.cpu, ...guest);
  for (const level of ['sockets', 'cores', 'threads'] as const) {
    if (cpu[level]) c.add(`domain.cpu.${level}`, cpu[level], ...guest);
  }
  if (cpu.model && isSet(it.cpu.model)) c.add('domain.cpu.model', cpu.model, 'spec.cpu.model', it.cpu.model);
  // KubeVirt names these two by the instancetype's spelling (dedicatedCPUPlacement), not the VMI's.
  if (cpu.dedicatedCpuPlacement && isSet(it.cpu.dedicatedCPUPlacement))
    c.add(
      'domain.cpu.dedicatedCPUPlacement',
      true,
      'spec.cpu.dedicatedCPUPlacement',
      it.cpu.dedicatedCPUPlacement,
    );
  if (cpu.isolateEmulatorThread && isSet(it.cpu.isolateEmulatorThread))
    c.add(
      'domain.cpu.isolateEmulatorThread',
      true,
      'spec.cpu.isolateEmulatorThread',
      it.cpu.isolateEmulatorThread,
    );
  if (isSet(cpu.numa) && isSet(it.cpu.numa)) c.add('domain.cpu.numa', cpu.numa, 'spec.cpu.numa', it.cpu.numa);
  if (isSet(cpu.realtime) && isSet(it.cpu.realtime))
    c.add('domain.cpu.realtime', cpu.realtime, 'spec.cpu.realtime', it.cpu.realtime);
  return c.list.length - before;
}

/** A Go bool field: true is written, false is left out (as Go's omitempty prints it). */
function setFlag(target: Record<string, unknown>, key: string, value: boolean | undefined | null): void {
  if (!isSet(value)) return;
  if (value) target[key] = true;
  else delete target[key];
}

function applyCpu(
  it: VirtualMachineInstancetypeSpec,
  preference: VirtualMachinePreferenceSpec | undefined,
  spec: VirtualMachineInstanceSpec,
  c: Conflicts,
): void {
  // KubeVirt lays out no topology once a CPU field conflicts.
  if (cpuConflicts(it, spec, c) > 0) return;
  const cpu = (spec.domain.cpu ??= {});
  if (isSet(it.cpu.model)) cpu.model = it.cpu.model;
  setFlag(cpu, 'dedicatedCpuPlacement', it.cpu.dedicatedCPUPlacement);
  setFlag(cpu, 'isolateEmulatorThread', it.cpu.isolateEmulatorThread);
  if (isSet(it.cpu.numa)) cpu.numa = structuredClone(it.cpu.numa);
  if (isSet(it.cpu.realtime)) cpu.realtime = structuredClone(it.cpu.realtime);
  if (it.cpu.maxSockets) cpu.maxSockets = it.cpu.maxSockets;
  const spread = spreadConflict(it.cpu.guest, preference);
  if (spread) {
    c.list.push(spread);
    return;
  }
  const topology = guestTopology(it.cpu.guest, preference);
  cpu.sockets = topology.sockets;
  cpu.cores = topology.cores;
  cpu.threads = topology.threads;
}

/**
 * The memory request of an overcommitted instancetype: the guest memory less `percent`, computed
 * in 32-bit floats and truncated exactly as KubeVirt does, in the guest's notation.
 */
export function overcommittedRequest(guest: string | number, percent: number): string | undefined {
  const bytes = parseQuantity(guest);
  if (bytes === undefined) return undefined;
  const f = Math.fround;
  const factor = f(1 - f(f(percent) / 100));
  const requested = Math.trunc(f(f(Math.ceil(bytes)) * factor));
  return formatQuantity(requested, quantityNotation(guest)) ?? String(requested);
}

function applyMemory(
  it: VirtualMachineInstancetypeSpec,
  spec: VirtualMachineInstanceSpec,
  c: Conflicts,
): void {
  const memory = spec.domain.memory ?? {};
  const resources = spec.domain.resources;
  const guest = ['spec.memory.guest', it.memory.guest] as const;
  // KubeVirt reports the first memory conflict only.
  if (isSet(memory.guest)) return c.add('domain.memory.guest', memory.guest, ...guest);
  if (isSet(memory.hugepages) && isSet(it.memory.hugepages))
    return c.add('domain.memory.hugepages', memory.hugepages, 'spec.memory.hugepages', it.memory.hugepages);
  if (isSet(memory.maxGuest) && isSet(it.memory.maxGuest))
    return c.add('domain.memory.maxGuest', memory.maxGuest, 'spec.memory.maxGuest', it.memory.maxGuest);
  if (hasKey(resources?.requests, 'memory'))
    return c.add('domain.resources.requests.memory', resources?.requests?.memory, ...guest);
  if (hasKey(resources?.limits, 'memory'))
    return c.add('domain.resources.limits.memory', resources?.limits?.memory, ...guest);

  const target = (spec.domain.memory ??= {});
  target.guest = it.memory.guest;
  const percent = it.memory.overcommitPercent ?? 0;
  if (percent > 0) {
    const request = overcommittedRequest(it.memory.guest, percent);
    if (request !== undefined) {
      const res = (spec.domain.resources ??= {});
      res.requests = { ...res.requests, memory: request };
    }
  }
  if (isSet(it.memory.hugepages)) target.hugepages = structuredClone(it.memory.hugepages);
  if (isSet(it.memory.maxGuest)) target.maxGuest = it.memory.maxGuest;
}

/**
 * A field the instancetype imposes whole: its value (when it has one) replaces the VM's unset one,
 * and a VM that sets it too is a conflict.
 */
interface Imposed {
  /** Where the field sits under the template spec, and in the instancetype. */
  readonly vmPath: string;
  readonly itField: string;
  readonly of: (it: VirtualMachineInstancetypeSpec) => unknown;
  readonly current: (spec: VirtualMachineInstanceSpec) => unknown;
  readonly write: (spec: VirtualMachineInstanceSpec, value: unknown) => void;
  /** Whether a value counts as set (a list counts when it is not empty, as in KubeVirt). */
  readonly present?: (value: unknown) => boolean;
}

const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
type Domain = VirtualMachineInstanceSpec['domain'];

const NODE_SELECTOR: Imposed = {
  vmPath: 'nodeSelector',
  itField: 'spec.nodeSelector',
  of: (it) => it.nodeSelector,
  current: (spec) => spec.nodeSelector,
  write: (spec, v) => (spec.nodeSelector = copyOf(v as typeof spec.nodeSelector)),
};
const SCHEDULER_NAME: Imposed = {
  vmPath: 'schedulerName',
  itField: 'spec.schedulerName',
  of: (it) => it.schedulerName,
  current: (spec) => spec.schedulerName,
  write: (spec, v) => (spec.schedulerName = v as string),
  present: isWritten,
};
const IO_THREADS_POLICY: Imposed = {
  vmPath: 'domain.ioThreadsPolicy',
  itField: 'spec.ioThreadsPolicy',
  of: (it) => it.ioThreadsPolicy,
  current: (spec) => spec.domain.ioThreadsPolicy,
  write: (spec, v) => (spec.domain.ioThreadsPolicy = v as Domain['ioThreadsPolicy']),
};
const IO_THREADS: Imposed = {
  vmPath: 'domain.ioThreads.supplementalPoolThreadCount',
  itField: 'spec.ioThreads.supplementalPoolThreadCount',
  of: (it) => it.ioThreads?.supplementalPoolThreadCount,
  current: (spec) => spec.domain.ioThreads?.supplementalPoolThreadCount,
  write: (spec, v) =>
    (spec.domain.ioThreads = { ...spec.domain.ioThreads, supplementalPoolThreadCount: v as number }),
};
const LAUNCH_SECURITY: Imposed = {
  vmPath: 'domain.launchSecurity',
  itField: 'spec.launchSecurity',
  of: (it) => it.launchSecurity,
  current: (spec) => spec.domain.launchSecurity,
  write: (spec, v) => (spec.domain.launchSecurity = copyOf(v as Domain['launchSecurity'])),
};
const GPUS: Imposed = {
  vmPath: 'domain.devices.gpus',
  itField: 'spec.gpus',
  of: (it) => it.gpus,
  current: (spec) => spec.domain.devices.gpus,
  write: (spec, v) => (spec.domain.devices.gpus = copyOf(v as Domain['devices']['gpus'])),
  present: nonEmpty,
};
const HOST_DEVICES: Imposed = {
  vmPath: 'domain.devices.hostDevices',
  itField: 'spec.hostDevices',
  of: (it) => it.hostDevices,
  current: (spec) => spec.domain.devices.hostDevices,
  write: (spec, v) => (spec.domain.devices.hostDevices = copyOf(v as Domain['devices']['hostDevices'])),
  present: nonEmpty,
};

function impose(
  field: Imposed,
  it: VirtualMachineInstancetypeSpec,
  spec: VirtualMachineInstanceSpec,
  c: Conflicts,
) {
  const present = field.present ?? isSet;
  const value = field.of(it);
  if (!present(value)) return;
  const current = field.current(spec);
  if (present(current)) return c.add(field.vmPath, current, field.itField, value);
  field.write(spec, value);
}

/** KubeVirt reports an annotation conflict as `annotations.KEY` (no template prefix). */
function applyAnnotations(
  it: VirtualMachineInstancetypeSpec,
  metadata: TemplateMetadata,
  who: string,
  list: Conflict[],
): void {
  for (const [key, value] of Object.entries(it.annotations ?? {})) {
    const current = metadata.annotations?.[key];
    if (current === undefined) {
      metadata.annotations = { ...metadata.annotations, [key]: value };
    } else if (current !== value) {
      list.push({
        field: `annotations.${key}`,
        value: current,
        fix: `${who} sets the annotation ${key} to ${show(value)}; remove it from spec.template.metadata.annotations or give it the same value`,
      });
    }
  }
}

/**
 * Applies the instancetype to `spec` and `metadata` (both written); the conflicts, in KubeVirt's
 * order. With conflicts, what was written is to be thrown away.
 */
export function applyInstancetype(
  instancetype: VirtualMachineInstancetypeSpec,
  preference: VirtualMachinePreferenceSpec | undefined,
  spec: VirtualMachineInstanceSpec,
  metadata: TemplateMetadata,
  who = 'the instance type',
  base = TEMPLATE_SPEC_PATH,
): Conflict[] {
  const c = new Conflicts(base, who);
  impose(NODE_SELECTOR, instancetype, spec, c);
  impose(SCHEDULER_NAME, instancetype, spec, c);
  applyCpu(instancetype, preference, spec, c);
  applyMemory(instancetype, spec, c);
  for (const field of [IO_THREADS_POLICY, IO_THREADS, LAUNCH_SECURITY, GPUS, HOST_DEVICES])
    impose(field, instancetype, spec, c);
  applyAnnotations(instancetype, metadata, who, c.list);
  return c.list;
}
