import type { VirtualMachineExport } from '../../api/export/v1';
import { exporterConfigFromFlags, flagsFromEnv } from './exporter';
import {
  downloadTarget,
  exportObject,
  forwardTarget,
  manifestUrls,
  parseVmExportArgs,
  routeOf,
  serviceHostOf,
} from './vmexport-plan';

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

  test('download deletes an export it created unless --keep-vme, a found one only with --delete-vme, neither for --manifest', () => {
    expect(parseVmExportArgs(['download', 'e'], { pvc: 'd', output: 'f' }).deleteAfter).toBe(true);
    expect(parseVmExportArgs(['download', 'e'], { pvc: 'd', output: 'f', keepVme: true }).deleteAfter).toBe(
      false,
    );
    expect(parseVmExportArgs(['download', 'e'], { output: 'f' }).deleteAfter).toBe(false);
    expect(parseVmExportArgs(['download', 'e'], { output: 'f', deleteVme: true }).deleteAfter).toBe(true);
    expect(parseVmExportArgs(['download', 'e'], { manifest: true }).manifest).toBe(true);
    // Manifests point at the export's URLs: it is kept, as virtctl keeps it.
    expect(parseVmExportArgs(['download', 'e'], { vm: 'web', manifest: true }).deleteAfter).toBe(false);
    expect(parseVmExportArgs(['download', 'e'], { manifest: true, deleteVme: true }).deleteAfter).toBe(false);
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
    expect(() => parseVmExportArgs(['create', 'e'], {})).toThrow('create needs the source');
    expect(() =>
      parseVmExportArgs(['create', 'e'], { pvc: 'd', portForward: true, localPort: '5410', retry: '2' }),
    ).toThrow(
      '--port-forward only goes with download; --local-port only goes with download; --retry only goes with download',
    );
    expect(() =>
      parseVmExportArgs(['download', 'e'], {
        output: 'f',
        localPort: '70000',
        serviceUrl: 'h:1',
        retry: 'x',
      }),
    ).toThrow(
      '--local-port "70000": give a port number from 0 to 65535 (0: any free port); --local-port only goes with --port-forward; --retry "x": give how many times to retry, from 0 to 100',
    );
    expect(() =>
      parseVmExportArgs(['download', 'e'], { output: 'f', portForward: true, serviceUrl: 'h:1' }),
    ).toThrow('give --port-forward or --service-url, not both');
    expect(() => parseVmExportArgs(['download', 'e'], { output: 'f', serviceUrl: 'https://h/path' })).toThrow(
      `--service-url "https://h/path": give the host and port that reach the export's Service`,
    );
    expect(() =>
      parseVmExportArgs(['download', 'e'], { output: 'f', readinessTimeout: 'soon', waitSecs: '5' }),
    ).toThrow(
      'give --readiness-timeout or --wait-secs, not both; --readiness-timeout "soon" is not a positive duration',
    );
  });

  test('--port-forward, --local-port, --service-url, --retry and --readiness-timeout as virtctl reads them', () => {
    const pf = parseVmExportArgs(['download', 'e'], { output: 'f', portForward: true, localPort: '5410' });
    expect(pf.portForward).toEqual({ localPort: 5410 });
    expect(routeOf(pf)).toEqual({ via: 'internal', host: '127.0.0.1:5410' });
    // Port 0 asks for any free port; the route takes the one the forward got.
    const any = parseVmExportArgs(['download', 'e'], { output: 'f', portForward: true });
    expect(routeOf(any, 41234)).toEqual({ via: 'internal', host: '127.0.0.1:41234' });
    const su = parseVmExportArgs(['download', 'e'], { output: 'f', serviceUrl: '10.0.0.5:30443' });
    expect(routeOf(su)).toEqual({ via: 'internal', host: '10.0.0.5:30443' });
    expect(routeOf(parseVmExportArgs(['download', 'e'], { output: 'f' }))).toEqual({ via: 'external' });
    expect(parseVmExportArgs(['download', 'e'], { output: 'f', retry: '3' }).retries).toBe(3);
    expect(parseVmExportArgs(['download', 'e'], { output: 'f' }).waitMs).toBe(120_000);
    expect(parseVmExportArgs(['download', 'e'], { output: 'f', readinessTimeout: '5m' }).waitMs).toBe(
      300_000,
    );
    expect(parseVmExportArgs(['download', 'e'], { output: 'f', waitSecs: '7' }).waitMs).toBe(7000);
  });

  test('--service-url takes a host and port, bare or as an https URL without a path', () => {
    expect(serviceHostOf('10.0.0.5:30443')).toBe('10.0.0.5:30443');
    expect(serviceHostOf('https://export.example.com')).toBe('export.example.com');
    expect(serviceHostOf('https://export.example.com:8443/')).toBe('export.example.com:8443');
    expect(serviceHostOf('[fd00::5]:443')).toBe('[fd00::5]');
    for (const bad of ['http://h:1', 'https://h/volumes', 'https://u:p@h', 'h?x=1', ''])
      expect(`${bad}: ${serviceHostOf(bad)}`).toBe(`${bad}: undefined`);
  });
});

describe('the port forward to an export', () => {
  const svc = {
    metadata: { name: 'virt-export-e', namespace: 'prod' },
    spec: {
      selector: { 'kubevirt.io.virt-export-service': 'e' },
      ports: [{ port: 443, targetPort: 8443 }],
    },
  };
  const pod = (name: string, phase: string, ready: boolean) => ({
    metadata: { name },
    spec: { containers: [{ ports: [{ name: 'export', containerPort: 8443 }] }] },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  test("the first ready pod of the Service, the Service's port translated to the pod's", () => {
    expect(forwardTarget(svc, [pod('a', 'Pending', false), pod('b', 'Running', true)], 443)).toEqual({
      pod: 'b',
      port: 8443,
    });
    const named = { ...svc, spec: { ...svc.spec, ports: [{ port: 443, targetPort: 'export' }] } };
    expect(forwardTarget(named, [pod('b', 'Running', true)], 443)).toEqual({ pod: 'b', port: 8443 });
  });
  test('no pod, no port: the reason is named', () => {
    expect(() => forwardTarget(svc, [], 443)).toThrow(
      'no ready pod behind Service prod/virt-export-e (it selects no pod)',
    );
    expect(() => forwardTarget(svc, [pod('a', 'Running', false)], 443)).toThrow('its pods: a Running');
    expect(() => forwardTarget(svc, [pod('b', 'Running', true)], 80)).toThrow(
      'Service prod/virt-export-e has no port 80 to forward',
    );
    const named = { ...svc, spec: { ...svc.spec, ports: [{ port: 443, targetPort: 'https' }] } };
    expect(() => forwardTarget(named, [pod('b', 'Running', true)], 443)).toThrow(
      "Service prod/virt-export-e's port 443 targets the port named https, which pod b does not have",
    );
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
  test("through a port forward or --service-url: the internal link, its host replaced, the server checked under the link's own name", () => {
    const internal = {
      metadata: e.metadata,
      status: {
        links: {
          internal: {
            cert: 'INTERNAL-CA',
            volumes: [
              { name: 'a', formats: [{ format: 'gzip', url: 'https://virt-export-e.prod.svc/a.img.gz' }] },
            ],
            manifests: [
              { type: 'all', url: 'https://virt-export-e.prod.svc/internal/manifests/all' },
              { type: 'auth-header-secret', url: 'https://virt-export-e.prod.svc/internal/manifests/secret' },
            ],
          },
        },
      },
    } as unknown as VirtualMachineExport;
    const route = { via: 'internal', host: '127.0.0.1:5410' } as const;
    expect(downloadTarget(internal, undefined, 'gzip', route)).toEqual({
      url: 'https://127.0.0.1:5410/a.img.gz',
      cert: 'INTERNAL-CA',
      servername: 'virt-export-e.prod.svc',
      volume: 'a',
      format: 'gzip',
    });
    expect(manifestUrls(internal, route)).toEqual({
      all: {
        url: 'https://127.0.0.1:5410/internal/manifests/all',
        cert: 'INTERNAL-CA',
        servername: 'virt-export-e.prod.svc',
      },
      secret: {
        url: 'https://127.0.0.1:5410/internal/manifests/secret',
        cert: 'INTERNAL-CA',
        servername: 'virt-export-e.prod.svc',
      },
    });
    // The external link is not taken, and without an internal one the message says which is missing.
    expect(() => downloadTarget(e, 'a', 'gzip', route)).toThrow('it has no internal link with volumes');
    expect(() => downloadTarget(internal, 'a', 'gzip')).toThrow('download with --port-forward');
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
