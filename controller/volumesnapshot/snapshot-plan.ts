/**
 * What the snapshot controller does with one VolumeSnapshot (the external-snapshotter's common
 * controller, for the local driver only), decided from the caches alone:
 *
 * - a new snapshot of a Bound local claim gets the VolumeSnapshotContent `snapcontent-<uid>`
 *   (the claim's PersistentVolume as `source.volumeHandle`, the class's driver and deletion
 *   policy, the claim's volume mode), after the snapshot's bound-protection finalizer and the
 *   claim's pvc-as-source-protection finalizer (so neither can go while the data is copied);
 * - a snapshot of an existing content (`spec.source.volumeSnapshotContentName`) is bound to it
 *   both ways: the content must name this snapshot, and gets its UID;
 * - status mirrors the bound content (ready, creation time, restore size, the driver's error),
 *   or says what stops the snapshot, naming the object, the field, the value and the fix;
 * - a deleted snapshot deletes its content when the content's deletionPolicy is Delete, then
 *   lets go of its finalizer.
 *
 * Pure: the reconciler does what the plan says.
 */
import { LOCAL_VOLUME_DRIVER, parseLocalSnapshotHandle } from '../../api/storage/local';
import {
  CONTENT_BOUND_FINALIZER,
  PVC_AS_SOURCE_FINALIZER,
  SNAPSHOT_BOUND_FINALIZER,
  snapshotContentNameFor,
  VOLUME_SNAPSHOT_API_VERSION,
  type VolumeSnapshot,
  type VolumeSnapshotContent,
  type VolumeSnapshotStatus,
} from '../../api/volumesnapshot/v1';
import type { EventSpec } from '../../kube';
import type { Claim } from '../datavolume/objects';
import { claimDriver, describeSnapshot, snapshotOwnership, type OwnershipFacts } from './ownership';
import { snapshotStatus } from './status';

export interface SnapshotFacts extends Omit<OwnershipFacts, 'sourceContent'> {
  readonly snapshot: VolumeSnapshot;
  /** A VolumeSnapshotContent by name, from the cache. */
  readonly content: (name: string) => VolumeSnapshotContent | undefined;
  readonly now: Date;
}

export type SnapshotPlan =
  | { readonly kind: 'ignore' }
  | {
      readonly kind: 'sync';
      /** Add the snapshot's bound-protection finalizer first. */
      readonly addFinalizer: boolean;
      /** Add pvc-as-source-protection to this claim before the content is made. */
      readonly protectClaim?: { readonly namespace: string; readonly name: string };
      readonly createContent?: VolumeSnapshotContent;
      /** Write the snapshot's UID into a pre-provisioned content's spec.volumeSnapshotRef. */
      readonly bindContent?: { readonly name: string; readonly patch: readonly unknown[] };
      readonly status: VolumeSnapshotStatus;
      readonly events: readonly EventSpec[];
    }
  | {
      readonly kind: 'delete';
      /** The content to delete (deletionPolicy Delete), with its UID as precondition. */
      readonly deleteContent?: { readonly name: string; readonly uid?: string };
      readonly removeFinalizer: boolean;
    };

const IGNORE: SnapshotPlan = { kind: 'ignore' };
const RELEASE: SnapshotPlan = { kind: 'delete', removeFinalizer: true };

/** The Event reason of a content being made (the reconciler records it only when it made one). */
export const CREATING_SNAPSHOT = 'CreatingSnapshot';

/** Whether a content's spec.volumeSnapshotRef names this snapshot (by UID once it has one). */
export function boundTo(content: VolumeSnapshotContent, snapshot: VolumeSnapshot): boolean {
  const ref = content.spec?.volumeSnapshotRef ?? {};
  return (
    ref.name === snapshot.metadata?.name &&
    ref.namespace === snapshot.metadata?.namespace &&
    (!ref.uid || ref.uid === snapshot.metadata?.uid)
  );
}

/** The content a snapshot of a claim is taken into. */
function dynamicContent(
  snapshot: VolumeSnapshot,
  claim: Claim,
  snapshotClass: { metadata?: { name?: string }; driver: string; deletionPolicy: 'Delete' | 'Retain' },
): VolumeSnapshotContent {
  const meta = snapshot.metadata ?? {};
  const deletes = snapshotClass.deletionPolicy === 'Delete';
  return {
    apiVersion: VOLUME_SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshotContent',
    metadata: {
      name: snapshotContentNameFor(meta.uid ?? ''),
      ...(deletes ? { finalizers: [CONTENT_BOUND_FINALIZER] } : {}),
    },
    spec: {
      volumeSnapshotRef: {
        apiVersion: VOLUME_SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshot',
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
      },
      deletionPolicy: snapshotClass.deletionPolicy,
      driver: snapshotClass.driver,
      source: { volumeHandle: claim.spec?.volumeName ?? '' },
      ...(snapshotClass.metadata?.name ? { volumeSnapshotClassName: snapshotClass.metadata.name } : {}),
      sourceVolumeMode: claim.spec?.volumeMode === 'Block' ? 'Block' : 'Filesystem',
    },
  };
}

/** Why a snapshot of this claim cannot be taken now, or undefined when it can. */
function claimProblem(snapshot: VolumeSnapshot, facts: SnapshotFacts): string | undefined {
  const ns = snapshot.metadata?.namespace ?? '';
  const claimName = snapshot.spec?.source?.persistentVolumeClaimName ?? '';
  const what = describeSnapshot(snapshot);
  const claimWhat = `PersistentVolumeClaim ${ns}/${claimName}`;
  const claim = facts.claim;
  if (!claim)
    return `${what}: spec.source.persistentVolumeClaimName ${JSON.stringify(claimName)} names no PersistentVolumeClaim in namespace ${ns}; create the claim or fix the name (the snapshot is taken once the claim exists and is Bound)`;
  if (claim.metadata?.deletionTimestamp)
    return `${what}: ${claimWhat} (spec.source.persistentVolumeClaimName) is being deleted; a snapshot cannot be taken of it; snapshot another claim`;
  const driver = claimDriver(claim, facts.claimClass);
  if (driver !== undefined && driver !== LOCAL_VOLUME_DRIVER)
    return `${what}: ${claimWhat} is a volume of ${JSON.stringify(driver)}, not of ${LOCAL_VOLUME_DRIVER}; name a VolumeSnapshotClass of driver ${JSON.stringify(driver)} in spec.volumeSnapshotClassName`;
  if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName)
    return `${what}: ${claimWhat} is ${claim.status?.phase ?? 'Pending'}, not Bound; the snapshot is taken once the claim is bound to a volume (a WaitForFirstConsumer claim is bound when a pod first uses it)`;
  if (driver === undefined)
    return `${what}: ${claimWhat} names no StorageClass of provisioner ${LOCAL_VOLUME_DRIVER} (spec.storageClassName ${JSON.stringify(claim.spec?.storageClassName ?? '')}); only ${LOCAL_VOLUME_DRIVER} volumes can be snapshotted with this class`;
  return undefined;
}

function planDeletion(
  snapshot: VolumeSnapshot,
  content: VolumeSnapshotContent | undefined,
  ours: boolean,
): SnapshotPlan {
  if (!(snapshot.metadata?.finalizers ?? []).includes(SNAPSHOT_BOUND_FINALIZER)) return IGNORE;
  if (content) {
    if (content.spec?.driver !== LOCAL_VOLUME_DRIVER || !boundTo(content, snapshot))
      return ours ? RELEASE : IGNORE;
    const deletes =
      content.spec?.deletionPolicy === 'Delete' &&
      !content.metadata?.deletionTimestamp &&
      content.spec?.volumeSnapshotRef?.uid === snapshot.metadata?.uid;
    return {
      kind: 'delete',
      ...(deletes
        ? { deleteContent: { name: content.metadata?.name ?? '', uid: content.metadata?.uid } }
        : {}),
      removeFinalizer: true,
    };
  }
  // No content: nothing is left to protect, when it is ours or its bound content is gone.
  return ours || snapshot.status?.boundVolumeSnapshotContentName ? RELEASE : IGNORE;
}

export function planSnapshot(facts: SnapshotFacts): SnapshotPlan {
  const s = facts.snapshot;
  const meta = s.metadata ?? {};
  const uid = meta.uid;
  if (!uid || !meta.name || !meta.namespace) return IGNORE;
  const source = s.spec?.source ?? {};
  const preName = source.volumeSnapshotContentName;
  const contentName = preName ?? s.status?.boundVolumeSnapshotContentName ?? snapshotContentNameFor(uid);
  const content = facts.content(contentName);
  const own = snapshotOwnership(s, { ...facts, ...(preName && content ? { sourceContent: content } : {}) });
  if (meta.deletionTimestamp) return planDeletion(s, content, own.ours);
  if (!own.ours) return IGNORE;

  const what = describeSnapshot(s);
  const hasFinalizer = (meta.finalizers ?? []).includes(SNAPSHOT_BOUND_FINALIZER);
  let problem = own.problem;
  let boundName: string | undefined;
  let createContent: VolumeSnapshotContent | undefined;
  let bindContent: { name: string; patch: unknown[] } | undefined;
  let protectClaim: { namespace: string; name: string } | undefined;

  if (preName !== undefined) {
    if (!problem && content) {
      const ref = content.spec?.volumeSnapshotRef ?? {};
      const handle = content.spec?.source?.snapshotHandle;
      const parsed = handle === undefined ? undefined : parseLocalSnapshotHandle(handle);
      if (ref.name !== meta.name || ref.namespace !== meta.namespace)
        problem = `${what}: VolumeSnapshotContent ${preName} (spec.source.volumeSnapshotContentName) is bound to VolumeSnapshot ${ref.namespace ?? ''}/${ref.name ?? ''} (its spec.volumeSnapshotRef), not to this one; set its spec.volumeSnapshotRef to ${meta.namespace}/${meta.name} or use another content`;
      else if (ref.uid && ref.uid !== uid)
        problem = `${what}: VolumeSnapshotContent ${preName} belongs to an earlier VolumeSnapshot of this name (its spec.volumeSnapshotRef.uid is ${ref.uid}); create a new VolumeSnapshotContent with the same spec.source.snapshotHandle to use the data again`;
      else if (parsed && 'problem' in parsed)
        problem = `${what}: VolumeSnapshotContent ${preName} spec.source.snapshotHandle ${JSON.stringify(handle)} ${parsed.problem}`;
      else {
        boundName = preName;
        if (!ref.uid)
          bindContent = {
            name: preName,
            patch: [
              // Guarded by the reference itself: the node's annotation may land meanwhile.
              { op: 'test', path: '/spec/volumeSnapshotRef', value: ref },
              { op: 'replace', path: '/spec/volumeSnapshotRef', value: { ...ref, uid } },
            ],
          };
      }
    }
  } else if (!problem) {
    if (content) {
      if (content.spec?.volumeSnapshotRef?.uid !== uid)
        problem = `${what}: VolumeSnapshotContent ${contentName} is bound to another VolumeSnapshot (spec.volumeSnapshotRef.uid ${JSON.stringify(content.spec?.volumeSnapshotRef?.uid ?? '')}, not ${uid}); delete that content or this snapshot`;
      else boundName = contentName;
    } else if (s.status?.boundVolumeSnapshotContentName) {
      boundName = s.status.boundVolumeSnapshotContentName;
      problem = `${what}: status.boundVolumeSnapshotContentName ${JSON.stringify(boundName)} names a VolumeSnapshotContent that no longer exists, so the snapshot's data is gone; delete this VolumeSnapshot and take a new one`;
    } else {
      problem = claimProblem(s, facts);
      if (!problem && own.snapshotClass && facts.claim) {
        createContent = dynamicContent(s, facts.claim, own.snapshotClass);
        boundName = contentName;
        if (!(facts.claim.metadata?.finalizers ?? []).includes(PVC_AS_SOURCE_FINALIZER))
          protectClaim = { namespace: meta.namespace, name: facts.claim.metadata?.name ?? '' };
      }
    }
  }

  const status = snapshotStatus(
    s.status,
    { ...(boundName ? { contentName: boundName } : {}), ...(content ? { content } : {}), problem },
    facts.now,
  );
  const events: EventSpec[] = [];
  if (problem && s.status?.error?.message !== problem)
    events.push({
      type: 'Warning',
      reason: preName !== undefined ? 'SnapshotBindFailed' : 'SnapshotCreationFailed',
      message: problem,
    });
  if (createContent)
    events.push({
      type: 'Normal',
      reason: CREATING_SNAPSHOT,
      message: `Made VolumeSnapshotContent ${contentName} for ${what}; the node that holds PersistentVolume ${facts.claim?.spec?.volumeName ?? ''} takes the snapshot`,
    });
  if (status.readyToUse && s.status?.readyToUse !== true)
    events.push({ type: 'Normal', reason: 'SnapshotReady', message: `${what} is ready to use` });
  return {
    kind: 'sync',
    addFinalizer: !hasFinalizer && boundName !== undefined,
    ...(protectClaim ? { protectClaim } : {}),
    ...(createContent ? { createContent } : {}),
    ...(bindContent ? { bindContent } : {}),
    status,
    events,
  };
}
