/**
 * Pure: what a VMI's volumes need from the node before its launcher can start, and how a
 * bound claim becomes a disk path in local mode. I/O lives in resolve.ts.
 */
import { parseQuantity } from '../../api/quantity';
import { localImagePath } from '../../api/image-ref';

/** The parts of a VMI volume the handler looks at (the launcher handles everything else). */
export interface VolumeSource {
  readonly name: string;
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly dataVolume?: { readonly name: string };
  readonly containerDisk?: {
    readonly image: string;
    readonly imagePullPolicy?: string;
    readonly imagePullSecret?: string;
    /** The disk's path inside the image (default: the one file in /disk/). */
    readonly path?: string;
  };
  readonly cloudInitNoCloud?: CloudInitSource;
  readonly cloudInitConfigDrive?: CloudInitSource;
  readonly configMap?: { readonly name?: string; readonly optional?: boolean };
  readonly secret?: { readonly secretName?: string; readonly optional?: boolean };
  readonly sysprep?: {
    readonly configMap?: { readonly name?: string };
    readonly secret?: { readonly name?: string };
  };
}

/** spec.domain.firmware.kernelBoot.container: an image holding the kernel (and initrd) to boot. */
export interface KernelBootContainerSource {
  readonly image?: string;
  readonly imagePullPolicy?: string;
  readonly imagePullSecret?: string;
  readonly kernelPath?: string;
  readonly initrdPath?: string;
}

export interface CloudInitSource {
  readonly secretRef?: { readonly name?: string };
  readonly networkDataSecretRef?: { readonly name?: string };
}

export interface VolumeNeeds {
  /** Claims (PVC or DataVolume, whose claim has the DataVolume's name). */
  readonly claims: readonly { volume: string; claimName: string }[];
  /** Container disk images: the base image path when it is local, else the image reference. */
  readonly containerDisks: readonly {
    volume: string;
    image: string;
    localPath?: string;
    pullPolicy?: string;
    pullSecret?: string;
    /** containerDisk.path: the disk's path inside the image. */
    pathInImage?: string;
  }[];
  readonly cloudInitSecrets: readonly {
    volume: string;
    userDataSecret?: string;
    networkDataSecret?: string;
  }[];
  /** configMap / secret / sysprep volumes: files written into a directory for the launcher. */
  readonly fileVolumes: readonly {
    volume: string;
    /** Index in spec.volumes, for error messages. */
    index: number;
    kind: 'configMap' | 'secret';
    name: string;
    optional: boolean;
  }[];
}

export function volumeNeeds(volumes: readonly VolumeSource[] | undefined): VolumeNeeds {
  const needs = { claims: [], containerDisks: [], cloudInitSecrets: [], fileVolumes: [] } as {
    claims: VolumeNeeds['claims'][number][];
    containerDisks: VolumeNeeds['containerDisks'][number][];
    cloudInitSecrets: VolumeNeeds['cloudInitSecrets'][number][];
    fileVolumes: VolumeNeeds['fileVolumes'][number][];
  };
  for (const [index, v] of (volumes ?? []).entries()) {
    if (v.persistentVolumeClaim)
      needs.claims.push({ volume: v.name, claimName: v.persistentVolumeClaim.claimName });
    if (v.dataVolume) needs.claims.push({ volume: v.name, claimName: v.dataVolume.name });
    if (v.containerDisk) {
      const localPath = localImagePath(v.containerDisk.image);
      needs.containerDisks.push({
        volume: v.name,
        image: v.containerDisk.image,
        ...(localPath ? { localPath } : {}),
        ...(v.containerDisk.imagePullPolicy ? { pullPolicy: v.containerDisk.imagePullPolicy } : {}),
        ...(v.containerDisk.imagePullSecret ? { pullSecret: v.containerDisk.imagePullSecret } : {}),
        ...(v.containerDisk.path ? { pathInImage: v.containerDisk.path } : {}),
      });
    }
    const ci = v.cloudInitNoCloud ?? v.cloudInitConfigDrive;
    if (ci && (ci.secretRef?.name || ci.networkDataSecretRef?.name)) {
      needs.cloudInitSecrets.push({
        volume: v.name,
        ...(ci.secretRef?.name ? { userDataSecret: ci.secretRef.name } : {}),
        ...(ci.networkDataSecretRef?.name ? { networkDataSecret: ci.networkDataSecretRef.name } : {}),
      });
    }
    if (v.configMap?.name)
      needs.fileVolumes.push({
        volume: v.name,
        index,
        kind: 'configMap',
        name: v.configMap.name,
        optional: v.configMap.optional ?? false,
      });
    if (v.secret?.secretName)
      needs.fileVolumes.push({
        volume: v.name,
        index,
        kind: 'secret',
        name: v.secret.secretName,
        optional: v.secret.optional ?? false,
      });
    if (v.sysprep?.configMap?.name)
      needs.fileVolumes.push({
        volume: v.name,
        index,
        kind: 'configMap',
        name: v.sysprep.configMap.name,
        optional: false,
      });
    if (v.sysprep?.secret?.name)
      needs.fileVolumes.push({
        volume: v.name,
        index,
        kind: 'secret',
        name: v.sysprep.secret.name,
        optional: false,
      });
  }
  return needs;
}

/** A volume the node cannot provide yet or at all; the message names the object and the fix. */
export class VolumePrepareError extends Error {
  constructor(
    readonly volume: string,
    /** Short CamelCase reason for the pod's waiting state. */
    readonly reason: string,
    message: string,
    /** When to look again (ms); the work queue's back-off when unset. */
    readonly retryMs?: number,
  ) {
    super(`volume ${volume}: ${message}`);
    this.name = 'VolumePrepareError';
  }
}

export interface ClaimJson {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: {
    readonly volumeName?: string;
    readonly volumeMode?: string;
    readonly resources?: { readonly requests?: Record<string, string> };
  };
  readonly status?: { readonly phase?: string; readonly capacity?: Record<string, string> };
}

export interface PvJson {
  readonly metadata?: { readonly name?: string };
  readonly spec?: {
    readonly hostPath?: { readonly path: string };
    readonly local?: { readonly path: string };
    readonly volumeMode?: string;
    readonly capacity?: Record<string, string>;
  };
}

export interface ClaimDisk {
  /** disk.img inside a filesystem volume, or the block device. */
  readonly path: string;
  readonly block: boolean;
  /** Size for a disk.img that has to be created (the claim's request, else the PV's capacity). */
  readonly sizeBytes: number;
}

/** Where the disk of a bound claim is on this node. */
export function claimDisk(volume: string, claim: ClaimJson, pv: PvJson | undefined): ClaimDisk {
  const ref = `PersistentVolumeClaim ${claim.metadata?.namespace}/${claim.metadata?.name}`;
  if (!claim.spec?.volumeName || !pv) {
    throw new VolumePrepareError(
      volume,
      'ClaimNotBound',
      `${ref} is not bound to a PersistentVolume yet (status.phase ${claim.status?.phase ?? 'unknown'}); create a hostPath or local PersistentVolume that matches it`,
    );
  }
  const dir = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (!dir) {
    throw new VolumePrepareError(
      volume,
      'UnsupportedVolumeSource',
      `PersistentVolume ${pv.metadata?.name} of ${ref} is neither hostPath nor local; local mode can only use volumes on this node's filesystem`,
    );
  }
  const block = (claim.spec.volumeMode ?? pv.spec?.volumeMode) === 'Block';
  const size =
    parseQuantity(claim.spec.resources?.requests?.storage) ?? parseQuantity(pv.spec?.capacity?.storage) ?? 0;
  return { path: block ? dir : `${dir.replace(/\/+$/, '')}/disk.img`, block, sizeBytes: Math.floor(size) };
}

/** Secret data is base64; configMaps hold text in data and base64 in binaryData. */
export function filesOf(
  kind: 'configMap' | 'secret',
  obj: {
    data?: Record<string, string>;
    binaryData?: Record<string, string>;
    stringData?: Record<string, string>;
  },
): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  if (kind === 'secret') {
    for (const [k, v] of Object.entries(obj.data ?? {})) files[k] = Buffer.from(v, 'base64');
  } else {
    for (const [k, v] of Object.entries(obj.data ?? {})) files[k] = Buffer.from(v, 'utf8');
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) files[k] = Buffer.from(v, 'base64');
  }
  return files;
}

/** The user-data / network-data keys KubeVirt reads from a cloud-init secret. */
export function cloudInitValue(
  data: Record<string, string> | undefined,
  which: 'user' | 'network',
): string | undefined {
  const keys = which === 'user' ? ['userdata', 'userData'] : ['networkdata', 'networkData'];
  for (const k of keys) if (data?.[k] !== undefined) return Buffer.from(data[k], 'base64').toString('utf8');
  return undefined;
}
