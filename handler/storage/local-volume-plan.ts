/**
 * What the node's local volume provisioner does with a claim or a volume, decided from the
 * objects alone (pure). It follows the contract of Kubernetes' external provisioners:
 *
 * - kube-controller-manager's PV controller marks a claim whose StorageClass names a provisioner
 *   it does not run itself with `volume.kubernetes.io/storage-provisioner: <name>`;
 * - with `volumeBindingMode: WaitForFirstConsumer` kube-scheduler picks the node of the first pod
 *   that uses the claim and writes it to `volume.kubernetes.io/selected-node`; only that node's
 *   provisioner acts (with `Immediate` every node's may: the PersistentVolume's name is the
 *   claim's, `pvc-<uid>`, so exactly one create succeeds);
 * - the provisioner creates a PersistentVolume bound in advance to the claim (`claimRef` with its
 *   uid), annotated `pv.kubernetes.io/provisioned-by`; the PV controller completes the binding;
 * - a Released volume whose reclaim policy is Delete is deleted by its provisioner, data first.
 *
 * virtkit's volumes are directories on the node (`spec.local.path`, pinned to the node by
 * `nodeAffinity` on `kubernetes.io/hostname`), where the handler keeps KubeVirt's `disk.img`.
 * A `volumeMode: Block` claim gets the same directory holding a sparse backing file
 * (`block.img`, the claim's size) attached to a loop device, and a block-special node
 * (`device`) for that loop device: the PersistentVolume's `spec.local.path` is the node, a path
 * that stays the same when the loop device is attached again under another number.
 */
import { confinedPath, HostPathError } from '../../api/host-path';
import { parseQuantity } from '../../api/quantity';
import { LOCAL_STORAGE_CLASS, LOCAL_VOLUME_DRIVER } from '../../api/storage/local';
import { VOLUME_SNAPSHOT_DATA_SOURCE } from '../../api/volumesnapshot/v1/well-known';
import type { EventSpec } from '../../kube';

/** The provisioner name StorageClasses use for virtkit's node-local volumes. */
export const LOCAL_PROVISIONER = LOCAL_VOLUME_DRIVER;
/** The StorageClass `virtkit up` creates (the default class in local mode). */
export { LOCAL_STORAGE_CLASS };

export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface ClaimObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: {
    readonly storageClassName?: string;
    readonly volumeName?: string;
    readonly volumeMode?: string;
    readonly accessModes?: readonly string[];
    readonly resources?: { readonly requests?: Readonly<Record<string, string>> };
    readonly dataSource?: DataSourceReference;
    readonly dataSourceRef?: DataSourceReference & { readonly namespace?: string };
  };
  readonly status?: { readonly phase?: string };
}

export interface DataSourceReference {
  readonly apiGroup?: string;
  readonly kind?: string;
  readonly name?: string;
}

export interface StorageClassObject {
  readonly metadata?: { readonly name?: string };
  readonly provisioner?: string;
  readonly reclaimPolicy?: string;
  readonly volumeBindingMode?: string;
  readonly mountOptions?: readonly string[];
}

export interface VolumeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: {
    readonly capacity?: Readonly<Record<string, string>>;
    readonly local?: { readonly path?: string };
    readonly volumeMode?: string;
    readonly persistentVolumeReclaimPolicy?: string;
    readonly nodeAffinity?: unknown;
    readonly claimRef?: { readonly namespace?: string; readonly name?: string; readonly uid?: string };
  };
  readonly status?: { readonly phase?: string };
}

/** The files of a Block volume inside its directory. */
export const BLOCK_BACKING_FILE = 'block.img';
export const BLOCK_DEVICE_NODE = 'device';

/** A Block volume's backing file, its device node and its size in bytes. */
export interface BlockLayout {
  readonly backingFile: string;
  readonly deviceNode: string;
  readonly sizeBytes: number;
}

export type ClaimDecision =
  | { readonly kind: 'skip' }
  | {
      readonly kind: 'provision';
      readonly volume: VolumeObject;
      readonly directory: string;
      /** Set for volumeMode Block. */
      readonly block?: BlockLayout;
      /** The VolumeSnapshot (in the claim's namespace) whose data the volume starts with. */
      readonly restoreFrom?: string;
    }
  | { readonly kind: 'refuse'; readonly event: EventSpec };

/** The PersistentVolume's name for a claim: Kubernetes' own convention, `pvc-<claim uid>`. Pure. */
export function volumeNameFor(claimUid: string): string {
  return `pvc-${claimUid}`;
}

function provisionerOf(claim: ClaimObject): string | undefined {
  const a = claim.metadata?.annotations ?? {};
  return a[STORAGE_PROVISIONER_ANNOTATION] ?? a[BETA_STORAGE_PROVISIONER_ANNOTATION];
}

/**
 * The VolumeSnapshot a claim is to be restored from (`spec.dataSourceRef`, else
 * `spec.dataSource`, of kind VolumeSnapshot in snapshot.storage.k8s.io), undefined for an empty
 * volume, or why the provisioner cannot fill the volume from what the claim names (any other
 * source would otherwise be ignored and the volume made empty). Pure.
 */
export function snapshotSourceOf(
  claim: ClaimObject,
): { readonly snapshot: string } | { readonly problem: string } | undefined {
  const field = claim.spec?.dataSourceRef ? 'spec.dataSourceRef' : 'spec.dataSource';
  const ref = claim.spec?.dataSourceRef ?? claim.spec?.dataSource;
  if (!ref) return undefined;
  const what = `PersistentVolumeClaim ${claim.metadata?.namespace ?? ''}/${claim.metadata?.name ?? ''}`;
  const ns = claim.spec?.dataSourceRef?.namespace;
  if (ref.kind !== VOLUME_SNAPSHOT_DATA_SOURCE.kind || ref.apiGroup !== VOLUME_SNAPSHOT_DATA_SOURCE.apiGroup)
    return {
      problem: `${what}: ${field} ${JSON.stringify({ apiGroup: ref.apiGroup ?? '', kind: ref.kind ?? '', name: ref.name ?? '' })} is not a source the ${LOCAL_PROVISIONER} provisioner can fill a volume from; it restores VolumeSnapshots (apiGroup ${VOLUME_SNAPSHOT_DATA_SOURCE.apiGroup}, kind VolumeSnapshot); to copy a claim use a DataVolume with spec.source.pvc`,
    };
  if (!ref.name)
    return { problem: `${what}: ${field}.name is missing; set it to the VolumeSnapshot to restore` };
  if (ns && ns !== claim.metadata?.namespace)
    return {
      problem: `${what}: ${field}.namespace ${JSON.stringify(ns)} is another namespace; a ${LOCAL_PROVISIONER} volume restores only a VolumeSnapshot of its own namespace: take or copy the snapshot into ${claim.metadata?.namespace ?? ''}`,
    };
  return { snapshot: ref.name };
}

/**
 * What to do with a claim on node `nodeName`: nothing (not ours, bound already, another node's),
 * create its volume in `root` (the directory `root/<pv name>`), or refuse it with a Warning.
 */
export function decideClaim(
  claim: ClaimObject,
  storageClass: StorageClassObject | undefined,
  nodeName: string,
  root: string,
): ClaimDecision {
  const meta = claim.metadata ?? {};
  if (meta.deletionTimestamp || claim.spec?.volumeName || claim.status?.phase === 'Bound')
    return { kind: 'skip' };
  if (provisionerOf(claim) !== LOCAL_PROVISIONER) return { kind: 'skip' };
  if (!storageClass || storageClass.provisioner !== LOCAL_PROVISIONER) return { kind: 'skip' };
  const waits = storageClass.volumeBindingMode === 'WaitForFirstConsumer';
  const selected = meta.annotations?.[SELECTED_NODE_ANNOTATION];
  if (waits && selected !== nodeName) return { kind: 'skip' };
  if (!meta.uid || !meta.name || !meta.namespace) return { kind: 'skip' };
  const what = `PersistentVolumeClaim ${meta.namespace}/${meta.name}`;
  const refuse = (message: string): ClaimDecision => ({
    kind: 'refuse',
    event: { type: 'Warning', reason: 'ProvisioningFailed', message },
  });
  const volumeMode = claim.spec?.volumeMode ?? 'Filesystem';
  if (volumeMode !== 'Filesystem' && volumeMode !== 'Block')
    return refuse(
      `${what}: spec.volumeMode ${JSON.stringify(volumeMode)} is unknown; use Filesystem or Block`,
    );
  const size = claim.spec?.resources?.requests?.storage;
  if (!size)
    return refuse(
      `${what}: spec.resources.requests.storage is missing; set the size the volume must have, e.g. 10Gi`,
    );
  const sizeBytes = parseQuantity(size);
  if (
    volumeMode === 'Block' &&
    (sizeBytes === undefined || sizeBytes < 512 || !Number.isSafeInteger(Math.ceil(sizeBytes)))
  )
    return refuse(
      `${what}: spec.resources.requests.storage ${JSON.stringify(size)} is not a size a block device can have; use at least 512 bytes, e.g. 10Gi`,
    );
  const accessModes = claim.spec?.accessModes?.length ? [...claim.spec.accessModes] : ['ReadWriteOnce'];
  const many = accessModes.filter((m) => m === 'ReadWriteMany' || m === 'ReadOnlyMany');
  if (many.length)
    return refuse(
      `${what}: spec.accessModes ${many.join(', ')} cannot be served by a volume on one node; use ReadWriteOnce or ReadWriteOncePod`,
    );
  const source = snapshotSourceOf(claim);
  if (source && 'problem' in source) return refuse(source.problem);
  const name = volumeNameFor(meta.uid);
  let directory: string;
  try {
    directory = confinedPath(root, name, `${what} metadata.uid`);
  } catch (e) {
    if (e instanceof HostPathError) return refuse(e.message);
    throw e;
  }
  const block: BlockLayout | undefined =
    volumeMode === 'Block'
      ? {
          backingFile: `${directory}/${BLOCK_BACKING_FILE}`,
          deviceNode: `${directory}/${BLOCK_DEVICE_NODE}`,
          // Loop devices work in 512-byte sectors: round the size up to a whole one.
          sizeBytes: Math.ceil(Math.ceil(sizeBytes ?? 0) / 512) * 512,
        }
      : undefined;
  return {
    kind: 'provision',
    directory,
    ...(block ? { block } : {}),
    ...(source ? { restoreFrom: source.snapshot } : {}),
    volume: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PROVISIONER } },
      spec: {
        capacity: { storage: size },
        accessModes,
        volumeMode,
        persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
        storageClassName: storageClass.metadata?.name,
        ...(storageClass.mountOptions?.length ? { mountOptions: [...storageClass.mountOptions] } : {}),
        local: { path: block ? block.deviceNode : directory },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [nodeName] }] },
            ],
          },
        },
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: meta.namespace,
          name: meta.name,
          uid: meta.uid,
          ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
        },
      },
    } as VolumeObject,
  };
}

/**
 * The directory of a volume this node provisioned under `root` (and, for a Block volume, its
 * files), or undefined for any other volume: only a directory of this root named after the
 * volume, whose `spec.local.path` is that directory or (Block) its device node, is ours. Pure.
 */
export function ownVolume(
  volume: VolumeObject,
  root: string,
): { directory: string; block?: Omit<BlockLayout, 'sizeBytes'> } | undefined {
  if (volume.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PROVISIONER) return undefined;
  const localPath = volume.spec?.local?.path;
  const name = volume.metadata?.name;
  if (!localPath || !name) return undefined;
  let own: string;
  try {
    own = confinedPath(root, name, `PersistentVolume ${name} metadata.name`);
  } catch {
    return undefined;
  }
  if (volume.spec?.volumeMode === 'Block') {
    const block = { backingFile: `${own}/${BLOCK_BACKING_FILE}`, deviceNode: `${own}/${BLOCK_DEVICE_NODE}` };
    return localPath === block.deviceNode ? { directory: own, block } : undefined;
  }
  return localPath === own ? { directory: own } : undefined;
}

/** The node a volume is pinned to by its `nodeAffinity` on kubernetes.io/hostname, if one. Pure. */
export function volumeNode(volume: VolumeObject): string | undefined {
  const affinity = volume.spec?.nodeAffinity as
    | {
        required?: {
          nodeSelectorTerms?: {
            matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
          }[];
        };
      }
    | undefined;
  const terms = affinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return undefined;
  const host = (terms[0]?.matchExpressions ?? []).find(
    (e) => e.key === HOSTNAME_LABEL && e.operator === 'In',
  );
  return host?.values?.length === 1 ? host.values[0] : undefined;
}

/** Whether a volume this node provisioned is to be deleted now (Released, policy Delete). Pure. */
export function volumeToDelete(
  volume: VolumeObject,
  root: string,
): { directory: string; block?: Omit<BlockLayout, 'sizeBytes'> } | undefined {
  if (volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') return undefined;
  if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') return undefined;
  return ownVolume(volume, root);
}

/**
 * A Block volume of ours that must have its loop device (every phase but the deleting ones: a
 * handler restarted after the node rebooted attaches it again). Pure.
 */
export function blockToAttach(
  volume: VolumeObject,
  root: string,
): Omit<BlockLayout, 'sizeBytes'> | undefined {
  if (volume.metadata?.deletionTimestamp) return undefined;
  if (volumeToDelete(volume, root)) return undefined;
  return ownVolume(volume, root)?.block;
}
