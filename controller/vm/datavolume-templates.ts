/**
 * KubeVirt's handling of a VM's spec.dataVolumeTemplates: each template becomes a DataVolume of
 * its name in the VM's namespace, controlled by the VM, whatever the run strategy (the data is
 * imported while the VM is stopped too). A DataVolume of that name without a controller is
 * adopted; one controlled by something else is left alone and reported. The templates' state
 * feeds printableStatus: Provisioning while a DataVolume is being populated, DataVolumeError when
 * one failed or its worker stopped on an error.
 *
 * desiredDataVolume, templateActions and templatesState are pure; DataVolumeTemplateSync does
 * the creates and adoptions for the VM reconciler.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import {
  DATA_VOLUMES,
  errorMessage,
  isAlreadyExists,
  isNotFound,
  type EventRecorder,
  type EventSpec,
  type Informer,
  type KubeClient,
} from '../../kube';
import { adoptPatch, controllerRefTo } from '../replicas/ownership';

type Template = NonNullable<VirtualMachine['spec']['dataVolumeTemplates']>[number];

/** The DataVolume a template asks for. */
export function desiredDataVolume(vm: VirtualMachine, t: Template): DataVolume {
  const meta = t.metadata ?? {};
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: {
      name: meta.name,
      namespace: vm.metadata?.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [controllerRefTo(vm)],
    },
    spec: structuredClone(t.spec),
  };
}

export type TemplateAction =
  | { readonly action: 'create'; readonly dataVolume: DataVolume }
  | { readonly action: 'adopt'; readonly dataVolume: DataVolume }
  | { readonly action: 'conflict'; readonly name: string; readonly message: string }
  | { readonly action: 'none'; readonly dataVolume: DataVolume };

/** What to do for each template, given the DataVolumes that exist (looked up by name). */
export function templateActions(
  vm: VirtualMachine,
  existing: (name: string) => DataVolume | undefined,
): TemplateAction[] {
  const vmName = `${vm.metadata?.namespace}/${vm.metadata?.name}`;
  return (vm.spec.dataVolumeTemplates ?? []).map((t, i): TemplateAction => {
    const name = t.metadata?.name ?? '';
    const dv = existing(name);
    if (!dv) return { action: 'create', dataVolume: desiredDataVolume(vm, t) };
    const ctrl = dv.metadata?.ownerReferences?.find((o) => o.controller);
    if (!ctrl) return { action: 'adopt', dataVolume: dv };
    if (ctrl.uid === vm.metadata?.uid) return { action: 'none', dataVolume: dv };
    return {
      action: 'conflict',
      name,
      message: `DataVolume ${vm.metadata?.namespace}/${name} (spec.dataVolumeTemplates[${i}] of VirtualMachine ${vmName}) exists and is controlled by ${ctrl.kind} ${ctrl.name}; rename the template or delete that DataVolume`,
    };
  });
}

/**
 * What printableStatus reads of the volumes a VM's template uses, KubeVirt's rules: Provisioning
 * while a DataVolume whose claim is Bound (its Bound condition) has not Succeeded;
 * WaitingForVolumeBinding while a claim (a persistentVolumeClaim volume's, or a DataVolume's of
 * the same name) exists and is not Bound; DataVolumeError when a DataVolume failed or its worker
 * stopped on an error. Pure.
 */
export function volumesState(
  vm: VirtualMachine,
  dataVolume: (name: string) => DataVolume | undefined,
  claimPhase: (name: string) => string | undefined,
): { provisioning: boolean; waitingForBinding: boolean; error: boolean } {
  let provisioning = false;
  let waitingForBinding = false;
  let error = false;
  for (const v of vm.spec.template?.spec?.volumes ?? []) {
    const claim = v.dataVolume?.name ?? v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    const phase = claimPhase(claim);
    if (phase !== undefined && phase !== 'Bound') waitingForBinding = true;
    if (!v.dataVolume) continue;
    const dv = dataVolume(v.dataVolume.name);
    if (!dv) continue;
    const bound = dv.status?.conditions?.find((c) => c.type === 'Bound')?.status === 'True';
    if (bound && dv.status?.phase !== 'Succeeded') provisioning = true;
    const running = dv.status?.conditions?.find((c) => c.type === 'Running');
    if (
      dv.status?.phase === 'Failed' ||
      (running?.status === 'False' && (running.reason === 'Error' || running.reason === 'ImagePullFailed'))
    )
      error = true;
  }
  return { provisioning: provisioning && !error, waitingForBinding, error };
}

export interface TemplateSyncResult {
  readonly dataVolumesProvisioning?: boolean;
  readonly dataVolumeError?: boolean;
  /** A claim a volume uses exists and is not Bound yet. */
  readonly waitingForVolumeBinding?: boolean;
  /** A template that cannot be honoured (a DataVolume of its name controlled by another owner). */
  readonly failure?: { readonly reason: string; readonly message: string };
}

export const FAILED_DATA_VOLUME_CREATE = 'FailedDataVolumeCreate';
export const SUCCESSFUL_DATA_VOLUME_CREATE = 'SuccessfulDataVolumeCreate';

export class DataVolumeTemplateSync {
  constructor(
    private readonly client: KubeClient,
    private readonly dataVolumes: Informer<DataVolume>,
    private readonly recorder: EventRecorder,
    /** The phase of a claim (`status.phase`), undefined when there is none. */
    private readonly claimPhase: (namespace: string, name: string) => string | undefined = () => undefined,
  ) {}

  /**
   * Create and adopt the VM's template DataVolumes; report the state of the volumes its template
   * uses. Never throws for a conflict.
   */
  async sync(vm: VirtualMachine): Promise<TemplateSyncResult> {
    if (vm.metadata?.deletionTimestamp) return {};
    const ns = vm.metadata?.namespace ?? '';
    const actions = templateActions(vm, (name) => this.dataVolumes.cache.get(`${ns}/${name}`));
    const seen = new Map<string, DataVolume>();
    const saw = (dv: DataVolume | undefined): void => {
      if (dv?.metadata?.name) seen.set(dv.metadata.name, dv);
    };
    let failure: TemplateSyncResult['failure'];
    for (const a of actions) {
      if (a.action === 'create') {
        const name = a.dataVolume.metadata?.name ?? '';
        try {
          saw(await this.client.create<DataVolume>(DATA_VOLUMES, ns, a.dataVolume));
          this.event(vm, {
            type: 'Normal',
            reason: SUCCESSFUL_DATA_VOLUME_CREATE,
            message: `Created DataVolume ${name}`,
          });
        } catch (err) {
          if (isAlreadyExists(err)) continue;
          const message = `Error creating DataVolume ${name}: ${errorMessage(err)}`;
          this.event(vm, { type: 'Warning', reason: FAILED_DATA_VOLUME_CREATE, message });
          failure ??= { reason: FAILED_DATA_VOLUME_CREATE, message };
        }
      } else if (a.action === 'adopt') {
        saw(a.dataVolume);
        await this.adopt(vm, a.dataVolume);
      } else if (a.action === 'conflict') {
        failure ??= { reason: FAILED_DATA_VOLUME_CREATE, message: a.message };
      } else saw(a.dataVolume);
    }
    const state = volumesState(
      vm,
      (name) => seen.get(name) ?? this.dataVolumes.cache.get(`${ns}/${name}`),
      (name) => this.claimPhase(ns, name),
    );
    return {
      dataVolumesProvisioning: state.provisioning,
      dataVolumeError: state.error,
      waitingForVolumeBinding: state.waitingForBinding,
      failure,
    };
  }

  private event(vm: VirtualMachine, ev: EventSpec): void {
    void this.recorder.record(vm, ev);
  }

  private async adopt(vm: VirtualMachine, dv: DataVolume): Promise<void> {
    try {
      await this.client.jsonPatch(
        DATA_VOLUMES,
        dv.metadata?.namespace,
        dv.metadata?.name ?? '',
        adoptPatch(dv, vm),
      );
    } catch (err) {
      // Gone or changed meanwhile: the next round looks again.
      const status = (err as { status?: number }).status;
      if (isNotFound(err) || status === 422 || status === 409) return;
      throw err;
    }
  }
}
