import {
  applyVolumeRequest,
  HOTPLUG_MESSAGES as M,
  readAddVolumeOptions,
  readRemoveVolumeOptions,
  volumeRequestPatch,
  volumeRequestProblem,
  volumeRequestsWith,
} from './hotplug';

const addBody = {
  name: 'data',
  disk: {},
  volumeSource: { persistentVolumeClaim: { claimName: 'data-pvc' } },
};
const add = {
  addVolumeOptions: {
    name: 'data',
    disk: { name: 'data', disk: { bus: 'scsi' } },
    volumeSource: { persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true } },
  },
};
const remove = { removeVolumeOptions: { name: 'data' } };

describe('reading AddVolumeOptions and RemoveVolumeOptions', () => {
  it('answers KubeVirt words for missing parts, in its order', () => {
    expect(readAddVolumeOptions(undefined)).toEqual({ problem: M.noBody });
    expect(readAddVolumeOptions({})).toEqual({ problem: M.addNoName });
    expect(readAddVolumeOptions({ name: 'x' })).toEqual({ problem: M.addNoDisk });
    expect(readAddVolumeOptions({ name: 'x', disk: {} })).toEqual({ problem: M.addNoSource });
    expect(readRemoveVolumeOptions({})).toEqual({ problem: M.removeNoName });
    expect(readRemoveVolumeOptions(null)).toEqual({ problem: M.noBody });
  });

  it('marks the source hotpluggable, names the disk and puts it on the scsi bus', () => {
    expect(readAddVolumeOptions({ ...addBody, dryRun: ['All'] })).toEqual({
      value: {
        name: 'data',
        disk: { name: 'data', disk: { bus: 'scsi' } },
        volumeSource: { persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true } },
        dryRun: ['All'],
      },
    });
    expect(readRemoveVolumeOptions({ name: 'data', dryRun: ['All'] })).toEqual({
      value: { name: 'data', dryRun: ['All'] },
    });
  });

  it('refuses what virtkit cannot hotplug, saying what to use', () => {
    const bad = (b: object) => (readAddVolumeOptions({ ...addBody, ...b }) as { problem: string }).problem;
    expect(bad({ volumeSource: { containerDisk: { image: 'x' } } })).toMatch(
      /exactly one of persistentVolumeClaim and dataVolume/,
    );
    expect(bad({ disk: { disk: { bus: 'virtio' } } })).toBe('hotplugged Disk data does not use a scsi bus');
    expect(bad({ disk: { cdrom: {} } })).toMatch(/only disk targets/);
    expect(bad({ name: 'Bad_Name' })).toMatch(/RFC 1123 label/);
    expect(bad({ dryRun: ['Yes'] })).toMatch(/dryRun must be \["All"\]/);
    expect(bad({ volumeSource: { persistentVolumeClaim: {} } })).toMatch(/requires claimName/);
  });
});

describe('checking a request against volumes and pending requests', () => {
  const vols = [
    { name: 'root', persistentVolumeClaim: { claimName: 'root-pvc' } },
    { name: 'hot', dataVolume: { name: 'hot-dv', hotpluggable: true } },
  ];
  it('uses KubeVirt messages', () => {
    expect(volumeRequestProblem(vols, { addVolumeOptions: { ...add.addVolumeOptions, name: 'root' } })).toBe(
      M.nameExists('root'),
    );
    expect(
      volumeRequestProblem(vols, {
        addVolumeOptions: {
          ...add.addVolumeOptions,
          volumeSource: { persistentVolumeClaim: { claimName: 'root-pvc' } },
        },
      }),
    ).toBe(M.sourceExists('root-pvc'));
    expect(volumeRequestProblem(vols, add)).toBeUndefined();
    expect(volumeRequestProblem(vols, { removeVolumeOptions: { name: 'root' } })).toBe(
      M.notHotpluggable('root'),
    );
    expect(volumeRequestProblem(vols, { removeVolumeOptions: { name: 'nope' } })).toBe(M.notFound('nope'));
    expect(volumeRequestProblem(vols, { removeVolumeOptions: { name: 'hot-dv' } })).toBeUndefined();
  });
  it('queues requests as KubeVirt does: a remove withdraws a pending add', () => {
    expect(volumeRequestsWith([add], add)).toEqual({ problem: M.addPending('data') });
    expect(volumeRequestsWith([remove], add)).toEqual({ problem: M.removePendingAdd('data') });
    expect(volumeRequestsWith([remove], remove)).toEqual({ problem: M.removePending('data') });
    expect(volumeRequestsWith([add], remove)).toEqual({ requests: [remove] });
    expect(volumeRequestsWith(undefined, add)).toEqual({ requests: [add] });
  });
});

describe('applying a request to a spec', () => {
  const spec = { volumes: [{ name: 'root' }], domain: { devices: { disks: [{ name: 'root' }] } } };
  it('adds the volume and disk once, and removes both', () => {
    const added = applyVolumeRequest(spec, add);
    expect(added.volumes).toEqual([
      { name: 'root' },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true } },
    ]);
    expect(added.disks).toEqual([{ name: 'root' }, { name: 'data', disk: { bus: 'scsi' } }]);
    const twice = applyVolumeRequest(
      { volumes: added.volumes, domain: { devices: { disks: added.disks } } },
      add,
    );
    expect(twice.volumes).toHaveLength(2);
    const removed = applyVolumeRequest(
      { volumes: added.volumes, domain: { devices: { disks: added.disks } } },
      remove,
    );
    expect(removed).toEqual({ volumes: [{ name: 'root' }], disks: [{ name: 'root' }] });
    expect(spec.volumes).toHaveLength(1);
  });
  it('guards the patch with tests of what was read', () => {
    expect(volumeRequestPatch('/spec/template/spec', spec, add).map((o) => `${o.op} ${o.path}`)).toEqual([
      'test /spec/template/spec/volumes',
      'test /spec/template/spec/domain/devices/disks',
      'replace /spec/template/spec/volumes',
      'replace /spec/template/spec/domain/devices/disks',
    ]);
    expect(volumeRequestPatch('/spec', { domain: { devices: {} } }, add).map((o) => o.op)).toEqual([
      'add',
      'add',
    ]);
  });
});
