import type { DataVolume } from '../../api/cdi/v1beta1';
import { boundedName, exporterPodName, tokenSecretName } from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { Claim } from '../datavolume/objects';
import { cleanVm, desiredExporterPod, desiredService, desiredTokenSecret } from './objects-plan';
import { sourceAvailable, sourceState, type SourceLookup } from './source-plan';
import { exportStatus } from './status-plan';
import { expirationMs, formatGoDuration, parseGoDuration, ttlMs } from './ttl';
import { generateToken } from './reconciler';

/** A path or URL from its segments (KubeVirt's layout, spelled out segment by segment). */
const seg = (...parts: string[]): string => parts.join('/');

const exp = (
  source: VirtualMachineExport['spec']['source'],
  extra: Partial<VirtualMachineExport> = {},
): VirtualMachineExport => ({
  apiVersion: 'export.kubevirt.io/v1',
  kind: 'VirtualMachineExport',
  metadata: { name: 'web', namespace: 'prod', uid: 'e-uid', creationTimestamp: '2024-05-01T10:00:00Z' },
  spec: { source },
  ...extra,
});
const pvcSrc = { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'data' };
const vmSrc = { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' };

const claim = (name: string, extra: Partial<Claim> = {}, ann?: Record<string, string>): Claim => ({
  metadata: { name, namespace: 'prod', ...(ann ? { annotations: ann } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  status: { phase: 'Bound' },
  ...extra,
});

function lookup(o: {
  claims?: Claim[];
  dvs?: DataVolume[];
  vm?: VirtualMachine;
  vmi?: VirtualMachineInstance;
  users?: string[];
}): SourceLookup {
  return {
    claim: (_ns, n) => o.claims?.find((c) => c.metadata?.name === n),
    dataVolume: (_ns, n) => o.dvs?.find((d) => d.metadata?.name === n),
    vm: () => o.vm,
    vmi: () => o.vmi,
    claimUsers: () => o.users ?? [],
    vmSnapshot: () => undefined,
    vmSnapshotContent: () => undefined,
    volumeSnapshot: () => undefined,
  };
}

const vm: VirtualMachine = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'web', namespace: 'prod', uid: 'vm-uid', resourceVersion: '7', labels: { app: 'web' } },
  spec: {
    runStrategy: 'Halted',
    template: {
      spec: {
        domain: { devices: {} },
        volumes: [
          { name: 'root', dataVolume: { name: 'web-root' } },
          { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'ci', cloudInitNoCloud: { userData: '#cloud-config' } },
        ],
      },
    },
  },
  status: { printableStatus: 'Stopped' },
} as VirtualMachine;

describe('TTL', () => {
  test('Go durations, the 2h default, and the expiry from the creation time', () => {
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('90s')).toBe(90_000);
    expect(parseGoDuration('2 hours')).toBeUndefined();
    expect(formatGoDuration(5_400_000)).toBe('1h30m0s');
    expect(ttlMs(exp(pvcSrc))).toBe(2 * 3600_000);
    expect(expirationMs(exp(pvcSrc, { spec: { source: pvcSrc, ttlDuration: '30s' } }))).toBe(
      Date.parse('2024-05-01T10:00:30Z'),
    );
  });

  test('a ttlDuration that is not a duration names the object, field, value and fix', () => {
    expect(() => ttlMs(exp(pvcSrc, { spec: { source: pvcSrc, ttlDuration: 'soon' } }))).toThrow(
      'VirtualMachineExport prod/web: spec.ttlDuration "soon" is not a duration; write it like 2h, 90m or 1h30m',
    );
  });
});

describe('names', () => {
  test("KubeVirt's names, kept within 63 characters", () => {
    expect(exporterPodName('web')).toBe('virt-export-web');
    expect(tokenSecretName('web')).toBe('export-token-web');
    const long = boundedName('virt-export', 'x'.repeat(80));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(boundedName('virt-export', `${'x'.repeat(79)}y`));
  });

  test('tokens are 20 letters and digits, different each time', () => {
    const a = generateToken();
    expect(a).toMatch(/^[a-zA-Z0-9]{20}$/);
    expect(generateToken()).not.toBe(a);
  });
});

describe('the source', () => {
  test('a bound claim with the kubevirt content type is an image, available', () => {
    const s = sourceState(
      exp(pvcSrc),
      lookup({ claims: [claim('data', {}, { 'cdi.kubevirt.io/storage.contentType': 'kubevirt' })] }),
    );
    expect(s.claims).toEqual([{ name: 'data', block: false, image: true, phase: 'Bound' }]);
    expect(sourceAvailable(s)).toBe(true);
    expect(s.sourceCondition).toMatchObject({ type: 'PVCReady', status: 'True', reason: 'PVCBound' });
  });

  test('a claim without a content type holds a directory; a Block one is an image', () => {
    expect(sourceState(exp(pvcSrc), lookup({ claims: [claim('data')] })).claims[0].image).toBe(false);
    const block = claim('data', { spec: { volumeMode: 'Block' } });
    expect(sourceState(exp(pvcSrc), lookup({ claims: [block] })).claims[0]).toMatchObject({
      image: true,
      block: true,
    });
  });

  test('missing, pending and in-use claims wait with KubeVirt reasons', () => {
    expect(sourceState(exp(pvcSrc), lookup({})).sourceCondition).toMatchObject({
      reason: 'PVCNotFound',
      message: 'PersistentVolumeClaim prod/data not found',
    });
    const pending = sourceState(
      exp(pvcSrc),
      lookup({ claims: [claim('data', { status: { phase: 'Pending' } })] }),
    );
    expect(pending.readyCondition).toMatchObject({ reason: 'PVCPending' });
    const used = sourceState(exp(pvcSrc), lookup({ claims: [claim('data')], users: ['virt-launcher-x'] }));
    expect(sourceAvailable(used)).toBe(false);
    expect(used.readyCondition).toMatchObject({ reason: 'InUse' });
  });

  test('a claim of an unfinished DataVolume is not populated', () => {
    const c = claim('web-root', {
      metadata: {
        name: 'web-root',
        namespace: 'prod',
        ownerReferences: [
          {
            apiVersion: 'cdi.kubevirt.io/v1beta1',
            kind: 'DataVolume',
            name: 'web-root',
            uid: 'u',
            controller: true,
          },
        ],
      },
    });
    const dv = {
      metadata: { name: 'web-root' },
      spec: {},
      status: { phase: 'ImportInProgress' },
    } as unknown as DataVolume;
    const s = sourceState(exp(vmSrc), lookup({ vm, claims: [c, claim('data')], dvs: [dv] }));
    expect(s.readyCondition).toMatchObject({ reason: 'VolumesNotPopulated' });
    const done = { ...dv, status: { phase: 'Succeeded' } } as DataVolume;
    const ok = sourceState(exp(vmSrc), lookup({ vm, claims: [c, claim('data')], dvs: [done] }));
    expect(ok.claims.map((x) => [x.name, x.image])).toEqual([
      ['web-root', true],
      ['data', false],
    ]);
    expect(sourceAvailable(ok)).toBe(true);
  });

  test('a running VM waits (InUse), a missing one says VMNotFound, one without volumes is Skipped', () => {
    const running = { status: { phase: 'Running' } } as VirtualMachineInstance;
    const s = sourceState(
      exp(vmSrc),
      lookup({ vm, vmi: running, claims: [claim('web-root'), claim('data')] }),
    );
    expect(s.readyCondition).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'InUse',
      message: 'Virtual Machine prod/web is running',
    });
    expect(sourceState(exp(vmSrc), lookup({})).readyCondition.reason).toBe('VMNotFound');
    const bare = { ...vm, spec: { template: { spec: { domain: { devices: {} } } } } } as VirtualMachine;
    expect(sourceState(exp(vmSrc), lookup({ vm: bare })).skipped).toBe(true);
  });

  test('a source kind no export serves names the kinds that are', () => {
    const s = sourceState(exp({ apiGroup: 'apps', kind: 'Deployment', name: 'web' }), lookup({}));
    expect(s.readyCondition.reason).toBe('NotSupported');
    expect(s.readyCondition.message).toBe(
      'VirtualMachineExport prod/web: spec.source.kind "Deployment" cannot be exported; use VirtualMachine, VirtualMachineSnapshot or PersistentVolumeClaim',
    );
    expect(sourceAvailable(s)).toBe(false);
  });
});

describe('the objects', () => {
  const claims = [
    { name: 'disk.a', block: false, image: true, phase: 'Bound' },
    { name: 'dev', block: true, image: true, phase: 'Bound' },
    { name: 'files', block: false, image: false, phase: 'Bound' },
  ];
  const pod = desiredExporterPod(exp(vmSrc), claims, {
    image: 'virtkit:dev',
    tokenSecret: 'export-token-web',
    certSecret: 'virt-export-cert-web',
    manifestConfigMap: 'exporter-vm-manifest-web',
    deadline: '2024-05-01T12:00:00Z',
  }) as {
    metadata: Record<string, unknown>;
    spec: { containers: Record<string, unknown>[]; volumes: unknown[] };
  };

  test("the pod has KubeVirt's name, labels, owner and environment", () => {
    expect(pod.metadata).toMatchObject({
      name: 'virt-export-web',
      labels: { 'kubevirt.io': 'virt-exporter', 'kubevirt.io.virt-export-service': 'web' },
      ownerReferences: [{ kind: 'VirtualMachineExport', name: 'web', uid: 'e-uid', controller: true }],
    });
    const env = Object.fromEntries(
      (pod.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      VOLUME0_EXPORT_PATH: '/export-volumes/disk-a',
      VOLUME0_EXPORT_RAW_URI: '/volumes/disk.a/disk.img',
      VOLUME0_EXPORT_RAW_GZIP_URI: '/volumes/disk.a/disk.img.gz',
      VOLUME1_EXPORT_PATH: '/dev/export-volumes/dev',
      VOLUME2_EXPORT_ARCHIVE_URI: '/volumes/files/disk.tar.gz',
      VOLUME2_EXPORT_DIR_URI: '/volumes/files/dir/',
      CERT_FILE: '/cert/tls.crt',
      KEY_FILE: '/cert/tls.key',
      TOKEN_FILE: '/token/token',
      DEADLINE: '2024-05-01T12:00:00Z',
      EXPORT_VM_DEF_URI: '/manifests/all',
      EXPORT_SECRET_DEF_URI: '/manifests/secret',
    });
  });

  test('claims are mounted read-only; the block claim is a device', () => {
    const c = pod.spec.containers[0];
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'disk-a', mountPath: '/export-volumes/disk-a', readOnly: true },
        { name: 'files', mountPath: '/export-volumes/files', readOnly: true },
        { name: 'certificates', mountPath: '/cert', readOnly: true },
        { name: 'export-token-web', mountPath: '/token', readOnly: true },
        { name: 'manifest-data', mountPath: '/manifest_data', readOnly: true },
      ]),
    );
    expect(c.volumeDevices).toEqual([{ name: 'dev', devicePath: '/dev/export-volumes/dev' }]);
    expect(pod.spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'disk-a', persistentVolumeClaim: { claimName: 'disk.a', readOnly: true } },
      ]),
    );
    expect(c.readinessProbe).toMatchObject({
      httpGet: { scheme: 'HTTPS', path: '/exportready', port: 8443 },
    });
  });

  test('the Service and the token Secret', () => {
    expect(desiredService(exp(vmSrc))).toMatchObject({
      metadata: { name: 'virt-export-web', labels: { 'kubevirt.io': 'virt-exporter' } },
      spec: {
        ports: [{ port: 443, targetPort: 8443 }],
        selector: { 'kubevirt.io.virt-export-service': 'web' },
      },
    });
    expect(desiredTokenSecret(exp(vmSrc), 'export-token-web', 'abc')).toMatchObject({
      type: 'Opaque',
      metadata: { name: 'export-token-web' },
      stringData: { token: 'abc' },
    });
  });

  test('the VM manifest has no status, uid or resourceVersion', () => {
    expect(cleanVm(vm)).toEqual({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' } },
      spec: vm.spec,
    });
  });
});

describe('the status', () => {
  const imageClaim = claim('data', {}, { 'cdi.kubevirt.io/storage.contentType': 'kubevirt' });
  const src = sourceState(exp(pvcSrc), lookup({ claims: [imageClaim] }));
  const base = {
    source: src,
    serviceName: 'virt-export-web',
    tokenSecretRef: 'export-token-web',
    expirationMs: Date.parse('2024-05-01T12:00:00Z'),
    internalCa: 'INTERNAL-CA',
    external: { host: 'localhost:8443', ca: 'API-CA' },
    now: '2024-05-01T10:00:05Z',
  };

  test('Ready with internal and external links in KubeVirt layout', () => {
    const s = exportStatus(exp(pvcSrc), { ...base, pod: { phase: 'Running', ready: true, deleting: false } });
    expect(s).toMatchObject({
      phase: 'Ready',
      serviceName: 'virt-export-web',
      tokenSecretRef: 'export-token-web',
      ttlExpirationTime: '2024-05-01T12:00:00Z',
    });
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'PodReady' });
    expect(s.links?.internal).toEqual({
      cert: 'INTERNAL-CA',
      volumes: [
        {
          name: 'data',
          formats: [
            { format: 'raw', url: 'https://virt-export-web.prod.svc/volumes/data/disk.img' },
            { format: 'gzip', url: 'https://virt-export-web.prod.svc/volumes/data/disk.img.gz' },
          ],
        },
      ],
      manifests: [
        { type: 'auth-header-secret', url: 'https://virt-export-web.prod.svc/internal/manifests/secret' },
      ],
    });
    expect(s.links?.external?.volumes?.[0].formats?.[1].url).toBe(
      seg(
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
        'data',
        'disk.img.gz',
      ),
    );
    expect(s.links?.external?.cert).toBe('API-CA');
  });

  test('a VM export links its manifests, and a directory claim its dir and tar.gz forms', () => {
    const vmState = sourceState(exp(vmSrc), lookup({ vm, claims: [claim('web-root'), claim('data')] }));
    const s = exportStatus(exp(vmSrc), {
      ...base,
      source: vmState,
      pod: { phase: 'Running', ready: true, deleting: false },
    });
    expect(s.virtualMachineName).toBe('web');
    expect(s.links?.internal?.manifests?.[0]).toEqual({
      type: 'all',
      url: 'https://virt-export-web.prod.svc/internal/manifests/all',
    });
    expect(s.links?.internal?.volumes?.[0].formats).toEqual([
      { format: 'dir', url: 'https://virt-export-web.prod.svc/volumes/web-root/dir/' },
      { format: 'tar.gz', url: 'https://virt-export-web.prod.svc/volumes/web-root/disk.tar.gz' },
    ]);
  });

  test('Pending while the pod starts, Terminated once it completed, transition times kept', () => {
    const pending = exportStatus(exp(pvcSrc), {
      ...base,
      pod: { phase: 'Pending', ready: false, deleting: false },
    });
    expect(pending.phase).toBe('Pending');
    expect(pending.conditions?.[0]).toMatchObject({
      reason: 'PodPending',
      lastTransitionTime: '2024-05-01T10:00:05Z',
    });
    expect(pending.links).toEqual({});
    const again = exportStatus(exp(pvcSrc, { status: pending }), {
      ...base,
      now: '2024-05-01T10:01:00Z',
      pod: { phase: 'Pending', ready: false, deleting: false },
    });
    expect(again.conditions?.[0].lastTransitionTime).toBe('2024-05-01T10:00:05Z');
    expect(
      exportStatus(exp(pvcSrc), { ...base, pod: { phase: 'Succeeded', ready: false, deleting: false } })
        .phase,
    ).toBe('Terminated');
  });
});
