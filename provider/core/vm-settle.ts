/**
 * How `pulumi up` waits for a VirtualMachine, done by the component itself rather than by the
 * Kubernetes provider's await annotations.
 *
 * Why: the provider's `pulumi.com/waitFor` (both `condition=` and `jsonpath=`) first requires
 * `status.observedGeneration >= metadata.generation`. KubeVirt's VM controller sets
 * `observedGeneration` from the generation its running VMI was started from, and only while a
 * VMI exists (`desiredGeneration` is the VM's own). So after a change the running guest only
 * takes on restart (the VM reports RestartRequired), and after any change to a stopped VM
 * (Halted included), `observedGeneration` stays behind for good and the provider would wait
 * until its timeout. virtkit's controller keeps KubeVirt's semantics, so the component writes
 * `pulumi.com/skipAwait` on the VM and waits here: it reads the VM (and its VMI) through the
 * cluster the default Kubernetes provider uses, until the run strategy's promise holds.
 *
 * The decisions are pure (vmTarget, vmSettled, describeVm); settleVm is the I/O loop.
 */
import type { kubevirtV1 } from '../../api';
import { VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube';
import { connectCluster, type ClusterSettings } from './cluster';
import { effectiveRunStrategy } from './readiness';

/** What `up` waits for: a Ready guest, a stopped VM, or nothing. */
export type VmTarget = 'ready' | 'stopped' | 'none';

/** The VM and its VMI as read in one round. */
export interface VmObservation {
  readonly vm?: {
    readonly metadata?: { readonly generation?: number; readonly deletionTimestamp?: string };
    readonly status?: kubevirtV1.VirtualMachineStatus;
  };
  readonly vmi?: { readonly status?: kubevirtV1.VirtualMachineInstanceStatus };
}

/** A VM's wait follows its run strategy (the same rules as vmReadiness). */
export function vmTarget(spec: kubevirtV1.VirtualMachineSpec): VmTarget {
  switch (effectiveRunStrategy(spec)) {
    case 'Always':
    case 'RerunOnFailure':
    case 'Once':
      return 'ready';
    case 'Halted':
      return 'stopped';
    default:
      return 'none';
  }
}

function conditionStatus(o: VmObservation, type: string): string | undefined {
  return o.vm?.status?.conditions?.find((c) => c.type === type)?.status;
}

/**
 * Whether the VM is where its run strategy promises. Ready: the Ready condition is True and
 * the controller has seen this generation (`desiredGeneration`, which KubeVirt writes while a
 * VMI exists, is at least the VM's generation: otherwise the status predates the change just
 * applied). Stopped: printableStatus Stopped and no VMI left.
 */
export function vmSettled(target: VmTarget, o: VmObservation): boolean {
  if (target === 'none') return true;
  if (!o.vm || o.vm.metadata?.deletionTimestamp) return false;
  if (target === 'stopped') return o.vm.status?.printableStatus === 'Stopped' && !o.vmi;
  const generation = o.vm.metadata?.generation;
  const desired = o.vm.status?.desiredGeneration;
  const seen = generation === undefined || desired === undefined || desired >= generation;
  return seen && conditionStatus(o, 'Ready') === 'True';
}

/** One line on where the VM is, for the timeout message: printableStatus and the Ready condition. */
export function describeVm(o: VmObservation): string {
  if (!o.vm) return 'the VM does not exist';
  const s = o.vm.status ?? {};
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  const why = ready?.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : '';
  return `printableStatus ${s.printableStatus ?? 'unset'}, Ready ${ready?.status ?? 'unset'}${why}, ${o.vmi ? 'a VMI exists' : 'no VMI'}`;
}

/** Where the VM is and how long to wait. */
export interface SettleRequest {
  readonly namespace: string | undefined;
  readonly name: string;
  readonly target: VmTarget;
  readonly timeoutSeconds: number;
  /** The cluster (core/cluster.ts). @default the environment's (KUBECONFIG, ~/.kube/config, in-cluster) */
  readonly cluster?: ClusterSettings;
  /** Between reads. @default 2000 */
  readonly intervalMs?: number;
}

/** The wait ran out; the message says what the VM looked like last. */
export class VmSettleTimeout extends Error {
  constructor(
    readonly request: SettleRequest,
    readonly last: VmObservation,
  ) {
    const want = request.target === 'ready' ? 'Ready' : 'Stopped';
    super(
      `${request.namespace ? `${request.namespace}/` : ''}${request.name} was not ${want} within ${request.timeoutSeconds} s: ${describeVm(last)}; ` +
        `see \`kubectl describe vm ${request.name}${request.namespace ? ` -n ${request.namespace}` : ''}\`, or raise await.timeoutSeconds`,
    );
    this.name = 'VmSettleTimeout';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Read the VM and its VMI until vmSettled holds (the last observation) or the timeout passes. */
export async function settleVm(req: SettleRequest): Promise<VmObservation> {
  const { client, close } = connectCluster(req.cluster);
  try {
    const deadline = Date.now() + req.timeoutSeconds * 1000;
    for (;;) {
      const [vm, vmi] = await Promise.all([
        client.getIfExists<NonNullable<VmObservation['vm']>>(VIRTUAL_MACHINES, req.namespace, req.name),
        client.getIfExists<NonNullable<VmObservation['vmi']>>(
          VIRTUAL_MACHINE_INSTANCES,
          req.namespace,
          req.name,
        ),
      ]);
      const o: VmObservation = { vm, vmi };
      if (vmSettled(req.target, o)) return o;
      if (Date.now() >= deadline) throw new VmSettleTimeout(req, o);
      await sleep(req.intervalMs ?? 2000);
    }
  } finally {
    close();
  }
}

/** How a VM is read until it settles: settleVm, or a stand-in (useVmSettler). */
export type VmSettler = (req: SettleRequest) => Promise<VmObservation>;

let settler: VmSettler = settleVm;

/**
 * Replace how components read VMs: for unit tests under Pulumi's mocks, where no cluster
 * exists (provider/testing/mocks.ts installs a stand-in). Without an argument, settleVm again.
 */
export function useVmSettler(stand?: VmSettler): void {
  settler = stand ?? settleVm;
}

/** Read the VM until it settles, through settleVm unless a stand-in is in use. */
export function settle(req: SettleRequest): Promise<VmObservation> {
  return settler(req);
}
