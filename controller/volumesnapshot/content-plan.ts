/**
 * What the snapshot controller does with a VolumeSnapshotContent of the local driver on its own
 * account (the snapshot's side is ./snapshot-plan.ts): protect the data of a bound Delete-policy
 * content with the content finalizer; delete a Delete-policy content whose VolumeSnapshot is gone
 * (the reconciler asks the API server once more before it deletes); and let a deleted content go
 * when no node ever started on it (no node annotation, no handle), as no node holds its data. A
 * content a node has claimed is that node's to clean up. Pure.
 */
import { LOCAL_VOLUME_DRIVER, SNAPSHOT_NODE_ANNOTATION } from '../../api/storage/local';
import {
  CONTENT_BOUND_FINALIZER,
  type VolumeSnapshot,
  type VolumeSnapshotContent,
} from '../../api/volumesnapshot/v1';
import { addFinalizerPatch } from '../../kube';

export type ContentPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'protect'; readonly patch: readonly unknown[] }
  /** Delete it, once the API server confirms its snapshot is gone. */
  | {
      readonly kind: 'delete';
      readonly uid?: string;
      readonly snapshot: { readonly namespace: string; readonly name: string; readonly uid: string };
    }
  | { readonly kind: 'release'; readonly patch: readonly unknown[] };

const NONE: ContentPlan = { kind: 'none' };

export function planContent(
  content: VolumeSnapshotContent,
  /** The VolumeSnapshot its spec.volumeSnapshotRef names, from the cache. */
  snapshot: VolumeSnapshot | undefined,
): ContentPlan {
  if (content.spec?.driver !== LOCAL_VOLUME_DRIVER) return NONE;
  const meta = content.metadata ?? {};
  const finalizers = meta.finalizers ?? [];
  if (meta.deletionTimestamp) {
    const started =
      meta.annotations?.[SNAPSHOT_NODE_ANNOTATION] !== undefined ||
      content.status?.snapshotHandle !== undefined ||
      content.spec?.source?.snapshotHandle !== undefined;
    if (started || !finalizers.includes(CONTENT_BOUND_FINALIZER)) return NONE;
    // resourceVersion-guarded: a node that claims it meanwhile wins, and this is decided again.
    return {
      kind: 'release',
      patch: [
        { op: 'test', path: '/metadata/resourceVersion', value: meta.resourceVersion },
        {
          op: 'replace',
          path: '/metadata/finalizers',
          value: finalizers.filter((f) => f !== CONTENT_BOUND_FINALIZER),
        },
      ],
    };
  }
  const ref = content.spec?.volumeSnapshotRef ?? {};
  if (!ref.uid || content.spec?.deletionPolicy !== 'Delete') return NONE;
  if (!snapshot || snapshot.metadata?.uid !== ref.uid)
    return {
      kind: 'delete',
      ...(meta.uid ? { uid: meta.uid } : {}),
      snapshot: { namespace: ref.namespace ?? '', name: ref.name ?? '', uid: ref.uid },
    };
  const patch = addFinalizerPatch(content, CONTENT_BOUND_FINALIZER);
  return patch ? { kind: 'protect', patch } : NONE;
}
