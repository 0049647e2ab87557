/**
 * kubelet's device plugin API, version v1beta1, as a .proto text. It lives in a TypeScript
 * module rather than a `.proto` file so `tsc` ships it in dist/ with the code that loads it
 * (./device-plugin-api.ts parses it at load time); nothing else has to copy assets.
 *
 * Field names and numbers are the wire protocol kubelet speaks and must not change. Fields
 * virtkit never sets are still declared, so what kubelet sends is decoded whole.
 */
export const DEVICE_PLUGIN_PROTO = `
syntax = "proto3";

package v1beta1;

// Served by kubelet on <root-dir>/device-plugins/kubelet.sock.
service Registration {
  rpc Register(RegisterRequest) returns (Empty) {}
}

// Served by each plugin on its own socket in the same folder.
service DevicePlugin {
  rpc GetDevicePluginOptions(Empty) returns (DevicePluginOptions) {}
  rpc ListAndWatch(Empty) returns (stream ListAndWatchResponse) {}
  rpc GetPreferredAllocation(PreferredAllocationRequest) returns (PreferredAllocationResponse) {}
  rpc Allocate(AllocateRequest) returns (AllocateResponse) {}
  rpc PreStartContainer(PreStartContainerRequest) returns (PreStartContainerResponse) {}
}

message Empty {}

message DevicePluginOptions {
  bool pre_start_required = 1;
  bool get_preferred_allocation_available = 2;
}

message RegisterRequest {
  string version = 1;
  // The plugin's socket, relative to the device-plugins folder.
  string endpoint = 2;
  string resource_name = 3;
  DevicePluginOptions options = 4;
}

message ListAndWatchResponse {
  repeated Device devices = 1;
}

message NUMANode {
  int64 ID = 1;
}

message TopologyInfo {
  repeated NUMANode nodes = 1;
}

message Device {
  string ID = 1;
  // "Healthy" or "Unhealthy".
  string health = 2;
  TopologyInfo topology = 3;
}

message PreStartContainerRequest {
  repeated string devices_ids = 1;
}

message PreStartContainerResponse {}

message ContainerPreferredAllocationRequest {
  repeated string available_deviceIDs = 1;
  repeated string must_include_deviceIDs = 2;
  int32 allocation_size = 3;
}

message PreferredAllocationRequest {
  repeated ContainerPreferredAllocationRequest container_requests = 1;
}

message ContainerPreferredAllocationResponse {
  repeated string deviceIDs = 1;
}

message PreferredAllocationResponse {
  repeated ContainerPreferredAllocationResponse container_responses = 1;
}

message ContainerAllocateRequest {
  repeated string devices_ids = 1;
}

message AllocateRequest {
  repeated ContainerAllocateRequest container_requests = 1;
}

message Mount {
  string container_path = 1;
  string host_path = 2;
  bool read_only = 3;
}

message DeviceSpec {
  string container_path = 1;
  string host_path = 2;
  // cgroup device permissions: any of r, w, m.
  string permissions = 3;
}

message CDIDevice {
  string name = 1;
}

message ContainerAllocateResponse {
  map<string, string> envs = 1;
  repeated Mount mounts = 2;
  repeated DeviceSpec devices = 3;
  map<string, string> annotations = 4;
  repeated CDIDevice cdi_devices = 5;
}

message AllocateResponse {
  repeated ContainerAllocateResponse container_responses = 1;
}
`;
