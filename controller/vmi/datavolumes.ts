/**
 * A VMI's DataVolumes (volumes[].dataVolume), as KubeVirt's VMI controller treats them: no
 * launcher pod until every one has Succeeded; while one waits for its first consumer
 * (WaitForFirstConsumer), an ephemeral provisioning pod (./ephemeral-pod.ts) stands in for the
 * launcher so its claim binds; a DataVolume that does not exist is named in the VMI's
 * Provisioning condition. dataVolumeState and provisioningMessage are pure; VmiDataVolumes does
 * the ephemeral pod's create and delete for the VMI reconciler.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/kubevirt/v1';
import { memoryOverhead } from '../../api/sizing';
import {
  errorMessage,
  isAlreadyExists,
  isNotFound,
  PODS,
  type EventRecorder,
  type Informer,
  type KeyedObject,
  type KubeClient,
} from '../../kube';
import { isEphemeralPod, renderEphemeralPod } from './ephemeral-pod';

export interface DataVolumeState {
  /** The DataVolumes the VMI's volumes name. */
  readonly names: readonly string[];
  /** false while one is not Succeeded; undefined when the VMI names none. */
  readonly ready: boolean | undefined;
  readonly missing: readonly string[];
  readonly waitingForConsumer: readonly string[];
  readonly notReady: readonly string[];
}

/**
 * The state of the VMI's DataVolumes. A DataVolume that is gone while a claim of its name
 * exists counts as done (CDI's garbage collection deletes succeeded DataVolumes, not claims).
 */
export function dataVolumeState(
  vmi: VirtualMachineInstance,
  dataVolume: (name: string) => DataVolume | undefined,
  claimExists: (name: string) => boolean,
): DataVolumeState {
  const names = [
    ...new Set((vmi.spec.volumes ?? []).map((v) => v.dataVolume?.name).filter((n): n is string => !!n)),
  ];
  const missing: string[] = [];
  const waitingForConsumer: string[] = [];
  const notReady: string[] = [];
  for (const n of names) {
    const dv = dataVolume(n);
    if (!dv) {
      if (!claimExists(n)) missing.push(n);
      continue;
    }
    const phase = dv.status?.phase;
    if (phase === 'Succeeded') continue;
    notReady.push(n);
    if (phase === 'WaitForFirstConsumer') waitingForConsumer.push(n);
  }
  return {
    names,
    ready: names.length ? missing.length === 0 && notReady.length === 0 : undefined,
    missing,
    waitingForConsumer,
    notReady,
  };
}

/** The Provisioning condition's message, naming what the VMI waits for. */
export function provisioningMessage(vmi: VirtualMachineInstance, s: DataVolumeState): string | undefined {
  if (s.ready !== false) return undefined;
  const ns = vmi.metadata?.namespace ?? '';
  const parts: string[] = [];
  if (s.missing.length)
    parts.push(
      `DataVolume ${s.missing.map((n) => `${ns}/${n}`).join(', ')} does not exist (spec.volumes[].dataVolume.name); create it, or add it to the VM's spec.dataVolumeTemplates`,
    );
  const populating = s.notReady.filter((n) => !s.waitingForConsumer.includes(n));
  if (s.waitingForConsumer.length)
    parts.push(
      `DataVolume ${s.waitingForConsumer.map((n) => `${ns}/${n}`).join(', ')} waits for its first consumer; an ephemeral provisioning pod binds it`,
    );
  if (populating.length)
    parts.push(`DataVolume ${populating.map((n) => `${ns}/${n}`).join(', ')} is being populated`);
  return `Waiting for the DataVolumes of the VMI: ${parts.join('; ')}`;
}

interface PodLike extends KeyedObject {
  metadata?: KeyedObject['metadata'] & {
    uid?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
}

export class VmiDataVolumes {
  constructor(
    private readonly client: KubeClient,
    private readonly dataVolumes: Informer<DataVolume>,
    private readonly claimExists: (namespace: string, name: string) => boolean,
    private readonly recorder: EventRecorder,
    private readonly launcherImage?: string,
    /** Whether the cluster allows software emulation (the ephemeral pod asks for what a launcher pod asks for). */
    private readonly useEmulation: () => boolean = () => false,
  ) {}

  state(vmi: VirtualMachineInstance): DataVolumeState {
    const ns = vmi.metadata?.namespace ?? '';
    return dataVolumeState(
      vmi,
      (n) => this.dataVolumes.cache.get(`${ns}/${n}`),
      (n) => this.claimExists(ns, n),
    );
  }

  /** Name what the VMI waits for in its Provisioning condition (decideVmi writes a generic one). */
  describe(vmi: VirtualMachineInstance, status: VirtualMachineInstanceStatus, s: DataVolumeState): void {
    const message = provisioningMessage(vmi, s);
    const c = status.conditions?.find((x) => x.type === 'Provisioning');
    if (c && message) c.message = message;
  }

  /**
   * Create the ephemeral pod while a DataVolume of a pending VMI waits for its first consumer;
   * delete it otherwise.
   */
  async syncEphemeralPod(
    vmi: VirtualMachineInstance,
    pods: readonly PodLike[],
    s: DataVolumeState,
  ): Promise<void> {
    const ephemeral = pods.filter((p) => isEphemeralPod(p));
    const pending = !vmi.metadata?.deletionTimestamp && (vmi.status?.phase ?? 'Pending') === 'Pending';
    const wanted = pending && s.ready === false && s.waitingForConsumer.length > 0;
    const ns = vmi.metadata?.namespace;
    if (wanted && !ephemeral.some((p) => !p.metadata?.deletionTimestamp)) {
      const pod = renderEphemeralPod(vmi, {
        overheadBytes: memoryOverhead(vmi.spec),
        image: this.launcherImage,
        useEmulation: this.useEmulation(),
      });
      try {
        await this.client.create(PODS, ns, pod);
        void this.recorder.record(vmi, {
          type: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created ephemeral provisioning pod ${pod.metadata.name} for DataVolume ${s.waitingForConsumer.join(', ')} waiting for its first consumer`,
        });
      } catch (err) {
        if (isAlreadyExists(err)) return;
        throw new Error(
          `VirtualMachineInstance ${ns}/${vmi.metadata?.name}: creating ephemeral provisioning pod ${pod.metadata.name}: ${errorMessage(err)}`,
        );
      }
      return;
    }
    if (wanted) return;
    for (const p of ephemeral) {
      if (p.metadata?.deletionTimestamp) continue;
      try {
        await this.client.delete(PODS, ns, p.metadata?.name ?? '', { uid: p.metadata?.uid });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
