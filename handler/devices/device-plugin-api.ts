/**
 * kubelet's device plugin API (v1beta1) for grpc-js: the message shapes as TypeScript types
 * (field names as on the wire, `keepCase`), the two services loaded once from
 * ./device-plugin-proto.ts, the Register call a plugin makes to kubelet, and the typed error
 * every part of ./ throws.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { DEVICE_PLUGIN_PROTO } from './device-plugin-proto';

/** The API version a plugin registers with; kubelet refuses one it does not serve. */
export const API_VERSION = 'v1beta1';
/** kubelet's Registration socket, inside its device-plugins folder. */
export const KUBELET_SOCKET = 'kubelet.sock';
/** kubelet's device-plugins folder under its default root directory. */
export const DEFAULT_DEVICE_PLUGIN_DIR = '/var/lib/kubelet/device-plugins';

export const HEALTHY = 'Healthy';
export const UNHEALTHY = 'Unhealthy';
export type Health = typeof HEALTHY | typeof UNHEALTHY;

export interface DevicePluginOptions {
  pre_start_required: boolean;
  get_preferred_allocation_available: boolean;
}
export interface RegisterRequest {
  version: string;
  endpoint: string;
  resource_name: string;
  options?: DevicePluginOptions;
}
export interface Device {
  ID: string;
  health: string;
}
export interface ListAndWatchResponse {
  devices: Device[];
}
export interface ContainerAllocateRequest {
  devices_ids: string[];
}
export interface AllocateRequest {
  container_requests: ContainerAllocateRequest[];
}
export interface DeviceSpec {
  container_path: string;
  host_path: string;
  permissions: string;
}
export interface Mount {
  container_path: string;
  host_path: string;
  read_only: boolean;
}
export interface ContainerAllocateResponse {
  envs: Record<string, string>;
  mounts: Mount[];
  devices: DeviceSpec[];
  annotations: Record<string, string>;
}
export interface AllocateResponse {
  container_responses: ContainerAllocateResponse[];
}
export interface ContainerPreferredAllocationRequest {
  available_deviceIDs: string[];
  must_include_deviceIDs: string[];
  allocation_size: number;
}
export interface PreferredAllocationRequest {
  container_requests: ContainerPreferredAllocationRequest[];
}
export interface PreferredAllocationResponse {
  container_responses: { deviceIDs: string[] }[];
}
export interface PreStartContainerRequest {
  devices_ids: string[];
}
export type Empty = Record<string, never>;

/** A failure of a device plugin, naming the socket it concerns and what to do about it. */
export class DevicePluginError extends Error {
  constructor(
    readonly socket: string,
    problem: string,
    readonly fix: string,
  ) {
    super(`device plugin socket ${socket}: ${problem}; ${fix}`);
    this.name = 'DevicePluginError';
  }
}

export interface DevicePluginApi {
  /** The service a plugin serves (kubelet is its client). */
  readonly DevicePlugin: grpc.ServiceClientConstructor;
  /** The service kubelet serves on kubelet.sock (a plugin is its client). */
  readonly Registration: grpc.ServiceClientConstructor;
}

let loaded: DevicePluginApi | undefined;

/** The two services, parsed from the embedded .proto on first use. */
export function devicePluginApi(): DevicePluginApi {
  if (!loaded) {
    const root = protobuf.parse(DEVICE_PLUGIN_PROTO, { keepCase: true }).root;
    const definition = protoLoader.fromJSON(root.toJSON(), {
      keepCase: true,
      longs: String,
      enums: String,
      // Absent fields decode as their zero values, so handlers see complete messages.
      defaults: true,
      arrays: true,
      objects: true,
    });
    const pkg = grpc.loadPackageDefinition(definition)[API_VERSION] as grpc.GrpcObject;
    loaded = {
      DevicePlugin: pkg.DevicePlugin as grpc.ServiceClientConstructor,
      Registration: pkg.Registration as grpc.ServiceClientConstructor,
    };
  }
  return loaded;
}

/** grpc-js's address of a Unix socket at an absolute path. */
export const unixAddress = (socket: string): string => `unix://${socket}`;

type RegisterCall = (
  req: RegisterRequest,
  options: grpc.CallOptions,
  done: (err: grpc.ServiceError | null) => void,
) => void;

/**
 * Registers a plugin with the kubelet serving `kubeletSocket`. Rejects with a
 * DevicePluginError naming that socket when kubelet does not answer in time or refuses.
 */
export function register(kubeletSocket: string, req: RegisterRequest, timeoutMs: number): Promise<void> {
  const { Registration } = devicePluginApi();
  const client = new Registration(unixAddress(kubeletSocket), grpc.credentials.createInsecure());
  const call = (client as unknown as { Register: RegisterCall }).Register.bind(client);
  return new Promise<void>((resolve, reject) => {
    call(req, { deadline: Date.now() + timeoutMs }, (err) => {
      client.close();
      if (!err) return resolve();
      const refused = err.code !== grpc.status.UNAVAILABLE && err.code !== grpc.status.DEADLINE_EXCEEDED;
      reject(
        new DevicePluginError(
          kubeletSocket,
          `registering ${req.resource_name} (endpoint ${req.endpoint}) failed: ${err.details || err.message}`,
          refused
            ? 'kubelet refused it: check its log for the reason (another plugin holds the resource name, or the API version is not served)'
            : 'check that kubelet runs on this node and that its --root-dir matches the device-plugins folder given to the handler',
        ),
      );
    });
  });
}
