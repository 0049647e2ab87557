/** An upload server pod as a plan: the builder's pod parses; bad pods are refused with every problem named. */
import { uploadServerPod } from '../../api/cdi/upload-pod';
import { nodeUploadPath, parseNodeUploadPath } from '../../common/node-api';
import { importerArgs } from './importer-args';
import { ImportPlanError, type WorkerPodJson } from './import-plan';
import { isUploadServerPod, parseUploadPlan } from './upload-plan';

const built = (): WorkerPodJson =>
  uploadServerPod({
    claim: { name: 'disk', namespace: 'ns', uid: 'u-1', requestedStorage: '64Mi' },
    image: 'virtkit:dev',
    filesystemOverhead: '0.055',
  }) as WorkerPodJson;

describe('upload server pods', () => {
  it("a Block claim's upload pod (the builder's device shape) writes onto the device the runner resolved", () => {
    const pod = uploadServerPod({
      claim: { name: 'disk', namespace: 'ns', uid: 'u-1', requestedStorage: '64Mi' },
      image: 'virtkit:dev',
      block: true,
    }) as WorkerPodJson;
    const plan = parseUploadPlan(pod);
    expect(plan).toMatchObject({ source: 'upload', targetClaim: 'disk', targetBlock: true });
    expect(plan.filesystemOverhead).toBeUndefined();
    expect(
      importerArgs(
        plan,
        { targetDir: '/s/w/uid/scratch', targetDevice: '/v/pvc-1/device', socket: '/s/w/uid/upload.sock' },
        { mirrors: [], insecure: [] },
      ),
    ).toEqual([
      'importer',
      '--source',
      'upload',
      '--target-dir',
      '/s/w/uid/scratch',
      '--size',
      String(64 * 2 ** 20),
      '--target-device',
      '/v/pvc-1/device',
      '--socket',
      '/s/w/uid/upload.sock',
    ]);
    expect(parseUploadPlan(built()).targetBlock).toBeUndefined();
  });

  it("parse from the builder's pod and run `virtkit importer --source upload --socket`", () => {
    const pod = built();
    expect(isUploadServerPod(pod)).toBe(true);
    const plan = parseUploadPlan(pod);
    expect(plan).toMatchObject({
      source: 'upload',
      targetClaim: 'disk',
      requestedBytes: 64 * 2 ** 20,
      filesystemOverhead: 0.055,
    });
    expect(
      importerArgs(
        plan,
        { targetDir: '/v/disk', socket: '/s/w/uid/upload.sock' },
        { mirrors: [], insecure: [] },
      ),
    ).toEqual([
      'importer',
      '--source',
      'upload',
      '--target-dir',
      '/v/disk',
      '--size',
      String(64 * 2 ** 20),
      '--filesystem-overhead',
      '0.055',
      '--socket',
      '/s/w/uid/upload.sock',
    ]);
  });

  it('ignore the TLS material CDI puts in its pod, refuse unknown env, preallocation and a missing claim', () => {
    const pod = built() as unknown as {
      spec: { containers: { env: { name: string; value?: string }[] }[]; volumes: unknown[] };
    };
    pod.spec.containers[0].env.push({ name: 'TLS_CERT', value: 'pem' }, { name: 'NOPE', value: '1' });
    pod.spec.containers[0].env.find((e) => e.name === 'PREALLOCATION')!.value = 'true';
    pod.spec.volumes = [];
    let err: unknown;
    try {
      parseUploadPlan(pod as unknown as WorkerPodJson);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImportPlanError);
    const m = (err as Error).message;
    expect(m).toMatch(/env NOPE is not one the runner reads/);
    expect(m).toMatch(/PREALLOCATION "true": preallocation is not supported/);
    expect(m).toMatch(/volume cdi-data-vol is missing/);
    expect(m).not.toMatch(/TLS_CERT/);
  });

  it('an importer pod is not an upload server pod', () => {
    const pod = built() as unknown as { metadata: { labels: Record<string, string> } };
    pod.metadata.labels['cdi.kubevirt.io'] = 'importer';
    expect(isUploadServerPod(pod as unknown as WorkerPodJson)).toBe(false);
  });
});

describe('node upload paths', () => {
  it('round-trip and refuse anything else', () => {
    expect(parseNodeUploadPath(nodeUploadPath('ns', 'disk.a', 'upload-async'))).toEqual({
      namespace: 'ns',
      claim: 'disk.a',
      kind: 'upload-async',
    });
    for (const p of [
      '/v1/namespaces/ns/persistentvolumeclaims/disk/other',
      '/v1/namespaces/NS/persistentvolumeclaims/disk/upload',
      '/v1/namespaces/ns/persistentvolumeclaims/..%2Fx/upload',
      '/v1/namespaces/ns/pods/disk/upload',
    ])
      expect(parseNodeUploadPath(p)).toBeUndefined();
  });
});
