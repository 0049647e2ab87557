import type { VirtualMachineExport } from '../../api/export/v1';
import { exporterConfigFromFlags, flagsFromEnv } from './exporter';
import { downloadTarget, exportObject, parseVmExportArgs } from './vmexport-plan';

describe('virtkit vmexport arguments', () => {
  test('create with a source and a TTL makes the export virtctl makes', () => {
    const r = parseVmExportArgs(['create', 'web-export'], { vm: 'web', ttl: '1h' });
    expect(exportObject(r, 'prod')).toEqual({
      apiVersion: 'export.kubevirt.io/v1',
      kind: 'VirtualMachineExport',
      metadata: { name: 'web-export', namespace: 'prod' },
      spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' }, ttlDuration: '1h' },
    });
    expect(exportObject(parseVmExportArgs(['create', 'e'], { pvc: 'data' }), 'ns').spec.source).toEqual({
      apiGroup: '',
      kind: 'PersistentVolumeClaim',
      name: 'data',
    });
  });

  test('download deletes an export it created unless --keep-vme, a found one only with --delete-vme', () => {
    expect(parseVmExportArgs(['download', 'e'], { pvc: 'd', output: 'f' }).deleteAfter).toBe(true);
    expect(parseVmExportArgs(['download', 'e'], { pvc: 'd', output: 'f', keepVme: true }).deleteAfter).toBe(
      false,
    );
    expect(parseVmExportArgs(['download', 'e'], { output: 'f' }).deleteAfter).toBe(false);
    expect(parseVmExportArgs(['download', 'e'], { output: 'f', deleteVme: true }).deleteAfter).toBe(true);
    expect(parseVmExportArgs(['download', 'e'], { manifest: true }).manifest).toBe(true);
  });

  test('bad usage is named, every problem at once', () => {
    expect(() => parseVmExportArgs(['upload', 'e'], {})).toThrow(
      'the first argument must be one of create, download, delete',
    );
    expect(() =>
      parseVmExportArgs(['create', 'e'], { vm: 'a', pvc: 'b', ttl: 'soon', format: 'qcow2' }),
    ).toThrow(
      'give only one of --vm, --snapshot, --pvc; --ttl "soon" is not a duration; write it like 2h, 90m or 1h30m; --format "qcow2": use gzip or raw',
    );
    expect(() => parseVmExportArgs(['download', 'e'], {})).toThrow('download needs --output=FILE');
    expect(() => parseVmExportArgs(['download', 'e'], { output: 'f', portForward: true })).toThrow(
      '--port-forward is not supported by virtkit yet',
    );
    expect(() => parseVmExportArgs(['create', 'e'], {})).toThrow('create needs the source');
  });
});

describe('the download link', () => {
  const e = {
    metadata: { name: 'e', namespace: 'prod' },
    status: {
      links: {
        external: {
          cert: 'CA',
          volumes: [
            {
              name: 'a',
              formats: [
                { format: 'raw', url: 'https://h/a.img' },
                { format: 'gzip', url: 'https://h/a.img.gz' },
              ],
            },
            {
              name: 'b',
              formats: [
                { format: 'dir', url: 'https://h/b/' },
                { format: 'tar.gz', url: 'https://h/b.tgz' },
              ],
            },
          ],
        },
      },
    },
  } as unknown as VirtualMachineExport;
  test('gzip by default, raw on request, the volume chosen', () => {
    expect(downloadTarget(e, 'a', 'gzip')).toEqual({
      url: 'https://h/a.img.gz',
      cert: 'CA',
      volume: 'a',
      format: 'gzip',
    });
    expect(downloadTarget(e, 'a', 'raw').url).toBe('https://h/a.img');
    expect(downloadTarget(e, 'b', 'gzip').format).toBe('tar.gz');
  });
  test('what cannot be downloaded says why', () => {
    expect(() => downloadTarget(e, undefined, 'gzip')).toThrow(
      'has 2 volumes (a, b): choose one with --volume',
    );
    expect(() => downloadTarget(e, 'c', 'gzip')).toThrow(
      'volume "c" is not in \'prod/e\' VirtualMachineExport; its volumes: a, b',
    );
    expect(() => downloadTarget(e, 'b', 'raw')).toThrow("volume b of 'prod/e' is not offered as raw");
    expect(() =>
      downloadTarget({ metadata: { name: 'x', namespace: 'y' } } as VirtualMachineExport, undefined, 'raw'),
    ).toThrow("unable to get a valid URL from 'y/x' VirtualMachineExport");
  });
});

describe('virtkit exporter flags', () => {
  test('flags and a pod environment give the same server', () => {
    const fromFlags = exporterConfigFromFlags({
      listen: '0.0.0.0:8443',
      certFile: '/cert/tls.crt',
      keyFile: '/cert/tls.key',
      tokenFile: '/token/token',
      exportName: 'web',
      deadline: '2024-05-01T12:00:00Z',
      imageVolume: ['root=/export-volumes/root'],
    });
    const fromEnv = exporterConfigFromFlags(
      flagsFromEnv(
        {
          VOLUME0_EXPORT_PATH: '/export-volumes/root',
          VOLUME0_EXPORT_RAW_URI: '/volumes/root/disk.img',
          VOLUME0_EXPORT_RAW_GZIP_URI: '/volumes/root/disk.img.gz',
          CERT_FILE: '/cert/tls.crt',
          KEY_FILE: '/cert/tls.key',
          TOKEN_FILE: '/token/token',
          DEADLINE: '2024-05-01T12:00:00Z',
        },
        'web',
      ),
    );
    expect(fromEnv).toEqual(fromFlags);
    expect(fromFlags.volumes).toEqual([{ name: 'root', kind: 'image', path: '/export-volumes/root' }]);
  });
  test('bad flags are all named', () => {
    expect(() => exporterConfigFromFlags({ imageVolume: ['../x'], socket: '/s', listen: 'x' })).toThrow(
      '--image-volume "../x": give <claim name>=<absolute path>, e.g. --image-volume disk=/export-volumes/disk; give --socket or --listen, not both; --cert-file is required; --key-file is required; --token-file is required; --export-name is required',
    );
  });
});
