/** The worker pod as an import plan: the contract's pod parses; every refusal names the pod, the env var or volume, the value and the fix. */
import {
  CDI_APP_LABEL,
  CDI_APP_LABEL_VALUE,
  CERT_MOUNT_PATH,
  CERT_VOLUME_NAME,
  DATA_VOLUME_NAME,
  SOURCE_VOLUME_NAME,
  WORKER_CONTAINER,
} from '../../api/cdi/worker-pod';
import { importerArgs } from './importer-args';
import {
  ImportPlanError,
  isWorkerPod,
  parseImportPlan,
  type EnvVarJson,
  type WorkerPodJson,
} from './import-plan';

type Volume = NonNullable<NonNullable<WorkerPodJson['spec']>['volumes']>[number];

function pod(env: EnvVarJson[], volumes?: Volume[], containerName = WORKER_CONTAINER): WorkerPodJson {
  return {
    metadata: {
      name: 'importer-disk',
      namespace: 'ns',
      uid: '0b8e0a53-1c47-4a8e-9d0f-6f1f3d7a2b11',
      labels: { [CDI_APP_LABEL]: CDI_APP_LABEL_VALUE },
    },
    spec: {
      nodeName: 'n1',
      restartPolicy: 'OnFailure',
      containers: [{ name: containerName, env }],
      volumes: volumes ?? [{ name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'disk' } }],
    },
  };
}

const http: EnvVarJson[] = [
  { name: 'IMPORTER_SOURCE', value: 'http' },
  { name: 'IMPORTER_ENDPOINT', value: 'http://example.com/disk.qcow2' },
  { name: 'IMPORTER_CONTENTTYPE', value: 'kubevirt' },
  { name: 'IMPORTER_IMAGE_SIZE', value: '64Mi' },
  { name: 'OWNER_UID', value: 'abc' },
  { name: 'FILESYSTEM_OVERHEAD', value: '0.055' },
];

function problems(p: WorkerPodJson): string[] {
  try {
    parseImportPlan(p);
  } catch (e) {
    expect(e).toBeInstanceOf(ImportPlanError);
    expect((e as Error).message).toMatch(/^worker pod ns\/importer-disk: /);
    return [...(e as ImportPlanError).problems];
  }
  throw new Error('expected a refusal');
}

describe('parseImportPlan', () => {
  it("reads the contract's http pod, with credentials and a certConfigMap", () => {
    const plan = parseImportPlan(
      pod(
        [
          ...http,
          {
            name: 'IMPORTER_ACCESS_KEY_ID',
            valueFrom: { secretKeyRef: { name: 'creds', key: 'accessKeyId' } },
          },
          { name: 'IMPORTER_SECRET_KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'secretKey' } } },
          { name: 'IMPORTER_CERT_DIR', value: CERT_MOUNT_PATH },
          { name: 'IMPORTER_EXTRA_HEADER_0', value: 'X-Team: a' },
        ],
        [
          { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'disk' } },
          { name: CERT_VOLUME_NAME, configMap: { name: 'ca' } },
        ],
      ),
    );
    expect(plan).toEqual({
      namespace: 'ns',
      name: 'importer-disk',
      uid: '0b8e0a53-1c47-4a8e-9d0f-6f1f3d7a2b11',
      source: 'http',
      endpoint: 'http://example.com/disk.qcow2',
      requestedBytes: 64 * 2 ** 20,
      filesystemOverhead: 0.055,
      insecureTls: false,
      targetClaim: 'disk',
      literalEnv: { IMPORTER_EXTRA_HEADER_0: 'X-Team: a' },
      secretEnv: [
        { env: 'IMPORTER_ACCESS_KEY_ID', secret: 'creds', key: 'accessKeyId', optional: false },
        { env: 'IMPORTER_SECRET_KEY', secret: 'creds', key: 'secretKey', optional: false },
      ],
      certConfigMap: 'ca',
    });
    expect(isWorkerPod(pod(http))).toBe(true);
    expect(isWorkerPod({ metadata: { labels: { app: 'other' } } })).toBe(false);
  });

  it('reads blank, registry (insecure) and pvc pods, and builds the importer flags from them alone', () => {
    const blank = parseImportPlan(
      pod([
        { name: 'IMPORTER_SOURCE', value: 'none' },
        { name: 'IMPORTER_IMAGE_SIZE', value: '1Gi' },
      ]),
    );
    expect(blank).toMatchObject({ source: 'none', requestedBytes: 2 ** 30 });
    const registry = parseImportPlan(
      pod([
        { name: 'IMPORTER_SOURCE', value: 'registry' },
        { name: 'IMPORTER_ENDPOINT', value: 'docker://reg.example:5000/disks/fedora:40' },
        { name: 'IMPORTER_IMAGE_SIZE', value: '1Gi' },
        { name: 'INSECURE_TLS', value: 'true' },
      ]),
    );
    expect(
      importerArgs(
        registry,
        { targetDir: '/v/pvc-1' },
        { mirrors: [{ registry: 'docker.io', endpoint: 'http://127.0.0.1:5000' }], insecure: ['a:1'] },
      ),
    ).toEqual([
      'importer',
      '--source',
      'registry',
      '--target-dir',
      '/v/pvc-1',
      '--size',
      String(2 ** 30),
      '--url=docker://reg.example:5000/disks/fedora:40',
      '--registry-mirror=docker.io=http://127.0.0.1:5000',
      '--insecure-registry=a:1',
      '--insecure-registry=reg.example:5000',
    ]);
    const clone = parseImportPlan(
      pod(
        [
          { name: 'IMPORTER_SOURCE', value: 'pvc' },
          { name: 'IMPORTER_IMAGE_SIZE', value: '2Gi' },
        ],
        [
          { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'copy' } },
          { name: SOURCE_VOLUME_NAME, persistentVolumeClaim: { claimName: 'golden', readOnly: true } },
        ],
      ),
    );
    expect(clone).toMatchObject({ source: 'pvc', targetClaim: 'copy', sourceClaim: 'golden' });
    expect(
      importerArgs(clone, { targetDir: '/v/a', sourceDir: '/v/b' }, { mirrors: [], insecure: [] }),
    ).toEqual([
      'importer',
      '--source',
      'pvc',
      '--target-dir',
      '/v/a',
      '--size',
      String(2 * 2 ** 30),
      '--source-dir',
      '/v/b',
    ]);
  });

  it('refuses a pod without exactly one importer container', () => {
    expect(problems(pod(http, undefined, 'sidecar'))).toEqual([
      expect.stringMatching(/exactly one container named "importer" \(found "sidecar"\)/),
    ]);
  });

  it('gathers every env problem into one refusal', () => {
    const found = problems(
      pod([
        { name: 'IMPORTER_SOURCE', value: 's3' },
        { name: 'IMPORTER_CONTENTTYPE', value: 'tarball' },
        { name: 'IMPORTER_IMAGE_SIZE', value: 'lots' },
        { name: 'FILESYSTEM_OVERHEAD', value: '1.5' },
        { name: 'INSECURE_TLS', value: 'yes' },
        { name: 'PATH', value: '/tmp' },
      ]),
    );
    expect(found).toEqual([
      expect.stringMatching(/^env PATH is not one the runner reads; remove it/),
      'env IMPORTER_SOURCE "s3" is not one of http, registry, none, pvc',
      'env IMPORTER_CONTENTTYPE "tarball" is not kubevirt or archive',
      'env IMPORTER_IMAGE_SIZE "lots" is not a positive quantity such as 10Gi',
      expect.stringMatching(
        /^env FILESYSTEM_OVERHEAD "1.5": filesystem overhead 1.5 is not a fraction in \[0, 1\)/,
      ),
      'env INSECURE_TLS "yes" is not true or false',
    ]);
  });

  it.each<[string, EnvVarJson[], RegExp]>([
    [
      'no source',
      [{ name: 'IMPORTER_IMAGE_SIZE', value: '1Gi' }],
      /env IMPORTER_SOURCE is missing; set it to one of/,
    ],
    [
      'no endpoint for http',
      [http[0], http[3]],
      /env IMPORTER_ENDPOINT is missing; give the http\(s\):\/\/ URL/,
    ],
    [
      'an endpoint for blank',
      [{ name: 'IMPORTER_SOURCE', value: 'none' }, http[1], http[3]],
      /env IMPORTER_ENDPOINT is set for source none, which takes none; remove it/,
    ],
    ['no size', [http[0], http[1]], /env IMPORTER_IMAGE_SIZE is missing; give the claim's size/],
    [
      'archive',
      [...http.slice(0, 2), { name: 'IMPORTER_CONTENTTYPE', value: 'archive' }, http[3]],
      /"archive" is not supported/,
    ],
    [
      'a literal credential',
      [
        ...http,
        { name: 'IMPORTER_ACCESS_KEY_ID', value: 'alice' },
        { name: 'IMPORTER_SECRET_KEY', value: 'pw' },
      ],
      /env IMPORTER_ACCESS_KEY_ID carries a literal value; credentials go in a Secret/,
    ],
    [
      'half a credential',
      [
        ...http,
        { name: 'IMPORTER_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'c', key: 'accessKeyId' } } },
      ],
      /IMPORTER_ACCESS_KEY_ID and IMPORTER_SECRET_KEY come together/,
    ],
    [
      'a bad Secret name',
      [
        ...http,
        {
          name: 'IMPORTER_ACCESS_KEY_ID',
          valueFrom: { secretKeyRef: { name: '../etc', key: 'accessKeyId' } },
        },
        { name: 'IMPORTER_SECRET_KEY', valueFrom: { secretKeyRef: { name: 'c', key: 'secret/key' } } },
      ],
      /secretKeyRef.name "..\/etc" is not a Secret name/,
    ],
    [
      'a fieldRef source',
      [{ ...http[0], valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, ...http.slice(1)],
      /env IMPORTER_SOURCE must be a literal value, not valueFrom/,
    ],
    [
      'a header with a line break',
      [...http, { name: 'IMPORTER_EXTRA_HEADER_0', value: 'X: a\r\nY: b' }],
      /line break or NUL/,
    ],
    ['a duplicate', [...http, http[0]], /env IMPORTER_SOURCE is given twice/],
    [
      'a password in the URL',
      [http[0], { name: 'IMPORTER_ENDPOINT', value: 'http://alice:pw@example.com/d.img' }, http[3]],
      /env IMPORTER_ENDPOINT: carries credentials in the URL; put them in the Secret/,
    ],
    [
      'a file:// URL',
      [http[0], { name: 'IMPORTER_ENDPOINT', value: 'file:///etc/shadow' }, http[3]],
      /scheme "file" is not supported by the http source/,
    ],
    [
      'a registry URL without docker://',
      [
        { name: 'IMPORTER_SOURCE', value: 'registry' },
        { name: 'IMPORTER_ENDPOINT', value: 'quay.io/x:1' },
        http[3],
      ],
      /does not start with docker:\/\//,
    ],
    [
      'insecure TLS for http',
      [...http, { name: 'INSECURE_TLS', value: 'true' }],
      /applies to the registry source only/,
    ],
    [
      'a cert dir elsewhere',
      [...http, { name: 'IMPORTER_CERT_DIR', value: '/etc' }],
      /must be \/certs, where volume cdi-cert-vol is mounted/,
    ],
    [
      'a cert dir without its volume',
      [...http, { name: 'IMPORTER_CERT_DIR', value: CERT_MOUNT_PATH }],
      /volume cdi-cert-vol is not a configMap volume/,
    ],
  ])('refuses %s', (_what, env, message) => {
    expect(problems(pod(env))).toContainEqual(expect.stringMatching(message));
  });

  it('refuses missing, malformed and misused claim volumes', () => {
    expect(problems(pod(http, []))).toContainEqual(
      expect.stringMatching(/volume cdi-data-vol is missing; mount the claim/),
    );
    expect(problems(pod(http, [{ name: DATA_VOLUME_NAME, configMap: { name: 'x' } }]))).toContainEqual(
      expect.stringMatching(
        /volume cdi-data-vol must be a persistentVolumeClaim with a valid claimName \(got null\)/,
      ),
    );
    const pvcEnv = [
      { name: 'IMPORTER_SOURCE', value: 'pvc' },
      { name: 'IMPORTER_IMAGE_SIZE', value: '1Gi' },
    ];
    expect(problems(pod(pvcEnv))).toContainEqual(expect.stringMatching(/volume cdi-source-vol is missing/));
    expect(
      problems(
        pod(pvcEnv, [
          { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'same' } },
          { name: SOURCE_VOLUME_NAME, persistentVolumeClaim: { claimName: 'same' } },
        ]),
      ),
    ).toContainEqual(expect.stringMatching(/cannot be cloned into itself/));
    expect(
      problems(
        pod(http, [
          { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'a' } },
          { name: SOURCE_VOLUME_NAME, persistentVolumeClaim: { claimName: 'b' } },
        ]),
      ),
    ).toContainEqual('volume cdi-source-vol is only for source pvc; remove it');
  });

  it('a Block claim taken as a volumeDevice at /dev/cdi-block-volume: --target-device, no overhead flag', () => {
    const blockPod = (
      devices: { name?: string; devicePath?: string }[],
      mounts: { name: string; mountPath: string }[] = [],
    ) => {
      const p = pod(
        [
          { name: 'IMPORTER_SOURCE', value: 'pvc' },
          { name: 'IMPORTER_IMAGE_SIZE', value: '1Gi' },
          { name: 'FILESYSTEM_OVERHEAD', value: '0.055' },
        ],
        [
          { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'copy' } },
          { name: SOURCE_VOLUME_NAME, persistentVolumeClaim: { claimName: 'golden', readOnly: true } },
        ],
      );
      return {
        ...p,
        spec: {
          ...p.spec,
          containers: [{ ...p.spec!.containers![0], volumeDevices: devices, volumeMounts: mounts }],
        },
      };
    };
    const plan = parseImportPlan(
      blockPod([
        { name: DATA_VOLUME_NAME, devicePath: '/dev/cdi-block-volume' },
        { name: SOURCE_VOLUME_NAME, devicePath: '/dev/cdi-source-block-volume' },
      ]),
    );
    expect(plan).toMatchObject({
      targetClaim: 'copy',
      targetBlock: true,
      sourceClaim: 'golden',
      sourceBlock: true,
    });
    // The device paths come from the runner (the claims' volumes), never from the pod.
    expect(
      importerArgs(
        plan,
        { targetDir: '/w/u/scratch', targetDevice: '/v/pvc-1/device', sourceDevice: '/v/pvc-2/device' },
        { mirrors: [], insecure: [] },
      ),
    ).toEqual([
      'importer',
      '--source',
      'pvc',
      '--target-dir',
      '/w/u/scratch',
      '--size',
      String(2 ** 30),
      '--target-device',
      '/v/pvc-1/device',
      '--source-device',
      '/v/pvc-2/device',
    ]);
    const fsPlan = parseImportPlan(blockPod([]));
    expect(fsPlan.targetBlock).toBeUndefined();
    expect(fsPlan.sourceBlock).toBeUndefined();

    expect(problems(blockPod([{ name: DATA_VOLUME_NAME, devicePath: '/dev/sda' }]))).toContainEqual(
      'volumeDevices cdi-data-vol: devicePath "/dev/sda" must be /dev/cdi-block-volume',
    );
    expect(problems(blockPod([{ name: 'other', devicePath: '/dev/x' }]))).toContainEqual(
      expect.stringMatching(/volumeDevices "other" is not a claim the runner fills/),
    );
    expect(
      problems(
        blockPod(
          [{ name: DATA_VOLUME_NAME, devicePath: '/dev/cdi-block-volume' }],
          [{ name: DATA_VOLUME_NAME, mountPath: '/data' }],
        ),
      ),
    ).toContainEqual(expect.stringMatching(/volume cdi-data-vol is both a volumeMount and a volumeDevice/));
  });
});
