import { volumeRequestWrites, withoutHotplugVolumes } from './volume-requests';

const add = {
  addVolumeOptions: {
    name: 'data',
    disk: { name: 'data', disk: { bus: 'scsi' } },
    volumeSource: { persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true } },
  },
};
const template = {
  domain: { devices: { disks: [{ name: 'root' }] } },
  volumes: [{ name: 'root', containerDisk: { image: 'x' } }],
};
const vm = (requests: unknown[]) =>
  ({ spec: { template: { spec: template } }, status: { volumeRequests: requests } }) as never;
const vmi = (phase: string) => ({ metadata: {}, spec: template, status: { phase } }) as never;

describe('VM volumeRequests', () => {
  it('does nothing without requests', () => {
    expect(volumeRequestWrites({ spec: {}, status: {} } as never, undefined)).toBeUndefined();
  });

  it('applies an add to the template and the running VMI, then clears the requests', () => {
    const w = volumeRequestWrites(vm([add]), vmi('Running'))!;
    const volumes = [
      ...template.volumes,
      { name: 'data', persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true } },
    ];
    const disks = [{ name: 'root' }, { name: 'data', disk: { bus: 'scsi' } }];
    expect(w.vm).toEqual([
      { op: 'test', path: '/spec/template/spec/volumes', value: template.volumes },
      { op: 'test', path: '/spec/template/spec/domain/devices/disks', value: template.domain.devices.disks },
      { op: 'replace', path: '/spec/template/spec/volumes', value: volumes },
      { op: 'replace', path: '/spec/template/spec/domain/devices/disks', value: disks },
    ]);
    expect(w.vmi?.map((o) => o.path)).toEqual([
      '/spec/volumes',
      '/spec/domain/devices/disks',
      '/spec/volumes',
      '/spec/domain/devices/disks',
    ]);
    expect(w.status).toEqual([
      { op: 'test', path: '/status/volumeRequests', value: [add] },
      { op: 'remove', path: '/status/volumeRequests' },
    ]);
  });

  it('leaves a VMI that is not running alone, and an add then remove cancel out', () => {
    expect(volumeRequestWrites(vm([add]), vmi('Scheduled'))!.vmi).toBeUndefined();
    const w = volumeRequestWrites(vm([add, { removeVolumeOptions: { name: 'data' } }]), vmi('Running'))!;
    expect(w.vm).toBeUndefined();
    expect(w.vmi).toBeUndefined();
    expect(w.status).toHaveLength(2);
  });

  it('ignores hotpluggable volumes when telling whether a restart is needed', () => {
    const spec = {
      volumes: [
        { name: 'root' },
        { name: 'data', persistentVolumeClaim: { claimName: 'c', hotpluggable: true } },
      ],
      domain: { devices: { disks: [{ name: 'root' }, { name: 'data' }] } },
    };
    expect(withoutHotplugVolumes(spec)).toEqual({
      volumes: [{ name: 'root' }],
      domain: { devices: { disks: [{ name: 'root' }] } },
    });
    expect(withoutHotplugVolumes(template)).toBe(template);
  });
});
