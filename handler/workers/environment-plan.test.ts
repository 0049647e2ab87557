import { importerArgsFromEnvironment, isWorkerEnvironment } from './environment-plan';

const FILESYSTEM = { targetDevice: false, sourceDevice: false, scratchDir: '/tmp/scratch' };

describe("a worker pod's environment is the importer's plan on a kubelet node", () => {
  it('recognises a worker pod by IMPORTER_SOURCE', () => {
    expect(isWorkerEnvironment({ IMPORTER_SOURCE: 'none' })).toBe(true);
    expect(isWorkerEnvironment({ PATH: '/usr/bin' })).toBe(false);
  });

  it('a blank disk on the claim at /data, at its size, with the filesystem overhead', () => {
    expect(
      importerArgsFromEnvironment(
        {
          IMPORTER_SOURCE: 'none',
          IMPORTER_CONTENTTYPE: 'kubevirt',
          IMPORTER_IMAGE_SIZE: '16Mi',
          OWNER_UID: 'u-1',
          FILESYSTEM_OVERHEAD: '0.055',
          PATH: '/usr/bin',
        },
        FILESYSTEM,
      ),
    ).toEqual([
      'importer',
      '--source',
      'blank',
      '--target-dir',
      '/data',
      '--size',
      String(16 * 1024 * 1024),
      '--filesystem-overhead',
      '0.055',
    ]);
  });

  it('an http import; its credentials stay in the environment (kubelet resolved the secretKeyRefs)', () => {
    const args = importerArgsFromEnvironment(
      {
        IMPORTER_SOURCE: 'http',
        IMPORTER_ENDPOINT: 'http://10.250.1.1:8080/disk.img',
        IMPORTER_IMAGE_SIZE: '1Gi',
        IMPORTER_ACCESS_KEY_ID: 'user',
        IMPORTER_SECRET_KEY: 'pass',
        IMPORTER_EXTRA_HEADER_0: 'X-Token: t',
      },
      FILESYSTEM,
    );
    expect(args).toEqual([
      'importer',
      '--source',
      'http',
      '--target-dir',
      '/data',
      '--size',
      String(1024 ** 3),
      '--url=http://10.250.1.1:8080/disk.img',
    ]);
    expect(args.join(' ')).not.toMatch(/user|pass|X-Token/);
  });

  it("a Block target is written onto the pod's device, staged in scratch space; a clone reads /source", () => {
    expect(
      importerArgsFromEnvironment(
        { IMPORTER_SOURCE: 'pvc', IMPORTER_IMAGE_SIZE: '1Gi' },
        { ...FILESYSTEM, targetDevice: true },
      ),
    ).toEqual([
      'importer',
      '--source',
      'pvc',
      '--target-dir',
      '/tmp/scratch',
      '--size',
      String(1024 ** 3),
      '--target-device',
      '/dev/cdi-block-volume',
      '--source-dir',
      '/source',
    ]);
  });

  it('a certConfigMap becomes the bundle the caller gathered', () => {
    expect(
      importerArgsFromEnvironment(
        {
          IMPORTER_SOURCE: 'http',
          IMPORTER_ENDPOINT: 'https://images.example/disk.qcow2',
          IMPORTER_IMAGE_SIZE: '1Gi',
          IMPORTER_CERT_DIR: '/certs',
        },
        { ...FILESYSTEM, caFile: '/tmp/scratch/ca.pem' },
      ),
    ).toContain('/tmp/scratch/ca.pem');
  });

  it('refuses what the local runner refuses, naming the variable and the fix', () => {
    expect(() =>
      importerArgsFromEnvironment({ IMPORTER_SOURCE: 'ftp', IMPORTER_IMAGE_SIZE: '1Gi' }, FILESYSTEM),
    ).toThrow('env IMPORTER_SOURCE "ftp" is not one of http, registry, none, pvc');
    expect(() =>
      importerArgsFromEnvironment({ IMPORTER_SOURCE: 'http', IMPORTER_IMAGE_SIZE: '1Gi' }, FILESYSTEM),
    ).toThrow('env IMPORTER_ENDPOINT is missing; give the http(s):// URL to import');
    expect(() =>
      importerArgsFromEnvironment(
        {
          IMPORTER_SOURCE: 'http',
          IMPORTER_ENDPOINT: 'http://user:pw@host/disk.img',
          IMPORTER_IMAGE_SIZE: '1Gi',
        },
        FILESYSTEM,
      ),
    ).toThrow(/IMPORTER_ENDPOINT/);
    expect(() => importerArgsFromEnvironment({ IMPORTER_SOURCE: 'none' }, FILESYSTEM)).toThrow(
      "env IMPORTER_IMAGE_SIZE is missing; give the claim's size as a quantity such as 10Gi",
    );
  });
});
