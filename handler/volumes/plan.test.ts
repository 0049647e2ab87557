import { claimDisk, cloudInitValue, filesOf, VolumePrepareError, volumeNeeds } from './plan';

describe('volume needs of a VMI', () => {
  it('sorts volumes into claims, container disks, cloud-init secrets and file volumes', () => {
    const needs = volumeNeeds([
      { name: 'root', containerDisk: { image: 'file:///images/disk.img' } },
      { name: 'remote', containerDisk: { image: 'quay.io/x/y:1' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'pvc-a' } },
      { name: 'dv', dataVolume: { name: 'dv-a' } },
      { name: 'ci', cloudInitNoCloud: { secretRef: { name: 's1' } } },
      { name: 'cm', configMap: { name: 'cfg' } },
      { name: 'sec', secret: { secretName: 'sek', optional: true } },
    ]);
    expect(needs.claims).toEqual([
      { volume: 'data', claimName: 'pvc-a' },
      { volume: 'dv', claimName: 'dv-a' },
    ]);
    expect(needs.containerDisks).toEqual([
      { volume: 'root', image: 'file:///images/disk.img', localPath: '/images/disk.img' },
      { volume: 'remote', image: 'quay.io/x/y:1' },
    ]);
    expect(needs.cloudInitSecrets).toEqual([{ volume: 'ci', userDataSecret: 's1' }]);
    expect(needs.fileVolumes).toEqual([
      { volume: 'cm', index: 5, kind: 'configMap', name: 'cfg', optional: false },
      { volume: 'sec', index: 6, kind: 'secret', name: 'sek', optional: true },
    ]);
  });
});

it("carries a registry containerDisk's pull policy, pull secret and path", () => {
  const needs = volumeNeeds([
    {
      name: 'root',
      containerDisk: {
        image: 'quay.io/x/y:1',
        imagePullPolicy: 'Always',
        imagePullSecret: 'regcred',
        path: '/custom/disk.qcow2',
      },
    },
  ]);
  expect(needs.containerDisks).toEqual([
    {
      volume: 'root',
      image: 'quay.io/x/y:1',
      pullPolicy: 'Always',
      pullSecret: 'regcred',
      pathInImage: '/custom/disk.qcow2',
    },
  ]);
});

describe('claim disks in local mode', () => {
  const claim = {
    metadata: { name: 'c', namespace: 'ns' },
    spec: { volumeName: 'pv1', resources: { requests: { storage: '1Gi' } } },
  };
  it('a filesystem hostPath volume holds disk.img of the requested size', () => {
    expect(claimDisk('data', claim, { spec: { hostPath: { path: '/srv/pv1/' } } })).toEqual({
      path: '/srv/pv1/disk.img',
      block: false,
      sizeBytes: 2 ** 30,
    });
  });
  it('a block volume is the device itself', () => {
    expect(
      claimDisk(
        'data',
        { ...claim, spec: { ...claim.spec, volumeMode: 'Block' } },
        { spec: { local: { path: '/dev/vdb' } } },
      ).path,
    ).toBe('/dev/vdb');
  });
  it('an unbound claim or a remote volume is refused with the claim named', () => {
    expect(() => claimDisk('data', { metadata: claim.metadata, spec: {} }, undefined)).toThrow(
      /PersistentVolumeClaim ns\/c is not bound/,
    );
    expect(() => claimDisk('data', claim, { metadata: { name: 'pv1' }, spec: {} })).toThrow(
      VolumePrepareError,
    );
  });
});

describe('secret and config map contents', () => {
  it('decodes secrets and keeps config map text', () => {
    expect(filesOf('secret', { data: { a: Buffer.from('hi').toString('base64') } }).a.toString()).toBe('hi');
    expect(filesOf('configMap', { data: { b: 'text' } }).b.toString()).toBe('text');
    expect(cloudInitValue({ userData: Buffer.from('#cloud-config').toString('base64') }, 'user')).toBe(
      '#cloud-config',
    );
    expect(cloudInitValue({}, 'network')).toBeUndefined();
  });
});
