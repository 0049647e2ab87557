/**
 * virtkit's node-local storage, as every part names it: the provisioner of its volumes (also
 * the `driver` of its VolumeSnapshotClasses and VolumeSnapshotContents), the classes local mode
 * creates, the annotation that records which node holds a snapshot's data, and the
 * `snapshotHandle` format (`<node>/<directory>`). The controller (which never imports the
 * handler) and the handler's provisioner and snapshotter read these from here. Pure.
 */
import { dns1123SubdomainProblems } from '../validation/dns-names';

/** The provisioner of virtkit's node-local volumes, and the driver of their snapshots. */
export const LOCAL_VOLUME_DRIVER = 'virtkit.io/local-volume';
/** The StorageClass `virtkit up` creates (the default class in local mode). */
export const LOCAL_STORAGE_CLASS = 'local';
/** The VolumeSnapshotClass `virtkit up` creates beside it (the default class for the driver). */
export const LOCAL_SNAPSHOT_CLASS = 'local-snapshots';
/**
 * On a VolumeSnapshotContent of the local driver: the node whose handler holds (or is writing)
 * the snapshot's data. Written by that node before it copies anything, so a deleted content
 * always has an owner to remove its data, and a restore knows where it can run.
 */
export const SNAPSHOT_NODE_ANNOTATION = 'virtkit.io/snapshot-node';
/** The directory under a node's volume root that holds its snapshots. */
export const SNAPSHOTS_DIRECTORY = 'snapshots';

/** `<node>/<directory>`: where a local snapshot lives, as status.snapshotHandle says it. Pure. */
export function localSnapshotHandle(node: string, directory: string): string {
  return `${node}/${directory}`;
}

/**
 * The node and directory a local snapshotHandle names, or why it names none (the message says
 * what a handle looks like). Both parts must be DNS subdomains: the directory becomes a path
 * on the node, the node a node name. Pure.
 */
export function parseLocalSnapshotHandle(
  handle: string,
): { readonly node: string; readonly directory: string } | { readonly problem: string } {
  const parts = handle.split('/');
  const example = 'node-a/snapcontent-0b3c0a6e-8a44-4b0c-9d6a-6f1a3c2b1d00';
  if (parts.length !== 2) return { problem: `is not <node>/<directory> (for example ${example})` };
  const [node, directory] = parts as [string, string];
  for (const [what, value] of [
    ['node', node],
    ['directory', directory],
  ] as const) {
    const problems = dns1123SubdomainProblems(value);
    if (problems.length)
      return {
        problem: `has a ${what} part that is not a DNS subdomain (${problems.join('; ')}); write it as ${example}`,
      };
  }
  return { node, directory };
}
