import { HostPathError } from '../../api/host-path';
import { DevicePluginError, HEALTHY, UNHEALTHY } from './device-plugin-api';
import {
  allocation,
  AllocationError,
  deviceIds,
  deviceList,
  DEVICES_PER_RESOURCE,
  GENERIC_DEVICES,
  genericDeviceProblem,
  healthOf,
  pluginSocketPath,
  preferredAllocation,
  registerRequest,
  resourceName,
  socketName,
} from './device-plan';

const kvm = GENERIC_DEVICES.find((d) => d.name === 'kvm')!;
const tun = GENERIC_DEVICES.find((d) => d.name === 'tun')!;

test('the three generic devices of KubeVirt, 1000 IDs each', () => {
  expect(GENERIC_DEVICES.map((d) => [resourceName(d), d.path])).toEqual([
    ['devices.kubevirt.io/kvm', '/dev/kvm'],
    ['devices.kubevirt.io/tun', '/dev/net/tun'],
    ['devices.kubevirt.io/vhost-net', '/dev/vhost-net'],
  ]);
  for (const d of GENERIC_DEVICES) expect(genericDeviceProblem(d)).toBeUndefined();
  const ids = deviceIds(kvm, DEVICES_PER_RESOURCE);
  expect(ids).toHaveLength(1000);
  expect(new Set(ids).size).toBe(1000);
  expect(ids[0]).toBe('kvm0');
  expect(ids[999]).toBe('kvm999');
  expect(() => deviceIds(kvm, 0)).toThrow(/count 0/);
  expect(() => deviceIds(kvm, 1.5)).toThrow(RangeError);
});

test('registration names the API version, the socket file and the resource', () => {
  expect(socketName(tun)).toBe('kubevirt-tun.sock');
  expect(registerRequest(tun)).toEqual({
    version: 'v1beta1',
    endpoint: 'kubevirt-tun.sock',
    resource_name: 'devices.kubevirt.io/tun',
    options: { pre_start_required: false, get_preferred_allocation_available: false },
  });
});

test('bad device definitions are named', () => {
  expect(genericDeviceProblem({ name: 'KVM', path: '/dev/kvm' })).toMatch(/not a DNS label/);
  expect(genericDeviceProblem({ name: 'kvm', path: 'dev/kvm' })).toMatch(/absolute/);
  expect(genericDeviceProblem({ name: 'kvm', path: '/dev/../etc/kvm' })).toMatch(/normalized/);
  expect(genericDeviceProblem({ name: 'a/b', path: '/dev/kvm' })).toMatch(/DNS label/);
});

test('the socket path stays in the folder and fits a Unix socket address', () => {
  expect(pluginSocketPath('/var/lib/kubelet/device-plugins', kvm)).toBe(
    '/var/lib/kubelet/device-plugins/kubevirt-kvm.sock',
  );
  const long = `/${'x'.repeat(100)}`;
  expect(() => pluginSocketPath(long, kvm)).toThrow(DevicePluginError);
  expect(() => pluginSocketPath(long, kvm)).toThrow(
    /more than a Unix socket address holds.*shorter --root-dir/,
  );
  // A name that would leave the folder never becomes a path.
  expect(() =>
    pluginSocketPath('/var/lib/kubelet/device-plugins', { name: 'a/../../x', path: '/dev/kvm' }),
  ).toThrow(HostPathError);
});

test('health follows the device node: a character device is Healthy, anything else Unhealthy', () => {
  expect(healthOf({ isCharacterDevice: () => true })).toBe(HEALTHY);
  expect(healthOf({ isCharacterDevice: () => false })).toBe(UNHEALTHY);
  expect(healthOf(undefined)).toBe(UNHEALTHY);
  expect(deviceList(['tun0', 'tun1'], UNHEALTHY)).toEqual([
    { ID: 'tun0', health: 'Unhealthy' },
    { ID: 'tun1', health: 'Unhealthy' },
  ]);
});

test('Allocate gives each container the device node read-write at the same path', () => {
  const known = new Set(deviceIds(tun, 10));
  const got = allocation(
    tun,
    known,
    { container_requests: [{ devices_ids: ['tun3'] }, { devices_ids: ['tun4', 'tun5'] }] },
    HEALTHY,
  );
  const one = {
    envs: {},
    mounts: [],
    annotations: {},
    devices: [{ container_path: '/dev/net/tun', host_path: '/dev/net/tun', permissions: 'rw' }],
  };
  expect(got).toEqual({ container_responses: [one, one] });
});

test('Allocate refuses unknown IDs, empty requests and an absent node, saying which', () => {
  const known = new Set(deviceIds(kvm, 3));
  expect(() =>
    allocation(kvm, known, { container_requests: [{ devices_ids: ['kvm9', 'tun0'] }] }, HEALTHY),
  ).toThrow('devices.kubevirt.io/kvm: unknown device IDs kvm9, tun0');
  expect(() => allocation(kvm, known, { container_requests: [] }, HEALTHY)).toThrow(/names no container/);
  expect(() => allocation(kvm, known, { container_requests: [{ devices_ids: [] }] }, HEALTHY)).toThrow(
    /names no device/,
  );
  let err: unknown;
  try {
    allocation(kvm, known, { container_requests: [{ devices_ids: ['kvm0'] }] }, UNHEALTHY);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AllocationError);
  expect((err as AllocationError).precondition).toBe(true);
  expect((err as Error).message).toBe('devices.kubevirt.io/kvm: /dev/kvm is absent on this node');
});

test('a preferred allocation takes the must-include IDs first, then available ones', () => {
  expect(
    preferredAllocation({
      container_requests: [
        {
          available_deviceIDs: ['kvm1', 'kvm2', 'kvm3'],
          must_include_deviceIDs: ['kvm3'],
          allocation_size: 2,
        },
        { available_deviceIDs: ['kvm5'], must_include_deviceIDs: [], allocation_size: 1 },
      ],
    }),
  ).toEqual({ container_responses: [{ deviceIDs: ['kvm3', 'kvm1'] }, { deviceIDs: ['kvm5'] }] });
});
