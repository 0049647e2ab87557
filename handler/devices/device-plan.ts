/**
 * What the handler's device plugins advertise and hand out (pure): the three generic devices
 * KubeVirt's virt-handler advertises (`devices.kubevirt.io/kvm`, `tun`, `vhost-net`), each as a
 * fixed number of interchangeable device IDs all sharing one host device node, their health
 * from that node, and the Allocate answer that puts the node into a container. A launcher pod
 * asks for `devices.kubevirt.io/kvm: 1`; the count only caps how many such pods a node runs.
 */
import * as path from 'path';
import { confinedPath } from '../../api/host-path';
import {
  API_VERSION,
  DevicePluginError,
  HEALTHY,
  UNHEALTHY,
  type AllocateRequest,
  type AllocateResponse,
  type Device,
  type Health,
  type PreferredAllocationRequest,
  type PreferredAllocationResponse,
  type RegisterRequest,
} from './device-plugin-api';

/** The resource domain of KubeVirt's devices. */
export const DEVICE_NAMESPACE = 'devices.kubevirt.io';
/** How many IDs each generic device advertises (KubeVirt's default; nodes show `1k`). */
export const DEVICES_PER_RESOURCE = 1000;

/** One host device node shared by every pod that asks for it. */
export interface GenericDevice {
  /** The resource's name in DEVICE_NAMESPACE, and the prefix of its device IDs. */
  readonly name: string;
  /** The device node, at the same path on the host and in the container. */
  readonly path: string;
}

export const GENERIC_DEVICES: readonly GenericDevice[] = [
  { name: 'kvm', path: '/dev/kvm' },
  { name: 'tun', path: '/dev/net/tun' },
  { name: 'vhost-net', path: '/dev/vhost-net' },
];

/** A DNS label: what kubelet accepts after the resource's domain. */
const RESOURCE_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Unix socket paths have at most 107 bytes (sun_path is 108 with its NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Problems with a device's definition (name, path), or undefined. */
export function genericDeviceProblem(d: GenericDevice): string | undefined {
  if (!RESOURCE_LABEL.test(d.name))
    return `device name ${JSON.stringify(d.name)} is not a DNS label (lower-case letters, digits, '-')`;
  if (!path.isAbsolute(d.path) || path.normalize(d.path) !== d.path || d.path.includes('\0'))
    return `device ${d.name}: path ${JSON.stringify(d.path)} is not a normalized absolute path`;
  return undefined;
}

export const resourceName = (d: GenericDevice): string => `${DEVICE_NAMESPACE}/${d.name}`;

/** The plugin's socket file name in kubelet's device-plugins folder (KubeVirt's name). */
export const socketName = (d: GenericDevice): string => `kubevirt-${d.name}.sock`;

/**
 * The plugin's socket path in `deviceDir`: a plain file name joined to it, refused when the
 * path would leave the folder or not fit a Unix socket address.
 */
export function pluginSocketPath(deviceDir: string, d: GenericDevice): string {
  const socket = confinedPath(deviceDir, socketName(d), 'socket');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES)
    throw new DevicePluginError(
      socket,
      `the path has ${Buffer.byteLength(socket)} bytes, more than a Unix socket address holds (${MAX_SOCKET_PATH_BYTES})`,
      "give kubelet a shorter --root-dir (the plugin's socket must sit in its device-plugins folder)",
    );
  return socket;
}

/** What the plugin asks kubelet to register. */
export function registerRequest(d: GenericDevice): RegisterRequest {
  return {
    version: API_VERSION,
    endpoint: socketName(d),
    resource_name: resourceName(d),
    options: { pre_start_required: false, get_preferred_allocation_available: false },
  };
}

/** The device IDs of a generic device: `<name><i>`, i from 0. */
export function deviceIds(d: GenericDevice, count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 100_000)
    throw new RangeError(`device ${d.name}: count ${count} must be an integer from 1 to 100000`);
  return Array.from({ length: count }, (_, i) => `${d.name}${i}`);
}

/** The health of a generic device from what stat(2) says of its node (undefined: absent). */
export function healthOf(stat: { isCharacterDevice(): boolean } | undefined): Health {
  return stat?.isCharacterDevice() ? HEALTHY : UNHEALTHY;
}

/** The ListAndWatch list: every ID with the shared node's health. */
export function deviceList(ids: readonly string[], health: Health): Device[] {
  return ids.map((ID) => ({ ID, health }));
}

/** A request kubelet should not have made; becomes an INVALID_ARGUMENT or FAILED_PRECONDITION answer. */
export class AllocationError extends Error {
  constructor(
    message: string,
    /** Whether the node's state (not the request) is at fault. */
    readonly precondition = false,
  ) {
    super(message);
    this.name = 'AllocationError';
  }
}

/**
 * The Allocate answer: one response per container request, each giving the container the
 * device node read-write at its host path (whatever the number of IDs, the node is one).
 * Refuses unknown IDs, an empty request, and a device node that is absent right now.
 */
export function allocation(
  d: GenericDevice,
  known: ReadonlySet<string>,
  request: AllocateRequest,
  health: Health,
): AllocateResponse {
  const requests = request.container_requests ?? [];
  if (requests.length === 0) throw new AllocationError(`${resourceName(d)}: Allocate names no container`);
  const unknown = requests.flatMap((r) => r.devices_ids ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw new AllocationError(
      `${resourceName(d)}: unknown device IDs ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
    );
  if (health !== HEALTHY)
    throw new AllocationError(`${resourceName(d)}: ${d.path} is absent on this node`, true);
  return {
    container_responses: requests.map((r) => {
      if ((r.devices_ids ?? []).length === 0)
        throw new AllocationError(`${resourceName(d)}: a container request names no device`);
      return {
        envs: {},
        mounts: [],
        annotations: {},
        devices: [{ container_path: d.path, host_path: d.path, permissions: 'rw' }],
      };
    }),
  };
}

/**
 * A preferred allocation (kubelet asks only when the options say so; answered anyway): the
 * must-include IDs, then available ones in order, up to the size.
 */
export function preferredAllocation(request: PreferredAllocationRequest): PreferredAllocationResponse {
  return {
    container_responses: (request.container_requests ?? []).map((r) => {
      const chosen = [...new Set([...(r.must_include_deviceIDs ?? []), ...(r.available_deviceIDs ?? [])])];
      return {
        deviceIDs: chosen.slice(0, Math.max(r.allocation_size ?? 0, (r.must_include_deviceIDs ?? []).length)),
      };
    }),
  };
}
