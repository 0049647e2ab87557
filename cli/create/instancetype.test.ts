import { createInstancetype, type CreateInstancetypeOptions } from './instancetype';
import { expectValid, usageProblems } from './testing.test-helper';

const fixed = (length: number) => 'x'.repeat(length);

const problems = (opts: CreateInstancetypeOptions): string[] =>
  usageProblems(() => createInstancetype(opts, fixed));

describe('create instancetype', () => {
  test('a VirtualMachineClusterInstancetype with a generated name, by default', () => {
    const it = createInstancetype({ cpu: '2', memory: '4Gi' });
    expect(it.metadata?.name).toMatch(/^clusterinstancetype-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(it).toEqual({
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineClusterInstancetype',
      metadata: { name: it.metadata?.name },
      spec: { cpu: { guest: 2 }, memory: { guest: '4Gi' } },
    });
    expectValid(it);
  });

  test('--namespaced, or -n, makes a VirtualMachineInstancetype (instancetype-xxxxx)', () => {
    const namespaced = createInstancetype({ cpu: '1', memory: '1Gi', namespaced: true }, fixed);
    expect(namespaced.kind).toBe('VirtualMachineInstancetype');
    expect(namespaced.metadata).toEqual({ name: 'instancetype-xxxxx' });
    const inNs = createInstancetype({ cpu: '1', memory: '1Gi', namespace: 'team-a', name: 'small' }, fixed);
    expect(inNs.kind).toBe('VirtualMachineInstancetype');
    expect(inNs.metadata).toEqual({ name: 'small', namespace: 'team-a' });
    expectValid(namespaced);
    expectValid(inNs);
  });

  test('--gpu, --hostdevice and --iothreadspolicy fill the spec', () => {
    const it = createInstancetype(
      {
        name: 'gpu-large',
        cpu: '8',
        memory: '32Gi',
        gpu: ['name:gpu1,devicename:nvidia.com/TU104GL_Tesla_T4', 'devicename:nvidia.com/A100,name:gpu2'],
        hostdevice: ['name:nic,devicename:intel.com/sriov'],
        iothreadspolicy: 'shared',
      },
      fixed,
    );
    expect(it.spec).toEqual({
      cpu: { guest: 8 },
      memory: { guest: '32Gi' },
      gpus: [
        { name: 'gpu1', deviceName: 'nvidia.com/TU104GL_Tesla_T4' },
        { name: 'gpu2', deviceName: 'nvidia.com/A100' },
      ],
      hostDevices: [{ name: 'nic', deviceName: 'intel.com/sriov' }],
      ioThreadsPolicy: 'shared',
    });
    expectValid(it);
  });

  test('--cpu and --memory are required, as virtctl requires them', () => {
    expect(problems({})).toEqual([
      'required flag(s) --cpu and --memory not set; an instancetype states its size, for example --cpu 2 --memory 4Gi',
    ]);
    expect(problems({ cpu: '2' })[0]).toMatch(/^required flag\(s\) --memory not set/);
  });

  test('every bad value is named with its flag, all at once', () => {
    expect(
      problems({
        name: 'Big!',
        cpu: '0',
        memory: '-1Gi',
        gpu: ['name:g'],
        hostdevice: ['devicename:x'],
        iothreadspolicy: 'supplementalPool',
      }),
    ).toEqual([
      "--name \"Big!\": must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (for example 'example.com')",
      '--cpu "0": cpu value must be greater than zero',
      '--memory "-1Gi": not more than zero; write a size such as 1Gi',
      '--gpu "name:g": deviceName must be specified, for example devicename:nvidia.com/TU104GL_Tesla_T4',
      '--hostdevice "devicename:x": name must be specified, for example name:gpu1',
      '--iothreadspolicy "supplementalPool": IOThread must be of value auto or shared',
    ]);
    expect(problems({ cpu: 'two', memory: '1Gi' })).toEqual([
      '--cpu "two": not a whole number of vCPUs; write it like --cpu 2',
    ]);
    expect(
      problems({ cpu: '1', memory: '1Gi', gpu: ['name:g,devicename:a', 'name:g,devicename:b'] })[0],
    ).toMatch(/name g is used twice/);
    expect(problems({ cpu: '1', memory: '1Gi', gpu: ['name:g,devicename:a,vendor:x'] })[0]).toMatch(
      /unknown param\(s\) vendor; the supported ones are name, devicename/,
    );
  });
});
