import {
  addVolumeBody,
  removeVolumeBody,
  runVolumeVerb,
  submittedLine,
  VolumeUsageError,
  type VolumeApi,
} from './volumes';

function fakeApi(kind: 'dataVolume' | 'persistentVolumeClaim' | undefined) {
  const puts: unknown[][] = [];
  const api: VolumeApi = {
    namespace: 'ns',
    kindOf: async () => kind,
    put: async (...args) => {
      puts.push(args);
    },
    close: () => undefined,
  };
  return { api, puts };
}

describe('virtkit addvolume / removevolume', () => {
  it('builds virtctl body: scsi disk, serial = volume name, hotpluggable source', () => {
    expect(addVolumeBody({ volumeName: 'data' }, 'persistentVolumeClaim')).toEqual({
      name: 'data',
      disk: { name: 'data', disk: { bus: 'scsi' }, serial: 'data' },
      volumeSource: { persistentVolumeClaim: { claimName: 'data', hotpluggable: true } },
    });
    expect(
      addVolumeBody({ volumeName: 'dv', serial: 'S', cache: 'none', dryRun: true }, 'dataVolume'),
    ).toEqual({
      name: 'dv',
      disk: { name: 'dv', disk: { bus: 'scsi' }, serial: 'S', cache: 'none' },
      volumeSource: { dataVolume: { name: 'dv', hotpluggable: true } },
      dryRun: ['All'],
    });
    expect(removeVolumeBody({ volumeName: 'data', dryRun: true })).toEqual({ name: 'data', dryRun: ['All'] });
  });

  it('refuses usage mistakes clearly', () => {
    expect(() => addVolumeBody({}, 'dataVolume')).toThrow(VolumeUsageError);
    expect(() => addVolumeBody({ volumeName: 'x', cache: 'unsafe' }, 'dataVolume')).toThrow(
      /invalid cache value unsafe/,
    );
    expect(() => addVolumeBody({ volumeName: 'x', diskType: 'lun' }, 'dataVolume')).toThrow(
      /LUN passthrough/,
    );
    expect(() => removeVolumeBody({ volumeName: ' ' })).toThrow(/--volume-name is required/);
  });

  it('goes to the VMI without --persist and to the VM with it', async () => {
    const a = fakeApi('persistentVolumeClaim');
    expect(await runVolumeVerb(a.api, 'addvolume', 'vm1', { volumeName: 'data' })).toBe(
      'Successfully submitted add volume request to VM vm1 for volume data',
    );
    await runVolumeVerb(a.api, 'removevolume', 'vm1', { volumeName: 'data', persist: true });
    expect(a.puts.map((p) => `${String(p[0])} ${String(p[2])}`)).toEqual([
      'vmi addvolume',
      'vm removevolume',
    ]);
    expect(submittedLine('removevolume', 'vm1', 'data')).toBe(
      'Successfully submitted remove volume request to VM vm1 for volume data',
    );
  });

  it('says when the volume names nothing', async () => {
    await expect(
      runVolumeVerb(fakeApi(undefined).api, 'addvolume', 'vm1', { volumeName: 'nope' }),
    ).rejects.toThrow(/Volume nope is not a DataVolume or PersistentVolumeClaim in namespace ns/);
  });
});
