import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { guestTopology, preferredTopology, spreadConflict, spreadOptions } from './cpu-topology';

type Topology = NonNullable<NonNullable<VirtualMachinePreferenceSpec['cpu']>['preferredCPUTopology']>;
const pref = (
  topology?: Topology,
  extra: VirtualMachinePreferenceSpec = {},
): VirtualMachinePreferenceSpec => ({
  ...extra,
  cpu: { ...extra.cpu, ...(topology ? { preferredCPUTopology: topology } : {}) },
});

describe('the preferred topology', () => {
  test.each([
    [undefined, 'sockets'],
    ['sockets', 'sockets'],
    ['preferSockets', 'sockets'],
    ['cores', 'cores'],
    ['preferCores', 'cores'],
    ['threads', 'threads'],
    ['preferThreads', 'threads'],
    ['spread', 'spread'],
    ['preferSpread', 'spread'],
    ['any', 'any'],
    ['preferAny', 'any'],
  ] as const)('%p means %p', (written, meant) => {
    expect(preferredTopology(pref(written))).toBe(meant);
  });

  test('no preference at all means sockets', () => {
    expect(preferredTopology(undefined)).toBe('sockets');
  });
});

describe('vCPUs laid out as the preference says', () => {
  test.each([
    ['no preference', undefined, 4, { sockets: 4, cores: 1, threads: 1 }],
    ['sockets', pref('sockets'), 4, { sockets: 4, cores: 1, threads: 1 }],
    ['any (as sockets)', pref('any'), 4, { sockets: 4, cores: 1, threads: 1 }],
    ['cores', pref('cores'), 4, { sockets: 1, cores: 4, threads: 1 }],
    ['threads', pref('threads'), 4, { sockets: 1, cores: 1, threads: 4 }],
    ['spread, default ratio 2 across SocketsCores', pref('spread'), 8, { sockets: 4, cores: 2, threads: 1 }],
    [
      'spread with the deprecated ratio',
      pref('preferSpread', { preferSpreadSocketToCoreRatio: 4 }),
      8,
      { sockets: 2, cores: 4, threads: 1 },
    ],
    [
      'spread across CoresThreads',
      pref('spread', { cpu: { spreadOptions: { across: 'CoresThreads' } } }),
      8,
      { sockets: 1, cores: 4, threads: 2 },
    ],
    [
      'spread across SocketsCoresThreads, ratio 2',
      pref('spread', { cpu: { spreadOptions: { across: 'SocketsCoresThreads', ratio: 2 } } }),
      16,
      { sockets: 4, cores: 2, threads: 2 },
    ],
    ['one vCPU is always 1/1/1', pref('cores'), 1, { sockets: 1, cores: 1, threads: 1 }],
  ])('%s', (_what, preference, vcpus, topology) => {
    expect(guestTopology(vcpus, preference)).toEqual(topology);
  });

  test('spreadOptions.ratio wins over the deprecated field', () => {
    expect(spreadOptions({ preferSpreadSocketToCoreRatio: 4, cpu: { spreadOptions: { ratio: 3 } } })).toEqual(
      { ratio: 3, across: 'SocketsCores' },
    );
  });
});

describe('a spread the vCPUs do not divide is a conflict, in KubeVirt’s words', () => {
  test.each([
    [
      'SocketsCores',
      pref('spread', { cpu: { spreadOptions: { ratio: 4 } } }),
      6,
      '6 vCPUs provided by the instance type are not divisible by the Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio of 4 provided by the preference',
    ],
    [
      'CoresThreads',
      pref('spread', { cpu: { spreadOptions: { across: 'CoresThreads' } } }),
      3,
      '3 vCPUs provided by the instance type are not divisible by the number of threads per core 2',
    ],
    [
      'SocketsCoresThreads',
      pref('spread', { cpu: { spreadOptions: { across: 'SocketsCoresThreads', ratio: 3 } } }),
      8,
      '8 vCPUs provided by the instance type are not divisible by the number of threads per core 2 and Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio of 3',
    ],
    [
      'one vCPU with the default ratio',
      pref('spread'),
      1,
      '1 vCPUs provided by the instance type are not divisible by the Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio of 2 provided by the preference',
    ],
  ])('%s', (_what, preference, vcpus, message) => {
    expect(spreadConflict(vcpus, preference)).toMatchObject({
      field: 'instancetype.spec.cpu.guest',
      message,
    });
  });

  test('no conflict when it divides, or when the topology is not spread', () => {
    expect(spreadConflict(8, pref('spread'))).toBeUndefined();
    expect(spreadConflict(3, pref('cores'))).toBeUndefined();
  });
});
