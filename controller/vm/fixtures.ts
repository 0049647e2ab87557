/** Small VM and VMI builders for the VM controller's unit tests. */
import type {
  RunStrategy,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineInstancePhase,
  VirtualMachineStatus,
} from '../../api/kubevirt/v1';
import { VM_CONTROLLER_FINALIZER } from './vmi-from-vm';

export const NOW = new Date('2025-01-01T12:00:00Z');

export function vm(
  opts: {
    runStrategy?: RunStrategy;
    running?: boolean;
    status?: VirtualMachineStatus;
    deleting?: boolean;
    finalizer?: boolean;
    generation?: number;
  } = {},
): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: 'demo',
      namespace: 'ns',
      uid: 'vm-uid',
      generation: opts.generation ?? 3,
      finalizers: opts.finalizer === false ? [] : [VM_CONTROLLER_FINALIZER],
      ...(opts.deleting ? { deletionTimestamp: '2025-01-01T11:59:00Z' } : {}),
    },
    spec: {
      ...(opts.runStrategy ? { runStrategy: opts.runStrategy } : {}),
      ...(opts.running !== undefined ? { running: opts.running } : {}),
      template: {
        metadata: { labels: { 'kubevirt.io/vm': 'demo' }, annotations: { note: 'x' } },
        spec: { domain: { devices: {}, memory: { guest: '64Mi' } } },
      },
    },
    ...(opts.status ? { status: opts.status } : {}),
  };
}

export function vmi(
  phase: VirtualMachineInstancePhase | undefined,
  opts: {
    uid?: string;
    ran?: boolean;
    deleting?: boolean;
    ready?: boolean;
    paused?: boolean;
    unschedulable?: boolean;
  } = {},
): VirtualMachineInstance {
  const stamps = [{ phase: 'Pending' as const, phaseTransitionTimestamp: '2025-01-01T11:00:00Z' }];
  if (opts.ran) stamps.push({ phase: 'Running' as never, phaseTransitionTimestamp: '2025-01-01T11:00:05Z' });
  const conditions = [];
  if (opts.ready !== undefined)
    conditions.push({ type: 'Ready' as const, status: opts.ready ? ('True' as const) : ('False' as const) });
  if (opts.paused) conditions.push({ type: 'Paused' as const, status: 'True' as const });
  if (opts.unschedulable)
    conditions.push({ type: 'PodScheduled' as never, status: 'False' as const, reason: 'Unschedulable' });
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: 'demo',
      namespace: 'ns',
      uid: opts.uid ?? 'vmi-uid',
      annotations: { 'kubevirt.io/vm-generation': '2' },
      finalizers: [VM_CONTROLLER_FINALIZER],
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          name: 'demo',
          uid: 'vm-uid',
          controller: true,
        },
      ],
      ...(opts.deleting ? { deletionTimestamp: '2025-01-01T11:59:30Z' } : {}),
    },
    spec: { domain: { devices: {} } },
    status: { ...(phase ? { phase } : {}), phaseTransitionTimestamps: stamps, conditions },
  };
}
