/**
 * How virtkit names a pod's network things (pure): the CNI container id, the network
 * namespace, and the checks that make pod values safe in CNI_ARGS and file names.
 *
 * Namespaces are `ip netns` names, `vk-<instance>-<pod>`: <instance> is 8 hex digits of a
 * hash of the handler's state directory, so several handlers on one machine (`virtkit up
 * --nodes N`) each list and collect only their own; <pod> is 12 hex digits of a hash of the
 * pod uid (a uid is not a safe file name until checked, and hashes keep names short).
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { PodIdentityError } from './errors';
import type { PodIdentity } from './types';

export const NETNS_PREFIX = 'vk-';
const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** Linux interface names: at most 15 bytes (IFNAMSIZ less the NUL). */
export const IFNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Throws PodIdentityError unless the pod's uid, namespace and name are usable as CNI sees them. */
export function checkPodIdentity(pod: PodIdentity): void {
  if (!ID_PATTERN.test(pod.uid) || pod.uid.length > 128)
    throw new PodIdentityError(
      'metadata.uid',
      pod.uid,
      'is not usable as a CNI container id (letters, digits, "_", "." and "-"); the API server assigns UUIDs',
    );
  for (const [field, value] of [
    ['metadata.namespace', pod.namespace],
    ['metadata.name', pod.name],
  ] as const)
    if (!DNS_SUBDOMAIN.test(value) || value.length > 253)
      throw new PodIdentityError(field, value, 'is not a DNS-1123 subdomain, as Kubernetes requires');
}

/** Throws PodIdentityError unless `ifName` is a Linux interface name. */
export function checkIfName(ifName: string): void {
  if (!IFNAME_PATTERN.test(ifName) || ifName === '.' || ifName === '..')
    throw new PodIdentityError(
      'ifName',
      ifName,
      'is not a Linux interface name (1-15 letters, digits, "_", "." or "-")',
    );
}

/** The CNI container id of a pod's sandbox: its uid (one sandbox per pod in virtkit). */
export function containerIdFor(pod: PodIdentity): string {
  return pod.uid;
}

/** 8 hex digits naming one handler instance by its state directory. */
export function instanceTag(stateDir: string): string {
  return sha256(`virtkit-handler:${path.resolve(stateDir)}`).slice(0, 8);
}

/** The `ip netns` name of a pod's namespace. */
export function netnsNameFor(tag: string, podUid: string): string {
  return `${NETNS_PREFIX}${tag}-${sha256(`virtkit-pod:${podUid}`).slice(0, 12)}`;
}

/** Whether `name` is a namespace this handler instance made. */
export function isOwnNetns(name: string, tag: string): boolean {
  return new RegExp(`^${NETNS_PREFIX}${tag}-[0-9a-f]{12}$`).test(name);
}
