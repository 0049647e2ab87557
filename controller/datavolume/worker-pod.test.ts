import { claimOf, dataVolume, httpSpec } from './fixtures.test-helper';
import { renderWorkerPod } from './worker-pod';

const envOf = (pod: ReturnType<typeof renderWorkerPod>) =>
  (pod.spec.containers as { env: { name: string; value?: string; valueFrom?: unknown }[] }[])[0].env;

describe('renderWorkerPod', () => {
  test('http: the contract env, the claim at /data, owned by the claim, OnFailure, virtkit image', () => {
    const dv = dataVolume(
      httpSpec({
        source: {
          http: {
            url: 'https://e.test/d.img',
            secretRef: 'creds',
            certConfigMap: 'ca',
            extraHeaders: ['X-A: 1', 'X-B: 2'],
          },
        },
      }),
    );
    const pod = renderWorkerPod({
      dv,
      claim: claimOf(dv, 'Bound'),
      source: { type: 'import', kind: 'http' },
      overhead: 0.055,
      image: 'virtkit:dev',
    });
    expect(pod.metadata.name).toBe('importer-disk');
    expect(pod.metadata.labels).toEqual({
      app: 'containerized-data-importer',
      'cdi.kubevirt.io': 'importer',
      'cdi.kubevirt.io/storage.import.importPvcName': 'disk',
    });
    expect(pod.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        name: 'disk',
        uid: 'claim-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod.spec.restartPolicy).toBe('OnFailure');
    const c = (pod.spec.containers as Record<string, unknown>[])[0];
    expect(c).toMatchObject({ name: 'importer', image: 'virtkit:dev', args: ['importer'] });
    expect(envOf(pod)).toEqual([
      { name: 'IMPORTER_SOURCE', value: 'http' },
      { name: 'IMPORTER_ENDPOINT', value: 'https://e.test/d.img' },
      { name: 'IMPORTER_CONTENTTYPE', value: 'kubevirt' },
      { name: 'IMPORTER_IMAGE_SIZE', value: '1136234735' },
      { name: 'OWNER_UID', value: 'dv-uid' },
      { name: 'FILESYSTEM_OVERHEAD', value: '0.055' },
      { name: 'IMPORTER_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'creds', key: 'accessKeyId' } } },
      { name: 'IMPORTER_SECRET_KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'secretKey' } } },
      { name: 'IMPORTER_CERT_DIR', value: '/certs' },
      { name: 'IMPORTER_EXTRA_HEADER_0', value: 'X-A: 1' },
      { name: 'IMPORTER_EXTRA_HEADER_1', value: 'X-B: 2' },
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'cdi-data-vol', mountPath: '/data' },
      { name: 'cdi-cert-vol', mountPath: '/certs', readOnly: true },
    ]);
    expect(pod.spec.volumes).toEqual([
      { name: 'cdi-data-vol', persistentVolumeClaim: { claimName: 'disk' } },
      { name: 'cdi-cert-vol', configMap: { name: 'ca' } },
    ]);
    // No credential value is ever literal in the pod.
    for (const e of envOf(pod).filter((x) => /KEY/.test(x.name))) expect(e.value).toBeUndefined();
  });

  test('registry, blank and clone sources', () => {
    const reg = dataVolume({
      source: { registry: { url: 'docker://r.test/i:1', secretRef: 'pull' } },
      storage: { resources: { requests: { storage: '1Gi' } } },
    });
    const r = renderWorkerPod({
      dv: reg,
      claim: claimOf(reg, 'Bound'),
      source: { type: 'import', kind: 'registry' },
      overhead: 0.055,
    });
    expect(envOf(r).slice(0, 2)).toEqual([
      { name: 'IMPORTER_SOURCE', value: 'registry' },
      { name: 'IMPORTER_ENDPOINT', value: 'docker://r.test/i:1' },
    ]);
    expect(envOf(r).filter((e) => e.valueFrom)).toHaveLength(2);
    expect((r.spec.containers as { image: string }[])[0].image).toBe('virtkit/launcher:latest');

    const blank = dataVolume({
      source: { blank: {} },
      storage: { resources: { requests: { storage: '1Gi' } } },
    });
    const b = renderWorkerPod({
      dv: blank,
      claim: claimOf(blank, 'Bound'),
      source: { type: 'import', kind: 'blank' },
      overhead: 0.055,
    });
    expect(envOf(b)[0]).toEqual({ name: 'IMPORTER_SOURCE', value: 'none' });
    expect(envOf(b).some((e) => e.name === 'IMPORTER_ENDPOINT')).toBe(false);

    const clone = dataVolume({ source: { pvc: { namespace: 'ns', name: 'golden' } }, storage: {} });
    const c = renderWorkerPod({
      dv: clone,
      claim: claimOf(clone, 'Bound'),
      source: { type: 'clone', namespace: 'ns', name: 'golden' },
      overhead: 0.055,
    });
    expect(envOf(c)[0]).toEqual({ name: 'IMPORTER_SOURCE', value: 'pvc' });
    expect(c.spec.volumes).toContainEqual({
      name: 'cdi-source-vol',
      persistentVolumeClaim: { claimName: 'golden', readOnly: true },
    });
    expect((c.spec.containers as { volumeMounts: unknown[] }[])[0].volumeMounts).toContainEqual({
      name: 'cdi-source-vol',
      mountPath: '/source',
      readOnly: true,
    });
  });

  test('a Block claim: the device at /dev/cdi-block-volume, no /data mount, no FILESYSTEM_OVERHEAD', () => {
    const dv = dataVolume(
      httpSpec({ storage: { volumeMode: 'Block', resources: { requests: { storage: '1Gi' } } } }),
    );
    const base = claimOf(dv, 'Bound');
    const claim = {
      ...base,
      spec: { ...base.spec, volumeMode: 'Block', resources: { requests: { storage: '1Gi' } } },
    };
    const pod = renderWorkerPod({ dv, claim, source: { type: 'import', kind: 'http' }, overhead: 0.055 });
    const c = (pod.spec.containers as Record<string, unknown>[])[0];
    expect(c.volumeDevices).toEqual([{ name: 'cdi-data-vol', devicePath: '/dev/cdi-block-volume' }]);
    expect(c.volumeMounts).toBeUndefined();
    expect(pod.spec.volumes).toEqual([
      { name: 'cdi-data-vol', persistentVolumeClaim: { claimName: 'disk' } },
    ]);
    expect(envOf(pod).map((e) => e.name)).not.toContain('FILESYSTEM_OVERHEAD');
    expect(envOf(pod)).toContainEqual({ name: 'IMPORTER_IMAGE_SIZE', value: '1Gi' });

    // A clone between Block claims: both are devices; a Filesystem source stays mounted at /source.
    const clone = dataVolume({
      source: { pvc: { namespace: 'ns', name: 'golden' } },
      storage: { volumeMode: 'Block' },
    });
    const both = renderWorkerPod({
      dv: clone,
      claim,
      source: { type: 'clone', namespace: 'ns', name: 'golden' },
      overhead: 0.055,
      sourceVolumeMode: 'Block',
    });
    const bc = (both.spec.containers as Record<string, unknown>[])[0];
    expect(bc.volumeDevices).toEqual([
      { name: 'cdi-data-vol', devicePath: '/dev/cdi-block-volume' },
      { name: 'cdi-source-vol', devicePath: '/dev/cdi-source-block-volume' },
    ]);
    expect(bc.volumeMounts).toBeUndefined();
    const mixed = renderWorkerPod({
      dv: clone,
      claim,
      source: { type: 'clone', namespace: 'ns', name: 'golden' },
      overhead: 0.055,
    });
    const mc = (mixed.spec.containers as Record<string, unknown>[])[0];
    expect(mc.volumeDevices).toEqual([{ name: 'cdi-data-vol', devicePath: '/dev/cdi-block-volume' }]);
    expect(mc.volumeMounts).toEqual([{ name: 'cdi-source-vol', mountPath: '/source', readOnly: true }]);
  });
});
