/** VirtualMachineSpec: a VM's desired run state, its VMI template and the volumes it owns. */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Enum,
  OpenEnum,
  List,
  Empty,
  Nullable,
  WithCel,
  type Static,
} from '../../schema/dsl';
import { DataVolumeSpec } from '../../cdi/v1beta1';
import { TemplateObjectMeta, VirtualMachineInstanceTemplateSpec } from './vmi';

export const RUN_STRATEGIES = [
  'Always',
  'RerunOnFailure',
  'Once',
  'Manual',
  'Halted',
  'WaitAsReceiver',
] as const;
export type RunStrategy = (typeof RUN_STRATEGIES)[number];

export function runStrategy(description: string) {
  return Enum(description, RUN_STRATEGIES);
}

export const UPDATE_VOLUMES_STRATEGIES = ['Migration', 'Replacement'] as const;
export type UpdateVolumesStrategy = (typeof UPDATE_VOLUMES_STRATEGIES)[number];

export const INFER_FROM_VOLUME_FAILURE_POLICIES = ['Reject', 'Ignore'] as const;
export type InferFromVolumeFailurePolicy = (typeof INFER_FROM_VOLUME_FAILURE_POLICIES)[number];

export function inferFromVolumeFailurePolicy(description: string) {
  return Enum(description, INFER_FROM_VOLUME_FAILURE_POLICIES);
}

function matcher(description: string, namespaced: string, clusterWide: string) {
  return Obj(description, {
    name: Opt(Str(`Name of the ${namespaced} or ${clusterWide}.`)),
    kind: Opt(OpenEnum(`Kind referred to; defaults to ${clusterWide}.`, [namespaced, clusterWide])),
    revisionName: Opt(
      Str('ControllerRevision holding the copy captured when the VM first used it; set by the controller.'),
    ),
    inferFromVolume: Opt(
      Str('Volume whose source carries the name in its annotations; the field is cleared once resolved.'),
    ),
    inferFromVolumeFailurePolicy: Opt(
      inferFromVolumeFailurePolicy('What to do when inference fails; defaults to Reject.'),
    ),
  });
}

export const InstancetypeMatcher = matcher(
  'The instance type that fills in the resources of the VMI template.',
  'VirtualMachineInstancetype',
  'VirtualMachineClusterInstancetype',
);
export type InstancetypeMatcher = Static<typeof InstancetypeMatcher>;

export const PreferenceMatcher = matcher(
  'The preference that fills in defaults of the VMI template.',
  'VirtualMachinePreference',
  'VirtualMachineClusterPreference',
);
export type PreferenceMatcher = Static<typeof PreferenceMatcher>;

export const DataVolumeTemplateSpec = Obj('A DataVolume created for the VM and deleted with it.', {
  apiVersion: Opt(Str('Ignored; accepted for compatibility with older manifests.')),
  kind: Opt(Str('Ignored; accepted for compatibility with older manifests.')),
  metadata: Opt(TemplateObjectMeta),
  spec: DataVolumeSpec,
  status: Opt(Nullable(Empty('Unused; accepted for compatibility with older manifests.'))),
});
export type DataVolumeTemplateSpec = Static<typeof DataVolumeTemplateSpec>;

/** KubeVirt's refusal of a VM that sets both (admission and the CRD's CEL rule say it). */
export const RUNNING_AND_RUN_STRATEGY_EXCLUSIVE =
  'Running and RunStrategy are mutually exclusive; remove spec.running (deprecated) and keep spec.runStrategy';

const VirtualMachineSpecFields = Obj(
  'Desired state of a virtual machine: whether it runs and what its instances look like.',
  {
    running: Opt(
      Bool(
        'Deprecated: use runStrategy. true means Always, false means Halted; not allowed together with runStrategy.',
      ),
    ),
    runStrategy: Opt(runStrategy('When the VM should have a running instance.')),
    instancetype: Opt(InstancetypeMatcher),
    preference: Opt(PreferenceMatcher),
    template: VirtualMachineInstanceTemplateSpec,
    dataVolumeTemplates: Opt(
      List(
        'DataVolumes created for the VM and tied to its life cycle; volumes refer to them by name.',
        DataVolumeTemplateSpec,
      ),
    ),
    updateVolumesStrategy: Opt(
      Enum(
        'How volume changes reach a running VM: Replacement on restart, or Migration to the new volumes.',
        UPDATE_VOLUMES_STRATEGIES,
      ),
    ),
  },
);

export const VirtualMachineSpec = WithCel(VirtualMachineSpecFields, [
  {
    rule: '!has(self.running) || !has(self.runStrategy)',
    message: RUNNING_AND_RUN_STRATEGY_EXCLUSIVE,
    fieldPath: '.running',
  },
]);
export type VirtualMachineSpec = Static<typeof VirtualMachineSpec>;
