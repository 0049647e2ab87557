import {
  CLONE_SOURCE_COMPONENT,
  CLONE_SOURCE_MOUNT_PATH,
  cloneSourcePod,
  cloneSourcePodName,
  CloneSourceEnv,
} from './clone-source-pod';

const base = {
  source: { namespace: 'os-images', claim: 'fedora-40' },
  target: { namespace: 'team-a', claim: 'web-root', uid: '0b6c1d2e-1111-4222-8333-944455556666' },
  image: 'virtkit:dev',
  ownerUid: 'dv-uid',
};

describe('cloneSourcePod', () => {
  it("is CDI's source pod: in the source namespace, named after the target claim's uid, the claim read-only", () => {
    const pod = cloneSourcePod(base) as {
      metadata: { name: string; namespace: string; labels: Record<string, string> };
      spec: {
        restartPolicy: string;
        containers: { name: string; env: { name: string; value: string }[]; volumeMounts: unknown[] }[];
        volumes: unknown[];
      };
    };
    expect(pod.metadata.name).toBe('0b6c1d2e-1111-4222-8333-944455556666-source-pod');
    expect(pod.metadata.name).toBe(cloneSourcePodName(base.target.uid));
    expect(pod.metadata.namespace).toBe('os-images');
    expect(pod.metadata.labels).toEqual({
      app: 'containerized-data-importer',
      'cdi.kubevirt.io': CLONE_SOURCE_COMPONENT,
      'cdi.kubevirt.io/storage.clone.cloneUniqeId': pod.metadata.name,
      'virtkit.io/clone-target-namespace': 'team-a',
      'virtkit.io/clone-target-claim': 'web-root',
    });
    expect(pod.spec.restartPolicy).toBe('OnFailure');
    expect(pod.spec.containers[0].name).toBe('cdi-clone-source');
    expect(pod.spec.containers[0].env).toEqual([
      { name: CloneSourceEnv.targetNamespace, value: 'team-a' },
      { name: CloneSourceEnv.targetClaim, value: 'web-root' },
      { name: 'OWNER_UID', value: 'dv-uid' },
    ]);
    expect(pod.spec.containers[0].volumeMounts).toEqual([
      { name: 'cdi-data-vol', mountPath: CLONE_SOURCE_MOUNT_PATH, readOnly: true },
    ]);
    expect(pod.spec.volumes).toEqual([
      { name: 'cdi-data-vol', persistentVolumeClaim: { claimName: 'fedora-40', readOnly: true } },
    ]);
  });

  it('attaches a Block source as a device', () => {
    const pod = cloneSourcePod({ ...base, sourceVolumeMode: 'Block' }) as {
      spec: { containers: Record<string, unknown>[] };
    };
    expect(pod.spec.containers[0].volumeDevices).toEqual([
      { name: 'cdi-data-vol', devicePath: '/dev/cdi-block-volume' },
    ]);
    expect(pod.spec.containers[0].volumeMounts).toBeUndefined();
  });

  it('names every bad input at once', () => {
    expect(() =>
      cloneSourcePod({
        ...base,
        source: { namespace: 'Bad_NS', claim: 'x' },
        target: { namespace: 'team-a', claim: '../etc', uid: '' },
        image: '',
      }),
    ).toThrow(
      'cloneSourcePod: source.namespace "Bad_NS" is not a valid namespace; target.claim "../etc" is not a valid PersistentVolumeClaim name; target.uid "" is not a uid; build the pod from the stored claim; image is empty',
    );
  });
});
