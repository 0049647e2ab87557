import { featureGateIssues, FEATURE_GATES } from './feature-gates';

const vmiSpec = {
  domain: {
    devices: {
      hostDevices: [{ name: 'qat', deviceName: 'intel.com/qat' }],
      gpus: [{ name: 'g', deviceName: 'nvidia.com/A10' }],
    },
    firmware: { kernelBoot: { container: { image: 'file:///srv/kernels' } } },
  },
  volumes: [
    { name: 'a', hostDisk: { path: '/var/lib/a.img', type: 'Disk' } },
    { name: 'b', containerDisk: { image: '/srv/images/b.qcow2' } },
    { name: 'c', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
  ],
};

describe('feature gates', () => {
  it('names every gated field and its gate, at the right path for each kind', () => {
    const vm = { kind: 'VirtualMachine', spec: { template: { spec: vmiSpec } } };
    expect(featureGateIssues(vm, new Set()).map((i) => `${i.path} ${i.rule}`)).toEqual([
      'spec.template.spec.volumes[0].hostDisk feature-gate.HostDisk',
      'spec.template.spec.volumes[1].containerDisk.image feature-gate.LocalContainerDisk',
      'spec.template.spec.domain.devices.hostDevices feature-gate.HostDevices',
      'spec.template.spec.domain.devices.gpus feature-gate.GPU',
      'spec.template.spec.domain.firmware.kernelBoot.container.image feature-gate.LocalContainerDisk',
    ]);
    const pool = {
      kind: 'VirtualMachinePool',
      spec: { virtualMachineTemplate: { spec: { template: { spec: vmiSpec } } } },
    };
    expect(featureGateIssues(pool, new Set())[0].path).toBe(
      'spec.virtualMachineTemplate.spec.template.spec.volumes[0].hostDisk',
    );
    expect(
      featureGateIssues({ kind: 'VirtualMachineInstance', spec: vmiSpec }, new Set())[0].message,
    ).toMatch(
      /^HostDisk feature gate is not enabled; add HostDisk to spec.configuration.developerConfiguration.featureGates/,
    );
  });

  it('lets everything through once the gates are on', () => {
    expect(
      featureGateIssues(
        { kind: 'VirtualMachineInstance', spec: vmiSpec },
        new Set(Object.keys(FEATURE_GATES)),
      ),
    ).toEqual([]);
  });

  it('ignores kinds without a VMI spec and registry images', () => {
    expect(featureGateIssues({ kind: 'DataVolume', spec: {} }, new Set())).toEqual([]);
    expect(
      featureGateIssues(
        { kind: 'VirtualMachineInstance', spec: { volumes: [vmiSpec.volumes[2]] } },
        new Set(),
      ),
    ).toEqual([]);
  });
});
