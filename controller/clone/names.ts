/**
 * The names KubeVirt's clone controller gives things (pkg/virt-controller/watch/clone), so a
 * clone on virtkit leaves the same marks as on any KubeVirt cluster: the temporary snapshot and
 * restore, the generated target name, the owner reference, Event reasons and the sentences of
 * its conditions and Events. Pure.
 */
import { createHash } from 'crypto';
import type { VirtualMachineClone } from '../../api/clone/v1beta1';
import type { OwnerReference } from '../../api/k8s/meta';

/** The VirtualMachineSnapshot a clone of a VM takes: `tmp-snapshot-<clone uid>`. */
export function cloneSnapshotName(clone: VirtualMachineClone): string {
  return `tmp-snapshot-${clone.metadata?.uid ?? ''}`;
}

/** The VirtualMachineRestore that makes the clone's VM: `tmp-restore-<clone uid>`. */
export function cloneRestoreName(clone: VirtualMachineClone): string {
  return `tmp-restore-${clone.metadata?.uid ?? ''}`;
}

/** KubeVirt's alphabet of generated name suffixes (apimachinery's rand.String: no vowels, no 0/1/3). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;
/** Longest base that still leaves room for `-<suffix>` within Kubernetes' 253 characters. */
const MAX_BASE = 253 - SUFFIX_LENGTH - 1;

/**
 * The target VM's name when spec.target names none: `<source VM>-clone-<5 characters>`, as
 * KubeVirt names it, or `clone-object-<5>` when the source's name is too long. KubeVirt draws
 * the suffix at random; virtkit derives it from the clone's uid, so a round retried after a
 * lost write names the same VM.
 */
export function generatedTargetName(sourceVmName: string, cloneUid: string): string {
  const base = `${sourceVmName}-clone`;
  const digest = createHash('sha256').update(cloneUid).digest();
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[digest[i]! % SUFFIX_ALPHABET.length];
  return `${base.length > MAX_BASE ? 'clone-object' : base}-${suffix}`;
}

/** The clone as the controlling owner of its snapshot and restore (deleted with it). */
export function cloneOwnerReference(clone: VirtualMachineClone): OwnerReference {
  return {
    apiVersion: 'clone.kubevirt.io/v1beta1',
    kind: 'VirtualMachineClone',
    name: clone.metadata?.name ?? '',
    uid: clone.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** KubeVirt's Event reasons (clone_base.go), and virtkit's for what KubeVirt does not report. */
export const CloneEvent = {
  snapshotCreated: 'SnapshotCreated',
  snapshotReady: 'SnapshotReady',
  restoreCreated: 'RestoreCreated',
  restoreCreationFailed: 'RestoreCreationFailed',
  restoreReady: 'RestoreReady',
  targetVmCreated: 'TargetVMCreated',
  pvcBound: 'PVCBound',
  snapshotDeleted: 'SnapshotDeleted',
  snapshotContentInvalid: 'SnapshotContentInvalid',
  sourceDoesNotExist: 'SourceDoesNotExist',
  sourceWithBackendStorage: 'SourceVMWithBackendStorageInvalid',
  volumeSnapshotsInvalid: 'VMVolumeSnapshotsInvalid',
  // virtkit's: KubeVirt refuses a bad spec at admission, and waits forever on a failed snapshot
  // or restore or on a target that exists already.
  specInvalid: 'CloneSpecInvalid',
  snapshotFailed: 'SnapshotFailed',
  restoreFailed: 'RestoreFailed',
  targetExists: 'TargetVMExists',
} as const;

/** KubeVirt's condition reasons. */
export const CloneReason = {
  processing: 'Still processing',
  pending: 'Pending',
  failed: 'Failed',
  ready: 'Ready',
} as const;

/** KubeVirt's sentences, with the names they carry. */
export const CloneMsg = {
  snapshotCreated: (snapshot: string, clone: string) => `created snapshot ${snapshot} for clone ${clone}`,
  snapshotReady: (snapshot: string, clone: string) =>
    `snapshot ${snapshot} for clone ${clone} is ready to use`,
  restoreCreated: (restore: string, clone: string) => `created restore ${restore} for clone ${clone}`,
  restoreReady: (restore: string, clone: string) => `restore ${restore} for clone ${clone} is ready to use`,
  targetCreated: (vm: string, clone: string) => `created target VM ${vm} for clone ${clone}`,
  pvcBound: (clone: string) => `all PVC for clone ${clone} are bound`,
  snapshotGone: (snapshot: string) => `snapshot ${snapshot} does not exist anymore`,
  snapshotNotCreated: (snapshot: string, clone: string) =>
    `snapshot ${snapshot} is not created yet for clone ${clone}`,
  restoreNotCreated: (restore: string, clone: string) =>
    `restore ${restore} is not created yet for clone ${clone}`,
  targetNotCreated: (vm: string, clone: string) => `target VM ${vm} is not created yet for clone ${clone}`,
  pvcNotCreated: (pvc: string, clone: string) => `PVC ${pvc} is not created yet for clone ${clone}`,
  sourceMissing: (kind: string, namespace: string, name: string) =>
    `Source doesnt exist: ${kind} ${namespace}/${name}`,
  backendStorage: (what: string) => `Clone of source with backendstorage is not supported: ${what}`,
  volumeNotSnapshotable: (volume: string) => `Virtual Machine volume ${volume} does not support snapshots`,
  volumeSupportUnknown: (volume: string) => `Virtual Machine volume ${volume} snapshot support unknown`,
  volumeNotBackedUp: (volume: string, snapshot: string) =>
    `volume ${volume} is not backed up in snapshot ${snapshot}`,
  contentMissing: (content: string, namespace: string) =>
    `snapshot content ${content} in namespace ${namespace} does not exist`,
  contentNameless: (content: string) => `cannot get snapshot name from content ${content}`,
} as const;

/** `VirtualMachineClone <namespace>/<name>`, for messages. */
export function describeClone(clone: VirtualMachineClone): string {
  return `VirtualMachineClone ${clone.metadata?.namespace ?? ''}/${clone.metadata?.name ?? ''}`;
}
