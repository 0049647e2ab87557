/**
 * I/O side of volume preparation: reads claims, volumes, secrets and config maps from the API,
 * creates a missing sparse disk.img in a filesystem volume, writes configMap/secret files, and
 * returns the LaunchResources the launcher takes with --resources.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LaunchResources } from '../../launcher/session';
import {
  claimDisk,
  cloudInitValue,
  filesOf,
  VolumePrepareError,
  volumeNeeds,
  type ClaimDisk,
  type ClaimJson,
  type KernelBootContainerSource,
  type PvJson,
  type VolumeSource,
} from './plan';
import { CONFIG_MAPS, PVCS, PVS, SECRETS, type KubeClient } from '../../kube';
import { HostPathError } from '../../api/host-path';
import { confinedRealPath } from '../../common/confine';
import { fileVolumeProblems, volumeNameProblems } from './names';
import { ImagePullError, type ImagePuller, type PullRequest } from '../images/puller';
import { credentialsFromSecret } from '../images/policy';
import { parseImageReference } from '../../common/oci/reference';
import { localImagePath } from '../../api/image-ref';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Creates `file` as a sparse file of `sizeBytes` unless it exists (the data of a claim is never touched). */
export function ensureSparseDisk(file: string, sizeBytes: number, volume: string): void {
  if (fs.existsSync(file)) return;
  if (!fs.existsSync(path.dirname(file))) {
    throw new VolumePrepareError(
      volume,
      'VolumePathMissing',
      `the PersistentVolume directory ${path.dirname(file)} does not exist on this node; create it or fix the PersistentVolume's path`,
    );
  }
  if (sizeBytes <= 0) {
    throw new VolumePrepareError(
      volume,
      'ClaimSizeUnknown',
      `${file} is missing and the claim requests no storage size; set spec.resources.requests.storage`,
    );
  }
  const fd = fs.openSync(file, 'wx');
  try {
    fs.ftruncateSync(fd, sizeBytes);
  } finally {
    fs.closeSync(fd);
  }
}

/** confinedRealPath, with a refusal reported as the volume's waiting reason. */
function confined(base: string, relative: string, field: string, volume: string): string {
  try {
    fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    return confinedRealPath(base, relative, field);
  } catch (e) {
    if (e instanceof HostPathError) throw new VolumePrepareError(volume, 'InvalidVolumeName', e.message);
    throw e;
  }
}

/** The claim of a volume, its PersistentVolume, and where its disk is (both runtimes). */
export async function boundClaimDisk(
  client: KubeClient,
  namespace: string,
  c: { readonly volume: string; readonly claimName: string },
): Promise<{ claim: ClaimJson; pv: PvJson | undefined; disk: ClaimDisk }> {
  const claim = await client.getIfExists<ClaimJson>(PVCS, namespace, c.claimName);
  if (!claim)
    throw new VolumePrepareError(
      c.volume,
      'ClaimNotFound',
      `PersistentVolumeClaim ${namespace}/${c.claimName} does not exist; create it`,
    );
  const pv = claim.spec?.volumeName
    ? await client.getIfExists<PvJson>(PVS, undefined, claim.spec.volumeName)
    : undefined;
  return { claim, pv, disk: claimDisk(c.volume, claim, pv) };
}

export async function resolveLaunchResources(
  client: KubeClient,
  namespace: string,
  volumes: readonly VolumeSource[] | undefined,
  podDir: string,
  /** Where registry images are pulled to (container disks that are not local files). */
  images?: ImagePuller,
  /** spec.domain.firmware.kernelBoot.container: its kernel and initrd are pulled too. */
  kernelBoot?: KernelBootContainerSource,
): Promise<LaunchResources> {
  // Names first, all of them, before any I/O: they become paths on this node.
  const badNames = volumeNameProblems(volumes);
  if (badNames.length)
    throw new VolumePrepareError(
      '(names)',
      'InvalidVolumeName',
      `${badNames.join('; ')}; volume names must be DNS labels such as my-disk`,
    );
  const needs = volumeNeeds(volumes);
  const out: Mutable<LaunchResources> = {};

  const provided: Record<string, { path: string; format: 'raw' }> = {};
  for (const c of needs.claims) {
    const { claim, disk } = await boundClaimDisk(client, namespace, c);
    if (!disk.block) ensureSparseDisk(disk.path, disk.sizeBytes, c.volume);
    else if (!fs.existsSync(disk.path))
      throw new VolumePrepareError(
        c.volume,
        'BlockDeviceMissing',
        `block device ${disk.path} of PersistentVolume ${claim.spec?.volumeName} does not exist on this node`,
      );
    provided[c.volume] = { path: disk.path, format: 'raw' };
  }
  if (Object.keys(provided).length) out.volumes = provided;

  const containerDisks: Record<string, string> = {};
  for (const d of needs.containerDisks) {
    if (!d.localPath) {
      const req = await pullRequest(client, namespace, d.volume, images, d.image, d.pullPolicy, d.pullSecret);
      const where = d.pathInImage;
      containerDisks[d.volume] = await pulling(d.volume, async () =>
        where ? (await images!.pullFiles(req, [where])).files[where] : (await images!.pull(req)).path,
      );
      continue;
    }
    if (!fs.existsSync(d.localPath))
      throw new VolumePrepareError(
        d.volume,
        'ErrImagePull',
        `containerDisk image ${d.image}: ${d.localPath} does not exist on this node`,
      );
    containerDisks[d.volume] = d.localPath;
  }
  // A registry kernelBoot image: its kernel and initrd, at their paths under one root (without
  // kernelPath and initrdPath nothing is taken; the launcher says what is missing).
  const kb = kernelBoot?.image && !localImagePath(kernelBoot.image) ? kernelBoot : undefined;
  const inImage = [kb?.kernelPath, kb?.initrdPath].filter((p): p is string => !!p);
  if (kb?.image && inImage.length) {
    const req = await pullRequest(
      client,
      namespace,
      'kernelBoot',
      images,
      kb.image,
      kb.imagePullPolicy,
      kb.imagePullSecret,
    );
    containerDisks.kernelBoot = await pulling(
      'kernelBoot',
      async () => (await images!.pullFiles(req, inImage)).root,
    );
  }
  if (Object.keys(containerDisks).length) out.containerDisks = containerDisks;

  const secrets: Record<string, { userData?: string; networkData?: string }> = {};
  for (const s of needs.cloudInitSecrets) {
    const entry: { userData?: string; networkData?: string } = {};
    for (const [which, name] of [
      ['user', s.userDataSecret],
      ['network', s.networkDataSecret],
    ] as const) {
      if (!name) continue;
      const secret = await client.getIfExists<{ data?: Record<string, string> }>(SECRETS, namespace, name);
      if (!secret)
        throw new VolumePrepareError(
          s.volume,
          'SecretNotFound',
          `Secret ${namespace}/${name} (cloud-init ${which} data) does not exist; create it`,
        );
      const value = cloudInitValue(secret.data, which);
      if (value === undefined)
        throw new VolumePrepareError(
          s.volume,
          'SecretKeyMissing',
          `Secret ${namespace}/${name} has no ${which}data key; add ${which}data (or ${which}Data)`,
        );
      if (which === 'user') entry.userData = value;
      else entry.networkData = value;
    }
    secrets[s.volume] = entry;
  }
  if (Object.keys(secrets).length) out.cloudInitSecrets = secrets;

  const dirs: Record<string, string> = {};
  for (const f of needs.fileVolumes) {
    const rt = f.kind === 'secret' ? SECRETS : CONFIG_MAPS;
    const obj = await client.getIfExists<Parameters<typeof filesOf>[1]>(rt, namespace, f.name);
    if (!obj && !f.optional)
      throw new VolumePrepareError(
        f.volume,
        f.kind === 'secret' ? 'SecretNotFound' : 'ConfigMapNotFound',
        `${f.kind === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace}/${f.name} does not exist; create it or mark the volume optional`,
      );
    const files = obj ? filesOf(f.kind, obj) : {};
    // Every name is checked before anything on disk is touched: the volume name becomes a
    // directory that is removed and rewritten, the keys become file names in it.
    const refused = fileVolumeProblems(f, namespace, Object.keys(files));
    if (refused.length) throw new VolumePrepareError(f.volume, 'InvalidVolumeName', refused.join('; '));
    const dir = confined(path.join(podDir, 'volumes'), f.volume, `spec.volumes[${f.index}].name`, f.volume);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [name, content] of Object.entries(files)) {
      const file = confined(
        dir,
        name,
        `${f.kind === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace}/${f.name} key`,
        f.volume,
      );
      // 'wx': never write through a file (or link) that is already there.
      fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
    }
    dirs[f.volume] = dir;
  }
  if (Object.keys(dirs).length) out.volumeDirs = dirs;
  return out;
}

/** A failed pull as the volume's waiting reason (ErrImagePull, ImagePullBackOff...), with its back-off. */
async function pulling<T>(volume: string, pull: () => Promise<T>): Promise<T> {
  try {
    return await pull();
  } catch (e) {
    if (e instanceof ImagePullError) throw new VolumePrepareError(volume, e.reason, e.message, e.retryMs);
    throw e;
  }
}

/**
 * The pull of a registry image, with the credentials of its imagePullSecret for the image's
 * registry (read with the handler's `get secrets`, kept in memory only).
 */
async function pullRequest(
  client: KubeClient,
  namespace: string,
  volume: string,
  images: ImagePuller | undefined,
  image: string,
  policy: string | undefined,
  secretName: string | undefined,
): Promise<PullRequest> {
  if (!images)
    throw new VolumePrepareError(
      volume,
      'ErrImagePull',
      `image ${image}: this handler has no image cache to pull registry images into`,
    );
  const req = { image, ...(policy ? { policy } : {}) };
  if (!secretName) return req;
  const secret = await client.getIfExists<{ data?: Record<string, string> }>(SECRETS, namespace, secretName);
  if (!secret)
    throw new VolumePrepareError(
      volume,
      'ErrImagePull',
      `Secret ${namespace}/${secretName} (the imagePullSecret of image ${image}) does not exist; create it (kubectl create secret docker-registry) or remove imagePullSecret`,
    );
  try {
    const credentials = credentialsFromSecret(secret.data, parseImageReference(image).registry);
    return { ...req, ...(credentials ? { credentials } : {}) };
  } catch (e) {
    throw new VolumePrepareError(
      volume,
      'ErrImagePull',
      `Secret ${namespace}/${secretName}: ${(e as Error).message}`,
    );
  }
}
