import type { VirtualMachine } from '../../api/kubevirt/v1';
import { InferenceError, inferFromVolume, withInferred, type VolumeSources } from './infer-from-volume';

const IT = 'instancetype.kubevirt.io/default-instancetype';
const IT_KIND = 'instancetype.kubevirt.io/default-instancetype-kind';
const PREF = 'instancetype.kubevirt.io/default-preference';

type Obj = { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };

/** What the walk may read, by "kind/namespace/name". */
function sources(objects: Record<string, Obj>): VolumeSources & { reads: string[] } {
  const reads: string[] = [];
  const read = (kind: string) => async (ns: string, name: string) => {
    reads.push(`${kind}/${ns}/${name}`);
    return objects[`${kind}/${ns}/${name}`] as never;
  };
  return { reads, pvc: read('pvc'), dataVolume: read('dv'), dataSource: read('ds') };
}

function vm(volume: Record<string, unknown>, extra: Partial<VirtualMachine['spec']> = {}): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'ns' },
    spec: {
      instancetype: { inferFromVolume: 'root' },
      preference: { inferFromVolume: 'root' },
      template: { spec: { domain: { devices: {} }, volumes: [{ name: 'root', ...volume }] } },
      ...extra,
    },
  };
}

const labelled = (labels: Record<string, string>, spec?: Record<string, unknown>): Obj => ({
  metadata: { labels },
  ...(spec ? { spec } : {}),
});

describe('inferFromVolume (KubeVirt’s chains)', () => {
  test('a PVC’s labels name the instancetype (and kind) and the preference', async () => {
    const src = sources({
      'pvc/ns/disk': labelled({
        [IT]: 'u1.small',
        [IT_KIND]: 'VirtualMachineInstancetype',
        [PREF]: 'fedora',
      }),
    });
    const v = vm({ persistentVolumeClaim: { claimName: 'disk' } });
    await expect(inferFromVolume(v, 'instancetype', src)).resolves.toEqual({
      name: 'u1.small',
      kind: 'VirtualMachineInstancetype',
    });
    await expect(inferFromVolume(v, 'preference', src)).resolves.toEqual({ name: 'fedora' });
  });

  test('a DataVolume: its labels first, else its source PVC; a collected DataVolume: the PVC of its name', async () => {
    const v = vm({ dataVolume: { name: 'dv' } });
    await expect(
      inferFromVolume(v, 'instancetype', sources({ 'dv/ns/dv': labelled({ [IT]: 'from-dv' }) })),
    ).resolves.toEqual({ name: 'from-dv' });
    await expect(
      inferFromVolume(
        v,
        'instancetype',
        sources({
          'dv/ns/dv': labelled({}, { source: { pvc: { name: 'golden', namespace: 'images' } } }),
          'pvc/images/golden': labelled({ [IT]: 'from-source-pvc' }),
        }),
      ),
    ).resolves.toEqual({ name: 'from-source-pvc' });
    await expect(
      inferFromVolume(v, 'instancetype', sources({ 'pvc/ns/dv': labelled({ [IT]: 'from-pvc' }) })),
    ).resolves.toEqual({ name: 'from-pvc' });
  });

  test('a dataVolumeTemplate with a sourceRef: the DataSource’s labels, else its PVC', async () => {
    const v = vm(
      { dataVolume: { name: 'root-dv' } },
      {
        dataVolumeTemplates: [
          {
            metadata: { name: 'root-dv' },
            spec: { sourceRef: { kind: 'DataSource', name: 'fedora', namespace: 'os-images' }, storage: {} },
          },
        ] as never,
      },
    );
    await expect(
      inferFromVolume(v, 'preference', sources({ 'ds/os-images/fedora': labelled({ [PREF]: 'fedora' }) })),
    ).resolves.toEqual({ name: 'fedora' });
    const viaPvc = sources({
      'ds/os-images/fedora': labelled({}, { source: { pvc: { name: 'fedora-42' } } }),
      'pvc/os-images/fedora-42': labelled({ [PREF]: 'fedora-pvc' }),
    });
    await expect(inferFromVolume(v, 'preference', viaPvc)).resolves.toEqual({ name: 'fedora-pvc' });
    expect(viaPvc.reads).toEqual(['ds/os-images/fedora', 'pvc/os-images/fedora-42']);
  });

  test('failures in KubeVirt’s words, ignorable or not', async () => {
    const fail = async (v: VirtualMachine, objects: Record<string, Obj> = {}): Promise<InferenceError> => {
      try {
        await inferFromVolume(v, 'instancetype', sources(objects));
      } catch (err) {
        return err as InferenceError;
      }
      throw new Error('inference did not fail');
    };
    const noLabel = await fail(vm({ persistentVolumeClaim: { claimName: 'disk' } }), {
      'pvc/ns/disk': labelled({}),
    });
    expect(noLabel).toMatchObject({
      message: 'unable to find required instancetype.kubevirt.io/default-instancetype label on the volume',
      ignorable: true,
    });
    expect(await fail(vm({ persistentVolumeClaim: { claimName: 'disk' } }))).toMatchObject({
      message: 'persistentvolumeclaims "disk" not found',
      ignorable: false,
    });
    expect(await fail(vm({ containerDisk: { image: 'x' } }))).toMatchObject({
      message: 'unable to infer defaults from volume root as type is not supported',
      ignorable: true,
    });
    expect(
      await fail({ ...vm({}), spec: { ...vm({}).spec, instancetype: { inferFromVolume: 'nope' } } }),
    ).toMatchObject({
      message: 'unable to find volume nope to infer defaults',
      ignorable: false,
    });
    const blank = await fail(vm({ dataVolume: { name: 'dv' } }), {
      'dv/ns/dv': labelled({}, { source: { blank: {} } }),
    });
    expect(blank).toMatchObject({
      message: 'unable to infer defaults from DataVolumeSpec as DataVolumeSource is not supported',
      ignorable: true,
    });
  });
});

describe('withInferred', () => {
  test('matchers name what was found; an ignored one is dropped; Ignore drops the fallback memory', () => {
    const v = vm({ persistentVolumeClaim: { claimName: 'disk' } });
    v.spec.instancetype!.inferFromVolumeFailurePolicy = 'Ignore';
    v.spec.template.spec!.domain.memory = { guest: '1Gi' };
    const out = withInferred(v, { instancetype: { name: 'u1.small' }, preference: null });
    expect(out.spec.instancetype).toEqual({ name: 'u1.small' });
    expect(out.spec.preference).toBeUndefined();
    expect(out.spec.template.spec!.domain.memory).toBeUndefined();
    expect(v.spec.template.spec!.domain.memory).toEqual({ guest: '1Gi' }); // the input is untouched
    expect(withInferred(v, {})).toBe(v);
  });
});
