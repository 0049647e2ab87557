import {
  claimVolumes,
  clusterModeProblems,
  containerDiskCopies,
  containerLaunchResources,
  handlerResolvedVolumes,
  kubeletPodFolders,
  podReadiness,
} from './handoff-plan';
import type { VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';

const UID = '0b4c8a52-1f9e-4d7a-9b7e-3a1c2d3e4f50';
const base = `/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~empty-dir`;

function spec(extra: Partial<VirtualMachineInstanceSpec> = {}): VirtualMachineInstanceSpec {
  return {
    domain: { devices: { autoattachPodInterface: false, disks: [] } },
    volumes: [
      { name: 'rootdisk', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
      { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
      { name: 'cfg', configMap: { name: 'app' } },
      { name: 'creds', secret: { secretName: 'app' } },
    ],
    ...extra,
  } as VirtualMachineInstanceSpec;
}

test("the pod's shared folders are kubelet's emptyDirs of the launcher pod", () => {
  const f = kubeletPodFolders('/var/lib/kubelet/pods', UID);
  expect(f.socketDir).toBe(`${base}/sockets`);
  expect(f.waiting).toBe(`${base}/sockets/waiting`);
  expect(f.resourcesFile).toBe(`${base}/sockets/resources.json`);
  expect(f.socket).toBe(`${base}/sockets/launcher.sock`);
  expect(f.networkRequest).toBe(`${base}/sockets/network-request.json`);
  expect(f.networkDone).toBe(`${base}/sockets/network-done.json`);
  expect(f.qemuDir).toBe(`${base}/private/qemu`);
  expect(f.finalStatusFile).toBe(`${base}/private/final-status.json`);
  expect(f.emptyDir('rootdisk')).toBe(`${base}/rootdisk`);
});

test('a pod uid or volume name that would leave the pod folder is refused', () => {
  expect(() => kubeletPodFolders('/var/lib/kubelet/pods', '../../etc')).toThrow(
    'pod uid "../../etc" is not a UUID',
  );
  const f = kubeletPodFolders('/var/lib/kubelet/pods', UID);
  expect(() => f.emptyDir('../sockets')).toThrow('volume name "../sockets" is not a DNS label');
});

test('a VM of containerDisks, cloud-init, ConfigMaps and Secrets without interfaces runs in cluster mode', () => {
  expect(clusterModeProblems(spec())).toEqual([]);
});

test('what cluster mode does not run yet is named field by field, with the way out (claims and DataVolumes it runs)', () => {
  const s = spec({
    volumes: [
      { name: 'root', persistentVolumeClaim: { claimName: 'root' } },
      { name: 'dv', dataVolume: { name: 'dv' } },
      { name: 'host', hostDisk: { path: '/d/disk.img', type: 'Disk' } },
      { name: 'unattend', sysprep: { configMap: { name: 'unattend' } } },
    ],
    networks: [
      { name: 'default', pod: {} },
      { name: 'extra', multus: { networkName: 'extra' } },
    ],
  } as Partial<VirtualMachineInstanceSpec>);
  s.domain.devices.interfaces = [
    { name: 'default', masquerade: {} },
    { name: 'extra', bridge: {} },
  ];
  const later = 'is not run in cluster mode yet (virtkit issue 17); use local mode (virtkit up) for it';
  expect(clusterModeProblems(s)).toEqual([
    `spec.volumes[2] (host): a hostDisk volume ${later}`,
    `spec.volumes[3] (unattend): a sysprep volume ${later}`,
    `spec.networks[1] (extra): a Multus network ${later}; use the pod network`,
  ]);
});

test("a VMI's persistentVolumeClaim and dataVolume volumes are the claims the handler readies", () => {
  const s = spec({
    volumes: [
      { name: 'root', containerDisk: { image: 'file:///d/disk.img' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'db-data' } },
      { name: 'dv', dataVolume: { name: 'dv' } },
    ],
  } as Partial<VirtualMachineInstanceSpec>);
  expect(claimVolumes(s)).toEqual([
    { volume: 'data', claimName: 'db-data' },
    { volume: 'dv', claimName: 'dv' },
  ]);
  const disk = { path: '/var/run/kubevirt-private/vmi-disks/data/disk.img', format: 'raw' as const };
  expect(containerLaunchResources(s, {}, [], [], false, { data: disk }).volumes).toEqual({ data: disk });
});

test('the pod network runs in cluster mode (the handler wires it)', () => {
  const s = spec();
  s.domain.devices.autoattachPodInterface = undefined;
  expect(clusterModeProblems(s)).toEqual([]);
});

test('the handler resolves containerDisks and cloud-init only; kubelet mounts the rest', () => {
  expect(handlerResolvedVolumes(spec())?.map((v) => v.name)).toEqual(['rootdisk', 'cloudinit']);
});

test("the launcher's resources carry the paths of its container, never the node's", () => {
  const f = kubeletPodFolders('/var/lib/kubelet/pods', UID);
  const copies = containerDiskCopies(f, { rootdisk: '/var/lib/virtkit/images/sha256-abc/disk.qcow2' });
  expect(copies).toEqual([
    {
      volume: 'rootdisk',
      from: '/var/lib/virtkit/images/sha256-abc/disk.qcow2',
      to: `${base}/rootdisk/disk.img`,
      inContainer: '/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img',
    },
  ]);
  const secrets = { cloudinit: { userData: '#cloud-config\n' } };
  expect(
    containerLaunchResources(
      spec(),
      { containerDisks: { rootdisk: copies[0].from }, cloudInitSecrets: secrets },
      copies,
      ['LocalContainerDisk'],
      false,
    ),
  ).toEqual({
    podInterfaceName: 'eth0',
    networkByHandler: true,
    containerDisks: { rootdisk: '/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img' },
    volumeDirs: {
      cfg: '/var/run/kubevirt-private/vmi-disks/cfg',
      creds: '/var/run/kubevirt-private/vmi-disks/creds',
    },
    cloudInitSecrets: secrets,
    featureGates: ['LocalContainerDisk'],
  });
  expect(containerLaunchResources(spec({ volumes: [] }), {}, [], [], true)).toEqual({
    podInterfaceName: 'eth0',
    networkByHandler: true,
    featureGates: [],
    migrationTarget: true,
  });
});

describe("a VMI's readiness on a kubelet node is its launcher pod's Ready condition", () => {
  it("is ready when kubelet says Ready, else not, with kubelet's message", () => {
    expect(podReadiness({ status: { conditions: [{ type: 'Ready', status: 'True' }] } })).toEqual({
      ready: true,
    });
    expect(
      podReadiness({
        status: {
          conditions: [
            { type: 'PodScheduled', status: 'True' },
            {
              type: 'Ready',
              status: 'False',
              reason: 'ContainersNotReady',
              message: 'containers with unready status: [compute]',
            },
          ],
        },
      }),
    ).toEqual({
      ready: false,
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [compute]',
    });
    expect(podReadiness({})).toEqual({ ready: false });
  });
});
