import { cloneSourcePod } from '../../api/cdi/clone-source-pod';
import { isCloneSourcePod, parseCloneSourcePlan } from './clone-source-plan';
import { ImportPlanError, type WorkerPodJson } from './import-plan';
import { importerArgs } from './importer-args';

const built = (volumeMode: 'Filesystem' | 'Block' = 'Filesystem'): WorkerPodJson => {
  const pod = cloneSourcePod({
    source: { namespace: 'os-images', claim: 'fedora' },
    target: { namespace: 'team-a', claim: 'web-root', uid: '0b6c1d2e-1111-4222-8333-944455556666' },
    sourceVolumeMode: volumeMode,
    image: 'virtkit:dev',
  }) as WorkerPodJson;
  return { ...pod, metadata: { ...pod.metadata, uid: '11111111-2222-4333-8444-555555555555' } };
};

describe('parseCloneSourcePlan', () => {
  it("reads the controller's source pod: its claim read, the target from the environment", () => {
    const pod = built();
    expect(isCloneSourcePod(pod)).toBe(true);
    expect(parseCloneSourcePlan(pod)).toEqual({
      namespace: 'os-images',
      name: '0b6c1d2e-1111-4222-8333-944455556666-source-pod',
      uid: '11111111-2222-4333-8444-555555555555',
      source: 'clone-source',
      requestedBytes: 0,
      insecureTls: false,
      targetClaim: 'fedora',
      literalEnv: {},
      secretEnv: [],
      cloneTarget: { namespace: 'team-a', claim: 'web-root' },
    });
    expect(parseCloneSourcePlan(built('Block'))).toMatchObject({ targetBlock: true, targetClaim: 'fedora' });
  });

  it('runs `virtkit cloner` on the claim it resolved, toward the target socket the runner found', () => {
    const plan = parseCloneSourcePlan(built());
    const settings = { mirrors: [], insecure: [] };
    expect(importerArgs(plan, { targetDir: '/v/pvc-1', socket: '/w/u/upload.sock' }, settings)).toEqual([
      'cloner',
      '--source-dir',
      '/v/pvc-1',
      '--socket',
      '/w/u/upload.sock',
    ]);
    expect(
      importerArgs(
        parseCloneSourcePlan(built('Block')),
        { targetDir: '/w/scratch', targetDevice: '/v/pvc-1/device', socket: '/w/u/upload.sock' },
        settings,
      ),
    ).toEqual(['cloner', '--source-device', '/v/pvc-1/device', '--socket', '/w/u/upload.sock']);
    expect(() => importerArgs(plan, { targetDir: '/v/pvc-1' }, settings)).toThrow('needs its target socket');
  });

  it('refuses a pod that writes its claim, names a bad target or runs something else, every problem at once', () => {
    const pod = built() as {
      metadata: WorkerPodJson['metadata'];
      spec: {
        containers: { name: string; env: { name: string; value?: string }[]; volumeMounts?: unknown[] }[];
        volumes: { name: string; persistentVolumeClaim: { claimName: string; readOnly?: boolean } }[];
      };
    };
    pod.spec.containers[0].env = [
      { name: 'VIRTKIT_CLONE_TARGET_NAMESPACE', value: 'Team_A' },
      { name: 'VIRTKIT_CLONE_TARGET_CLAIM', value: '../etc' },
      { name: 'LD_PRELOAD', value: '/tmp/x.so' },
    ];
    pod.spec.containers[0].volumeMounts = [{ name: 'cdi-data-vol', mountPath: '/elsewhere', readOnly: true }];
    pod.spec.volumes[0].persistentVolumeClaim.readOnly = false;
    let err: ImportPlanError | undefined;
    try {
      parseCloneSourcePlan(pod as WorkerPodJson);
    } catch (e) {
      err = e as ImportPlanError;
    }
    expect(err).toBeInstanceOf(ImportPlanError);
    expect(err?.message).toContain('env LD_PRELOAD is not one the runner reads');
    expect(err?.message).toContain('VIRTKIT_CLONE_TARGET_NAMESPACE "Team_A" is not a namespace');
    expect(err?.message).toContain('VIRTKIT_CLONE_TARGET_CLAIM "../etc" is not a PersistentVolumeClaim name');
    expect(err?.message).toContain('the source claim must be read-only');
    const other = built() as { spec: { containers: { name: string }[] } };
    other.spec.containers[0].name = 'shell';
    expect(() => parseCloneSourcePlan(other as WorkerPodJson)).toThrow(
      'spec.containers must be exactly one container named "cdi-clone-source"',
    );
  });
});
