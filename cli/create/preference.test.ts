import { PREFERRED_CPU_TOPOLOGIES } from '../../api/instancetype/v1beta1';
import { createPreference, type CreatePreferenceOptions } from './preference';
import { expectValid, usageProblems } from './testing.test-helper';

const fixed = (length: number) => 'x'.repeat(length);

const problems = (opts: CreatePreferenceOptions): string[] =>
  usageProblems(() => createPreference(opts, fixed));

describe('create preference', () => {
  test('a VirtualMachineClusterPreference with a generated name and an empty spec, by default', () => {
    const p = createPreference({});
    expect(p.metadata?.name).toMatch(/^clusterpreference-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(p).toEqual({
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineClusterPreference',
      metadata: { name: p.metadata?.name },
      spec: {},
    });
    expectValid(p);
  });

  test('--namespaced or -n makes a VirtualMachinePreference; the flags fill its spec', () => {
    const p = createPreference(
      {
        namespace: 'team-a',
        cpuTopology: 'spread',
        volumeStorageClass: 'local-path',
        machineType: 'pc-q35-9.2',
      },
      fixed,
    );
    expect(p).toEqual({
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachinePreference',
      metadata: { name: 'preference-xxxxx', namespace: 'team-a' },
      spec: {
        cpu: { preferredCPUTopology: 'spread' },
        volumes: { preferredStorageClassName: 'local-path' },
        machine: { preferredMachineType: 'pc-q35-9.2' },
      },
    });
    expectValid(p);
    expect(createPreference({ namespaced: true }, fixed).kind).toBe('VirtualMachinePreference');
  });

  test.each(PREFERRED_CPU_TOPOLOGIES)('--cpu-topology %s is taken and validates', (topology) => {
    const p = createPreference({ cpuTopology: topology, name: 'p' });
    expect(p.spec.cpu).toEqual({ preferredCPUTopology: topology });
    expectValid(p);
  });

  test('bad values are named with their flag, all at once', () => {
    expect(
      problems({ cpuTopology: 'numa', volumeStorageClass: 'Fast SSD', machineType: 'q35,accel=kvm' }),
    ).toEqual([
      '--cpu-topology "numa": CPU topology must have a value of sockets, cores, threads, spread or any (preferSockets, preferCores, preferThreads, preferSpread and preferAny are the deprecated spellings)',
      "--volume-storage-class \"Fast SSD\": not a StorageClass name: must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (for example 'example.com')",
      '--machine-type "q35,accel=kvm": not a machine type; write a QEMU machine type such as q35 or pc-q35-rhel9.6.0',
    ]);
    expect(problems({ name: '' })).toEqual([
      '--name "": must not be empty; give a name, or leave --name out for a generated one',
    ]);
  });
});
