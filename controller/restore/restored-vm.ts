/**
 * The target VirtualMachine a restore writes (KubeVirt's generateRestoredVMSpec and patchVM),
 * from the VM a snapshot content holds and the restore's volume restores. Pure.
 *
 * - Every claim-backed volume of the snapshot VM points at its restored claim; a DataVolume
 *   volume with a template keeps its template, renamed to the restored DataVolume; one without
 *   a template becomes a claim volume. Memory dump volumes are not restored.
 * - A new VM (the target does not exist) gets the snapshot VM's labels and annotations and a
 *   stopped run strategy (`running: false` where the snapshot VM used `running`, else
 *   `runStrategy: Halted`); then the restore's `patches` are applied to it.
 * - An existing VM keeps its metadata and its run strategy; its spec becomes the snapshot's.
 * - Both get `restore.kubevirt.io/lastRestoreUID`, the mark that the target is restored.
 *
 * Identity. KubeVirt writes a name-derived firmware UUID into the spec of a VM restored onto
 * itself so the guest keeps the UUID it had. virtkit derives the firmware UUID and every
 * interface's MAC from the VM's namespace and name whenever the spec sets none, and never
 * writes them into the spec, so a VM restored onto itself keeps both and a VM restored under a
 * new name gets new ones. A MAC address or firmware UUID the snapshot VM's spec sets explicitly
 * is kept, as in KubeVirt: change it with `patches`.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import type { VirtualMachine, VirtualMachineSpec } from '../../api/kubevirt/v1';
import type { VirtualMachineRestore, VirtualMachineRestoreStatus } from '../../api/snapshot/v1beta1';
import { effectiveRunStrategy } from '../vm/run-strategy';
import { LAST_RESTORE_ANNOTATION, lastRestoreValue } from './names';

type Volume = NonNullable<NonNullable<VirtualMachineSpec['template']['spec']>['volumes']>[number];
type Restores = NonNullable<VirtualMachineRestoreStatus['restores']>;

/** The VM a snapshot content holds: its metadata and spec as they were. */
export interface SnapshotVm {
  readonly metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  readonly spec?: VirtualMachineSpec;
}

export type RestoredVm = { readonly vm: VirtualMachine } | { readonly problem: string };

/** The index of the template of DataVolume `name` in the snapshot VM, or -1. */
export function templateIndex(spec: VirtualMachineSpec | undefined, name: string): number {
  return (spec?.dataVolumeTemplates ?? []).findIndex((t) => t.metadata?.name === name);
}

function restoredVolumes(
  snapshotSpec: VirtualMachineSpec,
  restores: Restores,
  templates: NonNullable<VirtualMachineSpec['dataVolumeTemplates']>,
): Volume[] | { problem: string } {
  const out: Volume[] = [];
  for (const v of snapshotSpec.template?.spec?.volumes ?? []) {
    if (v.memoryDump) continue;
    const nv = structuredClone(v);
    const r = restores.find((x) => x.volumeName === v.name);
    if (r && nv.persistentVolumeClaim) nv.persistentVolumeClaim.claimName = r.persistentVolumeClaim;
    else if (r && nv.dataVolume) {
      const at = templateIndex(snapshotSpec, nv.dataVolume.name);
      if (at >= 0) {
        if (!r.dataVolumeName)
          return {
            problem: `the restored DataVolume of volume ${v.name} (template ${nv.dataVolume.name}) is not named yet in status.restores`,
          };
        templates[at]!.metadata = { ...(templates[at]!.metadata ?? {}), name: r.dataVolumeName };
        nv.dataVolume.name = r.dataVolumeName;
      } else {
        out.push({ name: v.name, persistentVolumeClaim: { claimName: r.persistentVolumeClaim } });
        continue;
      }
    }
    out.push(nv);
  }
  return out;
}

/** The target VM after the restore, or why it cannot be made. */
export function restoredVm(
  restore: VirtualMachineRestore,
  snapshotVm: SnapshotVm,
  target: VirtualMachine | undefined,
): RestoredVm {
  const snapshotSpec = snapshotVm.spec;
  if (!snapshotSpec?.template) return { problem: 'the snapshot content holds no VirtualMachine spec' };
  const templates = structuredClone(snapshotSpec.dataVolumeTemplates ?? []);
  const volumes = restoredVolumes(snapshotSpec, restore.status?.restores ?? [], templates);
  if ('problem' in volumes) return volumes;

  const spec = structuredClone(snapshotSpec);
  let vm: VirtualMachine;
  if (!target) {
    vm = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: {
        name: restore.spec.target.name,
        namespace: restore.metadata?.namespace ?? '',
        ...(snapshotVm.metadata?.labels ? { labels: { ...snapshotVm.metadata.labels } } : {}),
        ...(snapshotVm.metadata?.annotations ? { annotations: { ...snapshotVm.metadata.annotations } } : {}),
      },
      spec,
    };
    if (spec.running !== undefined) spec.running = false;
    else spec.runStrategy = 'Halted';
  } else {
    vm = { ...structuredClone(target), spec };
    delete vm.status;
    if (target.spec.running !== undefined) {
      spec.running = false;
      delete spec.runStrategy;
    } else {
      spec.runStrategy = effectiveRunStrategy(target);
      delete spec.running;
    }
  }
  if (templates.length) spec.dataVolumeTemplates = templates;
  else delete spec.dataVolumeTemplates;
  spec.template.spec ??= { domain: { devices: {} } };
  if (volumes.length) spec.template.spec.volumes = volumes;
  else delete spec.template.spec.volumes;
  vm.metadata = {
    ...vm.metadata,
    annotations: {
      ...(vm.metadata?.annotations ?? {}),
      [LAST_RESTORE_ANNOTATION]: lastRestoreValue(restore),
    },
  };
  return { vm };
}

/**
 * The restore's `patches` (JSON Patch operations, one JSON object a string) applied to a new
 * target VM, as KubeVirt applies them; the VM's name and namespace cannot be patched away.
 */
export function patchedVm(vm: VirtualMachine, patches: readonly string[] | undefined): RestoredVm {
  if (!patches?.length) return { vm };
  let ops: Operation[];
  try {
    ops = patches.map((p) => JSON.parse(p) as Operation);
  } catch (err) {
    return {
      problem: `spec.patches: ${(err as Error).message}; each entry is one JSON Patch operation as a JSON object`,
    };
  }
  let patched: VirtualMachine;
  try {
    patched = applyPatch(structuredClone(vm), ops, true, false).newDocument;
  } catch (err) {
    const e = err as { message?: string; operation?: unknown };
    const first = (e.message ?? String(err)).split('\n')[0];
    return {
      problem: `spec.patches could not be applied to VirtualMachine ${vm.metadata?.namespace ?? ''}/${vm.metadata?.name ?? ''}: ${first}${e.operation ? ` (operation ${JSON.stringify(e.operation)})` : ''}; make each path exist in the restored VM (see the snapshot content's spec.source.virtualMachine)`,
    };
  }
  if (patched.metadata?.name !== vm.metadata?.name || patched.metadata?.namespace !== vm.metadata?.namespace)
    return {
      problem: `spec.patches change the target VM's name or namespace; the target is spec.target.name ${JSON.stringify(vm.metadata?.name)}: patch elements under /spec/, /metadata/labels/ or /metadata/annotations/ only`,
    };
  return { vm: patched };
}

/** The restored name of an instancetype or preference revision copy: the snapshot's name swapped back for the VM's. */
export function restoredRevisionName(copyName: string, snapshotName: string, vmName: string): string {
  return snapshotName ? copyName.replace(snapshotName, vmName) : copyName;
}

/** Template DataVolumes of the VM now that the restored VM no longer names (KubeVirt deletes them). */
export function dataVolumesToDelete(
  current: VirtualMachineSpec | undefined,
  restored: VirtualMachineSpec | undefined,
): string[] {
  const keep = new Set((restored?.dataVolumeTemplates ?? []).map((t) => t.metadata?.name));
  return (current?.dataVolumeTemplates ?? [])
    .map((t) => t.metadata?.name ?? '')
    .filter((n) => n && !keep.has(n));
}
