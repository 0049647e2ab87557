import { hotplugUnsettled, hotplugVolumes, planHotplug, volumeStatuses, type HotplugSpec } from './hotplug';

const spec: HotplugSpec = {
  volumes: [
    { name: 'root', persistentVolumeClaim: { claimName: 'root-pvc' } },
    { name: 'data', persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true } },
    { name: 'dv', dataVolume: { name: 'dv-1', hotpluggable: true } },
  ],
  domain: {
    devices: {
      disks: [
        { name: 'root', disk: { bus: 'virtio' } },
        { name: 'data', serial: 'D1', cache: 'none', disk: { bus: 'scsi' } },
        { name: 'dv', disk: { bus: 'scsi', readonly: true } },
      ],
    },
  },
};

const boot = { name: 'root', target: 'vda', hotplugged: false };

describe('hotplug on the node', () => {
  it('finds hotpluggable PVC and DataVolume volumes with their disk settings', () => {
    expect(hotplugVolumes(spec)).toEqual([
      { name: 'data', claimName: 'data-pvc', readOnly: false, serial: 'D1', cache: 'none' },
      { name: 'dv', claimName: 'dv-1', readOnly: true },
    ]);
  });

  it('attaches what the guest lacks and detaches hotplugged disks that left the spec', () => {
    const plan = planHotplug(spec, {
      supported: true,
      disks: [
        boot,
        { name: 'dv', target: 'sda', hotplugged: true },
        { name: 'old', target: 'sdb', hotplugged: true },
      ],
    });
    expect(plan.attach.map((v) => v.name)).toEqual(['data']);
    expect(plan.detach).toEqual(['old']);
    expect(planHotplug(spec, { supported: false, disks: [boot] }).attach).toEqual([]);
  });

  it('reports each phase with KubeVirt reasons and words', () => {
    const launcher = { supported: true, disks: [boot, { name: 'dv', target: 'sda', hotplugged: true }] };
    const observed = new Map([
      ['data', { claimPhase: 'Pending', attachPod: { name: 'hp-volume-abcde', uid: 'u1', running: false } }],
      ['dv', { claimPhase: 'Bound', attachPod: { name: 'hp-volume-abcde', uid: 'u1', running: true } }],
    ]);
    expect(volumeStatuses(spec, launcher, observed)).toEqual([
      {
        name: 'data',
        target: '',
        phase: 'AttachedToNode',
        reason: 'SuccessfulCreate',
        message: 'Created hotplug attachment pod hp-volume-abcde, for volume data',
        hotplugVolume: { attachPodName: 'hp-volume-abcde' },
      },
      {
        name: 'dv',
        target: 'sda',
        phase: 'Ready',
        reason: 'VolumeReady',
        message: 'Successfully attach hotplugged volume dv to VM',
        hotplugVolume: { attachPodName: 'hp-volume-abcde', attachPodUID: 'u1' },
      },
      { name: 'root', target: 'vda' },
    ]);
  });

  it('says why a volume waits: no claim, claim pending, claim bound, mounted, failed', () => {
    const launcher = { supported: true, disks: [boot] };
    const one = (seen: object) =>
      volumeStatuses(spec, launcher, new Map([['data', seen]])).find((e) => e.name === 'data');
    expect(one({})).toMatchObject({
      phase: 'Pending',
      reason: 'FailedPvcNotFound',
      message: 'PVC data-pvc not found',
    });
    expect(one({ claimPhase: 'Pending' })).toMatchObject({
      phase: 'Pending',
      reason: 'PVCNotReady',
      message: 'PVC is in phase ClaimPending',
    });
    expect(one({ claimPhase: 'Bound' })).toMatchObject({ phase: 'Bound', message: 'PVC is in phase Bound' });
    expect(one({ claimPhase: 'Bound', mounted: true })).toMatchObject({
      phase: 'MountedToPod',
      reason: 'VolumeMountedToPod',
      message: 'Volume data has been mounted in virt-launcher pod',
    });
    expect(one({ claimPhase: 'Bound', error: 'boom' })).toMatchObject({
      phase: 'Bound',
      reason: 'VolumeAttachFailed',
      message: 'Volume data could not be attached to the VM: boom',
    });
  });

  it('keeps an unplugged disk as Detaching until the launcher let go of it', () => {
    const entries = volumeStatuses(
      { volumes: [spec.volumes![0]!], domain: { devices: { disks: [spec.domain!.devices!.disks![0]!] } } },
      { supported: true, disks: [boot, { name: 'data', target: 'sda', hotplugged: true }] },
      new Map(),
      new Map([['data', 'timeout']]),
    );
    expect(entries[0]).toMatchObject({ name: 'data', phase: 'Detaching', target: 'sda' });
    expect(entries[0]!.message).toContain('timeout');
    expect(hotplugUnsettled(entries)).toBe(true);
    expect(hotplugUnsettled([{ name: 'root', target: 'vda' }])).toBe(false);
  });
});
