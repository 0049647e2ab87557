import { allManifests, headerSecret } from './manifests';
import { exporterArgs, parseExporterPlan, type ExporterPodJson } from './pod-plan';
import { routeExport, type ExportVolume } from './routes';
import { presentedTokens, tokenAccepted } from './token';

/** A path or URL from its segments (KubeVirt's layout, spelled out segment by segment). */
const seg = (...parts: string[]): string => parts.join('/');

/**
 * The exporter pod the export controller makes for export prod/web of a VM with an image claim
 * `root` and a directory claim `files` (controller/export/objects-plan.ts; its own test checks
 * it builds this shape): the contract of api/export/exporter-pod.ts, written out.
 */
const POD: unknown = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'virt-export-web',
    namespace: 'prod',
    labels: {
      'kubevirt.io': 'virt-exporter',
      'kubevirt.io.virt-export-service': 'web',
    },
  },
  spec: {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'exporter',
        image: 'x',
        imagePullPolicy: 'IfNotPresent',
        command: ['virtkit', 'exporter', '--from-env'],
        env: [
          {
            name: 'VOLUME0_EXPORT_PATH',
            value: '/export-volumes/root',
          },
          {
            name: 'VOLUME0_EXPORT_RAW_URI',
            value: '/volumes/root/disk.img',
          },
          {
            name: 'VOLUME0_EXPORT_RAW_GZIP_URI',
            value: '/volumes/root/disk.img.gz',
          },
          {
            name: 'VOLUME1_EXPORT_PATH',
            value: '/export-volumes/files',
          },
          {
            name: 'VOLUME1_EXPORT_ARCHIVE_URI',
            value: '/volumes/files/disk.tar.gz',
          },
          {
            name: 'VOLUME1_EXPORT_DIR_URI',
            value: '/volumes/files/dir/',
          },
          {
            name: 'CERT_FILE',
            value: '/cert/tls.crt',
          },
          {
            name: 'KEY_FILE',
            value: '/cert/tls.key',
          },
          {
            name: 'TOKEN_FILE',
            value: '/token/token',
          },
          {
            name: 'DEADLINE',
            value: '2024-05-01T12:00:00Z',
          },
          {
            name: 'EXPORT_SECRET_DEF_URI',
            value: '/manifests/secret',
          },
          {
            name: 'EXPORT_VM_DEF_URI',
            value: '/manifests/all',
          },
        ],
        volumeMounts: [
          {
            name: 'root',
            mountPath: '/export-volumes/root',
            readOnly: true,
          },
          {
            name: 'files',
            mountPath: '/export-volumes/files',
            readOnly: true,
          },
          {
            name: 'certificates',
            mountPath: '/cert',
            readOnly: true,
          },
          {
            name: 'export-token-web',
            mountPath: '/token',
            readOnly: true,
          },
          {
            name: 'manifest-data',
            mountPath: '/manifest_data',
            readOnly: true,
          },
        ],
      },
    ],
    volumes: [
      {
        name: 'root',
        persistentVolumeClaim: {
          claimName: 'root',
          readOnly: true,
        },
      },
      {
        name: 'files',
        persistentVolumeClaim: {
          claimName: 'files',
          readOnly: true,
        },
      },
      {
        name: 'certificates',
        secret: {
          secretName: 'virt-export-cert-web',
        },
      },
      {
        name: 'export-token-web',
        secret: {
          secretName: 'export-token-web',
        },
      },
      {
        name: 'manifest-data',
        configMap: {
          name: 'exporter-vm-manifest-web',
        },
      },
    ],
  },
};
const pod = (): ExporterPodJson & Record<string, unknown> =>
  clone(POD) as ExporterPodJson & Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("the exporter pod's plan", () => {
  test("the controller's pod reads back as its plan, and the command line carries paths only", () => {
    const plan = parseExporterPlan(pod());
    expect(plan).toEqual({
      namespace: 'prod',
      name: 'virt-export-web',
      uid: '',
      exportName: 'web',
      volumes: [
        { claim: 'root', volume: 'root', block: false, kind: 'image' },
        { claim: 'files', volume: 'files', block: false, kind: 'archive' },
      ],
      certSecret: 'virt-export-cert-web',
      tokenSecret: 'export-token-web',
      manifestConfigMap: 'exporter-vm-manifest-web',
      deadline: Date.parse('2024-05-01T12:00:00Z'),
    });
    expect(
      exporterArgs(plan, {
        paths: ['/vol/pv-1', '/vol/pv-2'],
        socket: '/s/exporter.sock',
        certFile: '/s/tls.crt',
        keyFile: '/s/tls.key',
        tokenFile: '/s/token',
        manifestDir: '/s/manifests',
      }),
    ).toEqual([
      'exporter',
      '--socket',
      '/s/exporter.sock',
      '--cert-file',
      '/s/tls.crt',
      '--key-file',
      '/s/tls.key',
      '--token-file',
      '/s/token',
      '--export-name',
      'web',
      '--deadline',
      '2024-05-01T12:00:00.000Z',
      '--image-volume',
      'root=/vol/pv-1',
      '--dir-volume',
      'files=/vol/pv-2',
      '--manifest-dir',
      '/s/manifests',
    ]);
  });

  test('every problem of a tampered pod is named in one refusal', () => {
    const p = clone(pod()) as unknown as {
      spec: {
        containers: {
          env: { name: string; value: string }[];
          volumeMounts: { name: string; readOnly?: boolean }[];
        }[];
      };
    };
    const c = p.spec.containers[0];
    c.env.find((x) => x.name === 'VOLUME0_EXPORT_PATH')!.value = '/etc';
    c.env.find((x) => x.name === 'TOKEN_FILE')!.value = '/etc/shadow';
    c.env.push({ name: 'LD_PRELOAD', value: '/tmp/x.so' });
    c.volumeMounts.find((m) => m.name === 'files')!.readOnly = false;
    let msg = '';
    try {
      parseExporterPlan(p as unknown as ExporterPodJson);
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toContain('exporter pod prod/virt-export-web:');
    expect(msg).toContain('env "LD_PRELOAD" is not one the exporter reads; remove it');
    expect(msg).toContain('env TOKEN_FILE "/etc/shadow" must be /token/token');
    expect(msg).toContain(
      'env VOLUME0_EXPORT_PATH "/etc" must be /export-volumes/<volume> or /dev/export-volumes/<volume>',
    );
    expect(msg).toContain('volume files must be mounted readOnly: true');
  });

  test('URIs that are not the claim’s are refused', () => {
    const p = clone(pod()) as unknown as {
      spec: { containers: { env: { name: string; value: string }[] }[] };
    };
    p.spec.containers[0].env.find((x) => x.name === 'VOLUME0_EXPORT_RAW_URI')!.value =
      '/volumes/other/disk.img';
    expect(() => parseExporterPlan(p as unknown as ExporterPodJson)).toThrow(
      'env VOLUME0_EXPORT_RAW_URI "/volumes/other/disk.img" must be /volumes/root/disk.img',
    );
  });
});

describe('routes', () => {
  const vols: ExportVolume[] = [
    { name: 'root', kind: 'image', path: '/v/root' },
    { name: 'files', kind: 'archive', path: '/v/files' },
  ];
  test.each([
    ['/exportready', { kind: 'ready' }],
    ['/volumes/root/disk.img', { kind: 'raw' }],
    ['/volumes/root/disk.img.gz', { kind: 'gzip' }],
    ['/volumes/files/disk.tar.gz', { kind: 'tar' }],
    ['/volumes/files/dir/', { kind: 'dir', segments: [], slash: true }],
    ['/volumes/files/dir/a/b.txt', { kind: 'dir', segments: ['a', 'b.txt'], slash: false }],
    ['/volumes/files/dir/a%20b/', { kind: 'dir', segments: ['a b'], slash: true }],
    ['/volumes/files/dir/../x', { kind: 'bad-path' }],
    ['/volumes/files/dir/%2E%2E/x', { kind: 'bad-path' }],
    ['/volumes/files/dir//etc/passwd', { kind: 'bad-path' }],
    ['/volumes/files/dir/a%2Fb', { kind: 'bad-path' }],
    ['/volumes/files/dir/a%00', { kind: 'bad-path' }],
    ['/volumes/files/dir/%E0%A4%A', { kind: 'bad-path' }],
    ['/volumes/root/dir/', { kind: 'not-found' }],
    ['/volumes/files/disk.img', { kind: 'not-found' }],
    ['/etc/passwd', { kind: 'not-found' }],
    ['/internal/manifests/all', { kind: 'manifests', side: 'internal' }],
    ['/external/manifests/secret', { kind: 'secret', side: 'external' }],
  ])('%s', (p, want) => {
    expect(routeExport(p, vols, true)).toMatchObject(want);
  });
  test('no VM manifests for a claim export', () => {
    expect(routeExport('/internal/manifests/all', vols, false)).toMatchObject({ kind: 'not-found' });
  });
});

describe('the token', () => {
  const url = (q = ''): URL => new URL(`https://x/volumes/root/disk.img${q}`);
  test('header or query parameter, exact match, an empty token never', () => {
    expect(tokenAccepted('abc\n', presentedTokens(url(), { 'x-kubevirt-export-token': 'abc' }))).toBe(true);
    expect(tokenAccepted('abc', presentedTokens(url('?x-kubevirt-export-token=abc'), {}))).toBe(true);
    expect(tokenAccepted('abc', presentedTokens(url(), { 'x-kubevirt-export-token': 'abcd' }))).toBe(false);
    expect(tokenAccepted('abc', presentedTokens(url(), {}))).toBe(false);
    expect(tokenAccepted('', presentedTokens(url(), { 'x-kubevirt-export-token': '' }))).toBe(false);
    expect(tokenAccepted('abc', presentedTokens(url('?token=abc'), { 'x-other-token': 'abc' }))).toBe(false);
  });
});

describe('manifests', () => {
  const data = {
    'export-name': 'web',
    internal_host: 'virt-export-web.prod.svc',
    external_host: seg(
      'localhost:8443',
      'api',
      'export.kubevirt.io',
      'v1',
      'namespaces',
      'prod',
      'virtualmachineexports',
      'web',
    ),
    internal_ca_cm: 'CA-PEM',
    'virtualmachine-manifest': JSON.stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        dataVolumeTemplates: [
          {
            metadata: { name: 'web-root' },
            spec: { sourceRef: { kind: 'DataSource', name: 'x' }, storage: {} },
          },
        ],
      },
    }),
    'dv-data': JSON.stringify({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: 'data' },
      spec: { source: { http: { url: '' } } },
    }),
  };
  test('the VM and its DataVolumes point back at the export over the side asked for', () => {
    const items = allManifests(data, 'external');
    expect(items.map((i) => i.kind)).toEqual(['ConfigMap', 'VirtualMachine', 'DataVolume']);
    const vm = items[1] as { spec: { dataVolumeTemplates: { spec: Record<string, unknown> }[] } };
    expect(vm.spec.dataVolumeTemplates[0].spec).toEqual({
      storage: {},
      source: {
        http: {
          url: seg(
            'https:',
            '',
            'localhost:8443',
            'api',
            'export.kubevirt.io',
            'v1',
            'namespaces',
            'prod',
            'virtualmachineexports',
            'web',
            'volumes',
            'web-root',
            'disk.img.gz',
          ),
          certConfigMap: 'export-ca-cm-web',
          secretExtraHeaders: ['header-secret-web'],
        },
      },
    });
    expect(
      (allManifests(data, 'internal')[2] as { spec: { source: { http: { url: string } } } }).spec.source.http
        .url,
    ).toBe('https://virt-export-web.prod.svc/volumes/data/disk.img.gz');
    expect(allManifests(data, 'internal')[0]).toMatchObject({ data: { 'ca.pem': 'CA-PEM' } });
    expect(headerSecret('web', 't0k')).toMatchObject({
      stringData: { token: 'x-kubevirt-export-token:t0k' },
    });
  });
});
