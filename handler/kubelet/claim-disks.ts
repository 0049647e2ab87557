/**
 * Claims on a kubelet node (I/O): kubelet mounts a launcher pod's PersistentVolumeClaims into
 * the compute container at `<DISKS_DIR>/<volume>` (the controller's pod says so); the handler
 * makes each one usable by the launcher, which runs as the image's user (qemu, 107) and cannot
 * change a volume it did not make:
 *
 *   - the claim must be bound to a Filesystem volume of this node's local volumes (the
 *     handler's own provisioner made it under `<stateDir>/volumes`, or a local/hostPath
 *     PersistentVolume an administrator put there): anything else is refused by name, as
 *     cluster mode does not reach other storage from the node yet;
 *   - the volume's directory is given to the launcher's uid (0750), its `disk.img` (KubeVirt's
 *     file name) is made sparse at the claim's size when missing and given to the launcher
 *     (0660); both are opened without following links and changed on the open descriptor, and a
 *     disk.img that is not a regular file with one link is refused, so nothing in the volume
 *     makes the handler touch a file outside it.
 *
 * It answers the launcher's `volumes` resource: the disk as the container sees it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DISKS_DIR } from '../../api/kubevirt/v1/launcher-pod-layout';
import { HostPathError } from '../../api/host-path';
import { confinedRealPath } from '../../common/confine';
import type { KubeClient } from '../../kube';
import { VolumePrepareError } from '../volumes/plan';
import { boundClaimDisk } from '../volumes/resolve';
import { giveDirectory } from '../storage/owned-directory';
import type { FileOwner } from './pod-files';
import { CONTAINER_DISK_FILE } from './handoff-plan';

/** A claim volume of a VMI on a kubelet node. */
export interface ClaimVolume {
  readonly volume: string;
  readonly claimName: string;
}

/** The disk's mode: the launcher's, its group too; nobody else (the directory: ../storage/owned-directory.ts). */
const DISK_MODE = 0o660;

/**
 * Gives each claim's volume and disk.img to the launcher (`owner`); answers the disks as the
 * launcher's container sees them. `volumeRoot` is where this node's local volumes live.
 */
export async function prepareClaimDisks(
  client: KubeClient,
  namespace: string,
  claims: readonly ClaimVolume[],
  volumeRoot: string,
  owner: FileOwner,
): Promise<Record<string, { path: string; format: 'raw' }>> {
  const out: Record<string, { path: string; format: 'raw' }> = {};
  for (const c of claims) {
    const { pv, disk } = await boundClaimDisk(client, namespace, c);
    const ref = `PersistentVolume ${pv?.metadata?.name ?? ''} of PersistentVolumeClaim ${namespace}/${c.claimName}`;
    if (disk.block)
      throw new VolumePrepareError(
        c.volume,
        'UnsupportedVolumeMode',
        `${ref} is a Block volume, which virtkit does not run on kubelet nodes yet (issue 17); use volumeMode Filesystem`,
      );
    const dir = path.dirname(disk.path);
    const local = localVolumeDir(dir, volumeRoot);
    if (!local)
      throw new VolumePrepareError(
        c.volume,
        'UnsupportedVolumeSource',
        `${ref} is at ${dir}, outside this node's local volumes (${volumeRoot}); on kubelet nodes virtkit runs claims of the local StorageClass (or local PersistentVolumes under ${volumeRoot}) for now (issue 17)`,
      );
    ownDirectory(local, owner, c.volume);
    ownDisk(path.join(local, CONTAINER_DISK_FILE), disk.sizeBytes, owner, c.volume);
    out[c.volume] = { path: path.posix.join(DISKS_DIR, c.volume, CONTAINER_DISK_FILE), format: 'raw' };
  }
  return out;
}

/** `dir` when it is inside `root` (symlinks resolved), else undefined. */
function localVolumeDir(dir: string, root: string): string | undefined {
  const relative = path.relative(root, dir);
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  try {
    return confinedRealPath(root, relative, 'spec.local.path');
  } catch (e) {
    if (e instanceof HostPathError) return undefined;
    throw e;
  }
}

function ownDirectory(dir: string, owner: FileOwner, volume: string): void {
  try {
    giveDirectory(dir, owner);
  } catch (e) {
    throw new VolumePrepareError(
      volume,
      'VolumePathMissing',
      `the volume's directory ${dir} cannot be given to the launcher on this node (${(e as NodeJS.ErrnoException).code}); it must be a directory, not a link`,
    );
  }
}

function ownDisk(file: string, sizeBytes: number, owner: FileOwner, volume: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new VolumePrepareError(
        volume,
        'InvalidDiskImage',
        `${file} cannot be opened (${(e as NodeJS.ErrnoException).code}); a volume's disk.img must be a regular file, not a link`,
      );
    if (sizeBytes <= 0)
      throw new VolumePrepareError(
        volume,
        'ClaimSizeUnknown',
        `${file} is missing and the claim requests no storage size; set spec.resources.requests.storage`,
      );
    // O_EXCL: a new sparse file, never through something that appeared meanwhile.
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    fs.ftruncateSync(fd, sizeBytes);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.nlink !== 1)
      throw new VolumePrepareError(
        volume,
        'InvalidDiskImage',
        `${file} is not a regular file with one link (a hard link could be another file's); remove it, or put the disk image there as a plain file`,
      );
    fs.fchownSync(fd, owner.uid, owner.gid);
    fs.fchmodSync(fd, DISK_MODE);
  } finally {
    fs.closeSync(fd);
  }
}
