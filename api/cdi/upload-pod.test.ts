import { uploadPodName, uploadPodObservation, uploadServerPod } from './upload-pod';
import {
  CDI_COMPONENT_LABEL,
  CDI_UPLOAD_SERVER_COMPONENT,
  DATA_VOLUME_NAME,
  UPLOAD_SERVER_CONTAINER,
  UploadEnv,
} from './worker-pod';

const claim = { name: 'disk', namespace: 'ns', uid: 'u-1', requestedStorage: '1Gi' };

describe('uploadPodName', () => {
  it("is CDI's cdi-upload-<claim>", () => {
    expect(uploadPodName('fedora')).toBe('cdi-upload-fedora');
  });
  it('stays within 63 characters and tells long names apart', () => {
    const a = uploadPodName('a'.repeat(80));
    const b = uploadPodName(`${'a'.repeat(79)}b`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a.startsWith('cdi-upload-aaa')).toBe(true);
  });
});

describe('uploadServerPod', () => {
  it("has CDI's labels, owner, container, volume and environment", () => {
    const pod = uploadServerPod({ claim, image: 'virtkit:dev', filesystemOverhead: '0.055' }) as {
      metadata: {
        name: string;
        labels: Record<string, string>;
        ownerReferences: { uid: string; controller: boolean }[];
      };
      spec: {
        restartPolicy: string;
        containers: { name: string; env: { name: string; value: string }[] }[];
        volumes: { name: string; persistentVolumeClaim: { claimName: string } }[];
      };
    };
    expect(pod.metadata.name).toBe('cdi-upload-disk');
    expect(pod.metadata.labels).toEqual({
      app: 'containerized-data-importer',
      [CDI_COMPONENT_LABEL]: CDI_UPLOAD_SERVER_COMPONENT,
      service: 'cdi-upload-disk',
      'cdi.kubevirt.io/uploadTarget': 'u-1',
    });
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ uid: 'u-1', controller: true });
    expect(pod.spec.restartPolicy).toBe('OnFailure');
    expect(pod.spec.containers[0].name).toBe(UPLOAD_SERVER_CONTAINER);
    const env = Object.fromEntries(pod.spec.containers[0].env.map((e) => [e.name, e.value]));
    expect(env).toEqual({
      [UploadEnv.imageSize]: '1Gi',
      [UploadEnv.filesystemOverhead]: '0.055',
      [UploadEnv.preallocation]: 'false',
    });
    expect(pod.spec.volumes).toEqual([
      { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'disk', readOnly: false } },
    ]);
  });
  it('a Block claim is the device /dev/cdi-block-volume, with no filesystem overhead', () => {
    const pod = uploadServerPod({ claim, image: 'virtkit:dev', block: true }) as {
      spec: { containers: Record<string, unknown>[] };
    };
    const c = pod.spec.containers[0];
    expect(c.volumeDevices).toEqual([{ name: DATA_VOLUME_NAME, devicePath: '/dev/cdi-block-volume' }]);
    expect(c.volumeMounts).toBeUndefined();
    expect((c.env as { name: string }[]).map((e) => e.name)).not.toContain(UploadEnv.filesystemOverhead);
    expect(() => uploadServerPod({ claim, image: 'x', block: true, filesystemOverhead: '0.055' })).toThrow(
      /filesystemOverhead is given for a Block claim/,
    );
    const fsPod = uploadServerPod({ claim, image: 'x' }) as {
      spec: { containers: Record<string, unknown>[] };
    };
    expect(fsPod.spec.containers[0].volumeMounts).toEqual([{ name: DATA_VOLUME_NAME, mountPath: '/data' }]);
    expect(fsPod.spec.containers[0].volumeDevices).toBeUndefined();
  });
  it('gathers every bad input into one error', () => {
    expect(() =>
      uploadServerPod({
        claim: { name: 'Bad_Name', namespace: 'ns', uid: '', requestedStorage: 'lots' },
        image: 'x',
        filesystemOverhead: '2',
      }),
    ).toThrow(/claim.name .*claim.uid .*requestedStorage .*filesystemOverhead/);
  });
});

describe('uploadPodObservation', () => {
  const ready = [{ type: 'Ready', status: 'True' }];
  it("maps the pod to the DataVolume's phase and CDI's claim annotations", () => {
    expect(
      uploadPodObservation({ metadata: { name: 'cdi-upload-d' }, status: { phase: 'Pending' } }),
    ).toEqual({
      phase: 'UploadScheduled',
      claimAnnotations: {
        'cdi.kubevirt.io/storage.pod.phase': 'Pending',
        'cdi.kubevirt.io/storage.pod.ready': 'false',
        'cdi.kubevirt.io/storage.pod.restarts': '0',
        'cdi.kubevirt.io/storage.uploadPodName': 'cdi-upload-d',
      },
    });
    expect(
      uploadPodObservation({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } })
        .phase,
    ).toBe('UploadScheduled');
    const r = uploadPodObservation({
      status: { phase: 'Running', conditions: ready, containerStatuses: [{ restartCount: 2 }] },
    });
    expect(r.phase).toBe('UploadReady');
    expect(r.claimAnnotations['cdi.kubevirt.io/storage.pod.ready']).toBe('true');
    expect(r.claimAnnotations['cdi.kubevirt.io/storage.pod.restarts']).toBe('2');
    expect(uploadPodObservation({ status: { phase: 'Succeeded' } })).toMatchObject({
      phase: 'Succeeded',
      claimAnnotations: {
        'cdi.kubevirt.io/storage.pod.phase': 'Succeeded',
        'cdi.kubevirt.io/storage.pod.ready': 'false',
      },
    });
    expect(uploadPodObservation({ status: { phase: 'Failed' } }).phase).toBe('Failed');
  });
});
