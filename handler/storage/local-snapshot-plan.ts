/**
 * What the node's snapshotter (the external-snapshotter's sidecar role, for virtkit's local
 * driver) does with a VolumeSnapshotContent, decided from the objects alone:
 *
 * - a content of a volume on this node (its PersistentVolume is one of ours, pinned here) is first
 *   claimed: the annotation `virtkit.io/snapshot-node: <node>` is written before any byte is
 *   copied, so a content always has an owner that can remove its data;
 * - then taken: the volume's data files are copied to `<root>/snapshots/<content name>` (through
 *   `<root>/snapshots/.partial-<content name>`), checked and recorded in status
 *   (`snapshotHandle` `<node>/<content name>`, creation time, restore size: the volume's capacity);
 * - a pre-provisioned content (`spec.source.snapshotHandle` `<node>/<directory>`) of this node is
 *   claimed, then imported: its directory's manifest gives status;
 * - a deleted content this node holds loses its directory (deletionPolicy Delete), then its
 *   finalizer.
 *
 * Contents of other drivers and other nodes are skipped. Pure.
 */
import { confinedPath, HostPathError } from '../../api/host-path';
import { parseQuantity } from '../../api/quantity';
import {
  LOCAL_VOLUME_DRIVER,
  localSnapshotHandle,
  parseLocalSnapshotHandle,
  SNAPSHOT_NODE_ANNOTATION,
  SNAPSHOTS_DIRECTORY,
} from '../../api/storage/local';
import { CONTENT_BOUND_FINALIZER, type VolumeSnapshotContent } from '../../api/volumesnapshot/v1';
import { removeFinalizerPatch } from '../../kube';
import { BLOCK_BACKING_FILE, ownVolume, volumeNode, type VolumeObject } from './local-volume-plan';

/** Where a snapshot's data goes: the final directory, and the one it is built in. */
export interface SnapshotLayout {
  readonly directory: string;
  readonly partial: string;
}

export type SnapshotDecision =
  | { readonly kind: 'skip' }
  /** Write the node annotation (resourceVersion-guarded) before anything else. */
  | { readonly kind: 'claim'; readonly patch: readonly unknown[] }
  | {
      readonly kind: 'take';
      readonly volume: string;
      /** The volume's directory, and which of its files to copy (all of them when undefined). */
      readonly source: { readonly directory: string; readonly files?: readonly string[] };
      readonly target: SnapshotLayout;
      readonly handle: string;
      readonly volumeMode: 'Filesystem' | 'Block';
      readonly restoreSize: number;
    }
  | { readonly kind: 'import'; readonly directory: string; readonly handle: string }
  | {
      readonly kind: 'remove';
      /** Data to delete (none for deletionPolicy Retain). */
      readonly target?: SnapshotLayout;
      readonly patch: readonly unknown[];
    }
  /** Something on this node stops the snapshot: status.error and a Warning. */
  | { readonly kind: 'fail'; readonly message: string };

const SKIP: SnapshotDecision = { kind: 'skip' };

/** The directories of snapshot `directory` under a node's volume root. Throws HostPathError. */
export function snapshotLayout(root: string, directory: string, contentName: string): SnapshotLayout {
  const base = `${root.replace(/\/+$/, '')}/${SNAPSHOTS_DIRECTORY}`;
  return {
    directory: confinedPath(base, directory, 'VolumeSnapshotContent snapshot directory'),
    partial: confinedPath(base, `.partial-${contentName}`, 'VolumeSnapshotContent metadata.name'),
  };
}

/** The JSON pointer of an annotation key (`/` and `~` escaped). */
function annotationPointer(key: string): string {
  return `/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function claimPatch(content: VolumeSnapshotContent, nodeName: string): unknown[] {
  const meta = content.metadata ?? {};
  return [
    { op: 'test', path: '/metadata/resourceVersion', value: meta.resourceVersion },
    meta.annotations
      ? { op: 'add', path: annotationPointer(SNAPSHOT_NODE_ANNOTATION), value: nodeName }
      : { op: 'add', path: '/metadata/annotations', value: { [SNAPSHOT_NODE_ANNOTATION]: nodeName } },
  ];
}

export function decideContent(
  content: VolumeSnapshotContent,
  /** The PersistentVolume `spec.source.volumeHandle` names, when there is one and it exists. */
  volume: VolumeObject | undefined,
  nodeName: string,
  root: string,
): SnapshotDecision {
  if (content.spec?.driver !== LOCAL_VOLUME_DRIVER) return SKIP;
  const meta = content.metadata ?? {};
  const name = meta.name ?? '';
  if (!name) return SKIP;
  const what = `VolumeSnapshotContent ${name}`;
  const holder = meta.annotations?.[SNAPSHOT_NODE_ANNOTATION];
  const preHandle = content.spec?.source?.snapshotHandle;
  const pre = preHandle === undefined ? undefined : parseLocalSnapshotHandle(preHandle);
  const layout = (directory: string): SnapshotLayout | HostPathError => {
    try {
      return snapshotLayout(root, directory, name);
    } catch (e) {
      if (e instanceof HostPathError) return e;
      throw e;
    }
  };

  if (meta.deletionTimestamp) {
    if (!(meta.finalizers ?? []).includes(CONTENT_BOUND_FINALIZER)) return SKIP;
    // The node that claimed it; a pre-provisioned one is its handle's node's even unclaimed.
    const owner = holder ?? (pre && 'node' in pre ? pre.node : undefined);
    if (owner !== nodeName) return SKIP;
    const patch = removeFinalizerPatch(content, CONTENT_BOUND_FINALIZER) ?? [];
    if (content.spec?.deletionPolicy !== 'Delete') return { kind: 'remove', patch };
    const status = content.status?.snapshotHandle;
    const parsed = pre ?? (status === undefined ? undefined : parseLocalSnapshotHandle(status));
    const dir = parsed && 'directory' in parsed ? parsed.directory : name;
    const target = layout(dir);
    if (target instanceof HostPathError) return { kind: 'fail', message: `${what}: ${target.message}` };
    return { kind: 'remove', target, patch };
  }

  if (holder !== undefined && holder !== nodeName) return SKIP;
  if (content.status?.readyToUse === true && content.status.snapshotHandle) return SKIP;

  if (pre) {
    if ('problem' in pre) return SKIP; // the snapshot controller reports it on the VolumeSnapshot
    if (pre.node !== nodeName) return SKIP;
    if (holder === undefined) return { kind: 'claim', patch: claimPatch(content, nodeName) };
    const target = layout(pre.directory);
    if (target instanceof HostPathError)
      return { kind: 'fail', message: `${what}: spec.source.snapshotHandle: ${target.message}` };
    return { kind: 'import', directory: target.directory, handle: preHandle! };
  }

  const volumeName = content.spec?.source?.volumeHandle ?? '';
  if (!volume) {
    // Only the node that claimed it can tell: nobody else knows the volume was here.
    if (holder !== nodeName) return SKIP;
    return {
      kind: 'fail',
      message: `${what}: PersistentVolume ${volumeName} (spec.source.volumeHandle) no longer exists, so no snapshot can be taken of it; delete the VolumeSnapshot ${content.spec?.volumeSnapshotRef?.namespace ?? ''}/${content.spec?.volumeSnapshotRef?.name ?? ''}`,
    };
  }
  const own = ownVolume(volume, root);
  if (!own || volumeNode(volume) !== nodeName) return SKIP;
  if (holder === undefined) return { kind: 'claim', patch: claimPatch(content, nodeName) };
  const capacity = volume.spec?.capacity?.storage;
  const restoreSize = parseQuantity(capacity);
  if (restoreSize === undefined || restoreSize < 0)
    return {
      kind: 'fail',
      message: `${what}: PersistentVolume ${volumeName} spec.capacity.storage ${JSON.stringify(capacity ?? '')} is not a size; the snapshot's restore size comes from it: fix the volume's capacity`,
    };
  const target = layout(name);
  if (target instanceof HostPathError) return { kind: 'fail', message: `${what}: ${target.message}` };
  const block = volume.spec?.volumeMode === 'Block';
  return {
    kind: 'take',
    volume: volumeName,
    source: { directory: own.directory, ...(block ? { files: [BLOCK_BACKING_FILE] } : {}) },
    target,
    handle: localSnapshotHandle(nodeName, name),
    volumeMode: block ? 'Block' : 'Filesystem',
    restoreSize: Math.ceil(restoreSize),
  };
}
