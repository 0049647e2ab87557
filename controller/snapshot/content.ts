/**
 * The VirtualMachineSnapshotContent a snapshot makes once it holds its VM, with everything a
 * restore needs, as KubeVirt fills it (pkg/storage/snapshot: createContent, Spec,
 * captureInstancetypeControllerRevisions), and the VolumeSnapshot of each backed-up volume. Pure.
 *
 * - `spec.source.virtualMachine`: the VM's metadata (all but managedFields) and spec, with an
 *   empty status. A stopped VM gives its spec as it is; a running one the spec its VMI was
 *   started from (its start ControllerRevision) with the VM's current volumes, disks and
 *   dataVolumeTemplates, as KubeVirt takes the VMI's revision.
 * - The instancetype and preference: each `revisionName` (the VM's own, or the revision its
 *   status records) points at a copy of that ControllerRevision made for the snapshot (same
 *   data and labels, named with the VM's name replaced by the snapshot's, controlled by the
 *   snapshot), so a restore can recreate the revision even when the VM and its copies are gone.
 * - `spec.volumeBackups`: one per claim-backed volume whose claim exists, is Bound, names a
 *   StorageClass and has a VolumeSnapshotClass (./snapshot-class.ts): the claim's metadata and
 *   spec as they were, and `vmsnapshot-<snapshot uid>-volume-<volume>`. Other volumes are left
 *   out (status.snapshotVolumes.excludedVolumes).
 */
import type { ObjectMeta } from '../../api/k8s/meta';
import type { VirtualMachine, VirtualMachineSpec } from '../../api/kubevirt/v1';
import type {
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VolumeBackup,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot, VolumeSnapshotClass } from '../../api/volumesnapshot/v1';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { ControllerRevision } from '../vm/instancetype-revision';
import { startSpec } from '../vm/start-revision';
import {
  capturedRevisionName,
  contentNameOf,
  describeSnapshot,
  SNAPSHOT_API_VERSION,
  SOURCE_VM_NAME_LABEL,
  SOURCE_VM_NAMESPACE_LABEL,
  VM_SNAPSHOT_CONTENT_FINALIZER,
  volumeSnapshotNameOf,
} from './names';
import { snapshotClassFor } from './snapshot-class';
import { volumeClaims } from './volumes';

/** The longest name the API server takes for a ControllerRevision (a DNS subdomain). */
const MAX_NAME = 253;

/** An object's metadata as a snapshot keeps it: everything but the server's field bookkeeping. */
export function simplifiedMeta(meta: ObjectMeta | undefined): ObjectMeta {
  const copy = structuredClone(meta ?? {});
  delete copy.managedFields;
  return copy;
}

export interface ContentFacts {
  /** A claim of the snapshot's namespace, by name. */
  readonly claim: (name: string) => Claim | undefined;
  readonly storageClasses: ReadonlyMap<string, StorageClass>;
  readonly snapshotClasses: readonly VolumeSnapshotClass[];
  /** A ControllerRevision of the snapshot's namespace, by name. */
  readonly revision: (name: string) => ControllerRevision | undefined;
  /** Online only: the spec the VMI was started from (its start revision), when it is known. */
  readonly startedSpec?: VirtualMachineSpec;
}

export type ContentPlan =
  | {
      readonly content: VirtualMachineSnapshotContent;
      /** The snapshot's copies of the VM's instancetype and preference revisions, to create first. */
      readonly revisionCopies: ControllerRevision[];
    }
  | { readonly problem: string };

/** The VM spec the content keeps (see the file comment). */
export function capturedSpec(
  vm: VirtualMachine,
  online: boolean,
  startedSpec?: VirtualMachineSpec,
): VirtualMachineSpec {
  const current = startSpec(vm);
  if (!online || !startedSpec) return current;
  const spec = structuredClone(startedSpec);
  const template = current.template;
  spec.template = structuredClone(spec.template ?? template);
  const tspec = (spec.template.spec ??= structuredClone(template.spec ?? { domain: { devices: {} } }));
  const volumes = template.spec?.volumes;
  if (volumes) tspec.volumes = structuredClone(volumes);
  else delete tspec.volumes;
  const disks = template.spec?.domain?.devices?.disks;
  tspec.domain ??= { devices: {} };
  tspec.domain.devices ??= {};
  if (disks) tspec.domain.devices.disks = structuredClone(disks);
  else delete tspec.domain.devices.disks;
  if (current.dataVolumeTemplates) spec.dataVolumeTemplates = structuredClone(current.dataVolumeTemplates);
  else delete spec.dataVolumeTemplates;
  return spec;
}

/** The controller reference a snapshot puts on the revisions it captures. */
export function snapshotControllerRef(
  s: VirtualMachineSnapshot,
): NonNullable<ObjectMeta['ownerReferences']>[number] {
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VirtualMachineSnapshot',
    name: s.metadata?.name ?? '',
    uid: s.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function revisionCopy(
  snapshot: VirtualMachineSnapshot,
  vm: VirtualMachine,
  revisionName: string,
  field: 'instancetype' | 'preference',
  facts: ContentFacts,
): { revision: ControllerRevision } | { problem: string } {
  const ns = vm.metadata?.namespace ?? '';
  const vmName = vm.metadata?.name ?? '';
  const original = facts.revision(revisionName);
  if (!original)
    return {
      problem: `${describeSnapshot(snapshot)}: ControllerRevision ${ns}/${revisionName} (the ${field} revision of VirtualMachine ${ns}/${vmName}, spec.${field}.revisionName or status.${field}Ref) does not exist; the snapshot waits for it (the VM controller writes it when it resolves the ${field})`,
    };
  const name = capturedRevisionName(revisionName, vmName, snapshot.metadata?.name ?? '');
  if (name.length > MAX_NAME)
    return {
      problem: `${describeSnapshot(snapshot)}: the copy of ControllerRevision ${ns}/${revisionName} would be named with ${name.length} characters (at most ${MAX_NAME}); give the snapshot a shorter name`,
    };
  return {
    revision: {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        ...(original.metadata?.labels ? { labels: { ...original.metadata.labels } } : {}),
        ownerReferences: [snapshotControllerRef(snapshot)],
      },
      data: structuredClone(original.data),
      revision: original.revision ?? 0,
    },
  };
}

/** The volume backups of the VM's claims (see the file comment), or why they cannot be chosen. */
export function volumeBackups(
  snapshot: VirtualMachineSnapshot,
  vm: VirtualMachine,
  facts: ContentFacts,
): { backups: VolumeBackup[] } | { problem: string } {
  const backups: VolumeBackup[] = [];
  for (const { volumeName, claimName } of volumeClaims(vm.spec)) {
    const claim = facts.claim(claimName);
    if (!claim || claim.status?.phase !== 'Bound' || !claim.spec?.storageClassName) continue;
    const choice = snapshotClassFor(claim.spec.storageClassName, facts.storageClasses, facts.snapshotClasses);
    if ('problem' in choice)
      return {
        problem: `${describeSnapshot(snapshot)}: volume ${JSON.stringify(volumeName)} (PersistentVolumeClaim ${vm.metadata?.namespace ?? ''}/${claimName}): ${choice.problem}`,
      };
    if ('none' in choice) continue;
    backups.push({
      volumeName,
      persistentVolumeClaim: { metadata: simplifiedMeta(claim.metadata), spec: structuredClone(claim.spec) },
      volumeSnapshotName: volumeSnapshotNameOf(snapshot.metadata?.uid ?? '', volumeName),
    });
  }
  return { backups };
}

/** The content of `snapshot` of `vm` (online: the VM has a VMI), and the revision copies it names. */
export function planContent(
  snapshot: VirtualMachineSnapshot,
  vm: VirtualMachine,
  online: boolean,
  facts: ContentFacts,
): ContentPlan {
  const spec = capturedSpec(vm, online, facts.startedSpec);
  const revisionCopies: ControllerRevision[] = [];
  for (const field of ['instancetype', 'preference'] as const) {
    const matcher = spec[field];
    if (!matcher?.revisionName) continue;
    const copy = revisionCopy(snapshot, vm, matcher.revisionName, field, facts);
    if ('problem' in copy) return copy;
    matcher.revisionName = copy.revision.metadata?.name ?? '';
    revisionCopies.push(copy.revision);
  }
  const backups = volumeBackups(snapshot, vm, facts);
  if ('problem' in backups) return backups;
  const content: VirtualMachineSnapshotContent = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VirtualMachineSnapshotContent',
    metadata: {
      name: contentNameOf(snapshot),
      namespace: snapshot.metadata?.namespace,
      finalizers: [VM_SNAPSHOT_CONTENT_FINALIZER],
    },
    spec: {
      virtualMachineSnapshotName: snapshot.metadata?.name,
      source: {
        virtualMachine: {
          metadata: simplifiedMeta(vm.metadata),
          spec,
          status: {},
        },
      },
      ...(backups.backups.length ? { volumeBackups: backups.backups } : {}),
    },
  };
  return { content, revisionCopies };
}

/** The controller reference a content puts on its VolumeSnapshots. */
function contentControllerRef(
  c: VirtualMachineSnapshotContent,
): NonNullable<ObjectMeta['ownerReferences']>[number] {
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VirtualMachineSnapshotContent',
    name: c.metadata?.name ?? '',
    uid: c.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The VolumeSnapshot of one backup (snapshot.storage.k8s.io/v1, owned by the content, labelled
 * with the source VM), with the class chosen as for the content; or why it cannot be made.
 */
export function desiredVolumeSnapshot(
  content: VirtualMachineSnapshotContent,
  backup: VolumeBackup,
  storageClasses: ReadonlyMap<string, StorageClass>,
  snapshotClasses: readonly VolumeSnapshotClass[],
): { volumeSnapshot: VolumeSnapshot } | { problem: string } {
  const ns = content.metadata?.namespace ?? '';
  const claimName = backup.persistentVolumeClaim.metadata?.name ?? '';
  const what = `VirtualMachineSnapshotContent ${ns}/${content.metadata?.name ?? ''}, volume ${JSON.stringify(backup.volumeName)}`;
  const sc = backup.persistentVolumeClaim.spec?.storageClassName;
  if (!sc)
    return {
      problem: `${what}: ${ns}/${claimName} VolumeSnapshot requested but no storage class (spec.volumeBackups[].persistentVolumeClaim.spec.storageClassName is empty); take a new snapshot of a VM whose claims name a StorageClass`,
    };
  const choice = snapshotClassFor(sc, storageClasses, snapshotClasses);
  if (!('className' in choice))
    return {
      problem: `${what}: no VolumeSnapshotClass for PersistentVolumeClaim ${ns}/${claimName}: ${'problem' in choice ? choice.problem : choice.none}; create a VolumeSnapshotClass whose driver is the StorageClass's provisioner`,
    };
  const vm = content.spec.source.virtualMachine?.metadata;
  return {
    volumeSnapshot: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: {
        name: backup.volumeSnapshotName ?? '',
        namespace: ns,
        labels: {
          [SOURCE_VM_NAME_LABEL]: vm?.name ?? '',
          [SOURCE_VM_NAMESPACE_LABEL]: vm?.namespace ?? '',
        },
        ownerReferences: [contentControllerRef(content)],
      },
      spec: {
        source: { persistentVolumeClaimName: claimName },
        volumeSnapshotClassName: choice.className,
      },
    },
  };
}
