/**
 * The export controller as the manager runs it (KubeVirt's virt-controller export controller,
 * queue `virt-controller-export-vmexport`): informers over VirtualMachineExports, their exporter
 * pods and Services (label `kubevirt.io=virt-exporter`); the VM, VMI, claim, DataVolume and pod
 * informers the manager already keeps are shared, and the snapshot controller's caches. An export
 * is woken by its own changes, its pod's, Service's and claims', and by the claims, VMs, VMIs and
 * VirtualMachineSnapshots its source names.
 */
import type { Logger } from '../../common/log';
import type { DataVolume } from '../../api/cdi/v1beta1';
import { EXPORTER_APP_LABEL, EXPORTER_APP_VALUE } from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachineSnapshot, VirtualMachineSnapshotContent } from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import {
  byNamespace,
  DEFAULT_RATE_LIMIT,
  Informer,
  objectKey,
  PODS,
  SERVICES,
  WorkQueue,
  type KeyedObject,
  VIRTUAL_MACHINE_EXPORTS,
} from '../../kube';
import type { Claim } from '../datavolume/objects';
import { ownInformers, type OwnerController, type OwnerControllerDeps } from '../replicas/owner-controller';
import { DEFAULT_LAUNCHER_IMAGE } from '../vmi/launcher-pod';
import { ExportReconciler, type ExporterPodJson } from './reconciler';
import { vmClaimNames } from './source-plan';

export interface ExportSharedInformers {
  readonly vms: Informer<VirtualMachine>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly claims: Informer<Claim>;
  readonly dataVolumes: Informer<DataVolume>;
  /** Pods that may mount a claim: launcher pods and CDI worker pods. */
  readonly pods: readonly Informer<KeyedObject>[];
}

/** The snapshot controller's caches an export of a VirtualMachineSnapshot reads. */
export interface ExportSnapshotCaches {
  readonly snapshots: Informer<VirtualMachineSnapshot>;
  readonly contents: Informer<VirtualMachineSnapshotContent>;
  readonly volumeSnapshots: Informer<VolumeSnapshot>;
}

export interface ExportControllerOptions {
  /** The exporter pod's image. @default the launcher's */
  readonly image?: string | undefined;
  /** Where a failed lookup of the external link's host is said. @default silent */
  readonly log?: Logger;
}

/** Index of exports by the `<namespace>/<name>` of the claim or VM they export. */
const BY_SOURCE = 'source';
/** The owning export's key of an exporter pod or Service. */
function ownerExportKey(
  o: KeyedObject & {
    metadata?: { ownerReferences?: { kind?: string; name?: string; controller?: boolean }[] };
  },
): string | undefined {
  const ref = o.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'VirtualMachineExport');
  return ref?.name ? `${o.metadata?.namespace ?? ''}/${ref.name}` : undefined;
}

export function createVmExportController(
  deps: OwnerControllerDeps,
  shared: ExportSharedInformers,
  snapshots: ExportSnapshotCaches,
  options: ExportControllerOptions = {},
): OwnerController {
  const name = 'virt-controller-export-vmexport';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const ns = deps.namespace;
  const watch = deps.watchOptions;
  const selector = `${EXPORTER_APP_LABEL}=${EXPORTER_APP_VALUE}`;
  const exports = new Informer<VirtualMachineExport>(
    deps.client.listWatch<VirtualMachineExport>(VIRTUAL_MACHINE_EXPORTS, undefined, ns),
    {
      namespace: byNamespace,
      [BY_SOURCE]: (e) =>
        e.spec?.source?.name ? [`${e.metadata?.namespace ?? ''}/${e.spec.source.name}`] : [],
    },
    watch,
  );
  const exporterPods = new Informer<ExporterPodJson>(
    deps.client.listWatch<ExporterPodJson>(PODS, selector, ns),
    {},
    watch,
  );
  const services = new Informer<KeyedObject>(
    deps.client.listWatch<KeyedObject>(SERVICES, selector, ns),
    {},
    watch,
  );
  const reconciler = new ExportReconciler(
    deps.client,
    {
      exports,
      exporterPods,
      services,
      ...shared,
      vmSnapshots: snapshots.snapshots,
      vmSnapshotContents: snapshots.contents,
      volumeSnapshots: snapshots.volumeSnapshots,
    },
    deps.recorder,
    { image: options.image ?? DEFAULT_LAUNCHER_IMAGE, ...(options.log ? { log: options.log } : {}) },
  );

  exports.onChange((e) => queue.add(objectKey(e)));
  const wakeOwner = (o: KeyedObject): void => {
    const k = ownerExportKey(o);
    if (k) queue.add(k);
  };
  exporterPods.onChange(wakeOwner);
  services.onChange(wakeOwner);
  const wakeBySource = (key: string): void => {
    for (const e of exports.cache.byIndex(BY_SOURCE, key)) queue.add(objectKey(e));
  };
  shared.claims.onChange((c) => {
    wakeBySource(objectKey(c));
    // The claims a snapshot export restored are its own.
    wakeOwner(c);
    // A VM export waits for each of its claims: wake the exports of VMs that use this one.
    const cns = c.metadata?.namespace ?? '';
    for (const e of exports.cache.byIndex('namespace', cns)) {
      if (e.spec?.source?.kind !== 'VirtualMachine') continue;
      const vm = shared.vms.cache.get(`${cns}/${e.spec.source.name}`);
      if (vm && vmClaimNames(vm).includes(c.metadata?.name ?? '')) queue.add(objectKey(e));
    }
  });
  shared.dataVolumes.onChange((dv) => wakeBySource(objectKey(dv)));
  shared.vms.onChange((vm) => wakeBySource(objectKey(vm)));
  shared.vmis.onChange((vmi) => wakeBySource(objectKey(vmi)));
  snapshots.snapshots.onChange((s) => wakeBySource(objectKey(s)));
  // Contents and VolumeSnapshots need no watch: a snapshot turns readyToUse only after both are.
  for (const pods of shared.pods)
    pods.addHandlers({
      onDelete: (p) => {
        for (const e of exports.cache.byIndex('namespace', p.metadata?.namespace ?? ''))
          queue.add(objectKey(e));
      },
    });

  const informer = ownInformers(exports, [exports, exporterPods, services]);
  return {
    kind: 'VirtualMachineExport',
    resource: VIRTUAL_MACHINE_EXPORTS,
    informer,
    queue,
    reconcile: (k) => reconciler.reconcile(k),
  };
}
