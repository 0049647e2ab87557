import { parseQuantity } from '../quantity';
import {
  CX1,
  INSTANCETYPE_SERIES,
  INSTANCETYPE_SIZES,
  M1,
  O1,
  U1,
  instancetypeLabelsFor,
  instancetypeSpecFor,
  parseInstancetypeName,
} from './series';

const GI = 1024 ** 3;

// The published catalogue: vCPUs per size and GiB per vCPU of each series.
const CPUS: Record<string, number> = {
  nano: 1,
  micro: 1,
  small: 1,
  medium: 1,
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
};
const MEMORY_AT_MEDIUM_GI: Record<string, number> = { u1: 4, o1: 4, cx1: 2, m1: 8 };
const STEPS_FROM_MEDIUM: Record<string, number> = {
  nano: -3,
  micro: -2,
  small: -1,
  medium: 0,
  large: 1,
  xlarge: 2,
  '2xlarge': 3,
  '4xlarge': 4,
  '8xlarge': 5,
};

const grid = INSTANCETYPE_SERIES.flatMap((s) => INSTANCETYPE_SIZES.map((size) => [s.name, size] as const));

describe('instancetype series', () => {
  test('the library has 4 series x 9 sizes', () => {
    expect(INSTANCETYPE_SERIES.map((s) => s.name)).toEqual(['u1', 'o1', 'cx1', 'm1']);
    expect(grid).toHaveLength(36);
  });

  test.each(grid)('%s.%s has the published vCPUs and memory', (seriesName, size) => {
    const series = INSTANCETYPE_SERIES.find((s) => s.name === seriesName)!;
    const spec = instancetypeSpecFor(series, size);
    expect(spec.cpu.guest).toBe(CPUS[size]);
    const expectedBytes = MEMORY_AT_MEDIUM_GI[seriesName] * GI * 2 ** STEPS_FROM_MEDIUM[size];
    expect(parseQuantity(spec.memory.guest)).toBe(expectedBytes);
  });

  test.each([
    ['u1', 'medium', 1, '4Gi'],
    ['u1', 'nano', 1, '512Mi'],
    ['o1', '2xlarge', 8, '32Gi'],
    ['cx1', 'large', 2, '4Gi'],
    ['m1', '8xlarge', 32, '256Gi'],
  ])('%s.%s is written as upstream writes it', (seriesName, size, cpus, memory) => {
    const series = INSTANCETYPE_SERIES.find((s) => s.name === seriesName)!;
    const spec = instancetypeSpecFor(series, size);
    expect(spec.cpu.guest).toBe(cpus);
    expect(spec.memory.guest).toBe(memory);
  });

  test('ratios from medium up are 1:4 (u1, o1), 1:2 (cx1), 1:8 (m1)', () => {
    for (const size of ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge']) {
      for (const [series, ratio] of [
        [U1, 4],
        [O1, 4],
        [CX1, 2],
        [M1, 8],
      ] as const) {
        const spec = instancetypeSpecFor(series, size);
        expect(parseQuantity(spec.memory.guest)! / GI / spec.cpu.guest).toBe(ratio);
      }
    }
  });

  test('series traits: o1 overcommits, cx1 dedicates CPUs with hugepages, m1 uses hugepages, u1 has none', () => {
    expect(instancetypeSpecFor(U1, 'large')).toEqual({ cpu: { guest: 2 }, memory: { guest: '8Gi' } });
    expect(instancetypeSpecFor(O1, 'large').memory.overcommitPercent).toBe(50);
    expect(instancetypeSpecFor(CX1, 'large')).toEqual({
      cpu: {
        guest: 2,
        dedicatedCPUPlacement: true,
        isolateEmulatorThread: true,
        numa: { guestMappingPassthrough: {} },
      },
      memory: { guest: '4Gi', hugepages: { pageSize: '2Mi' } },
      ioThreadsPolicy: 'auto',
    });
    expect(instancetypeSpecFor(M1, 'large').memory.hugepages).toEqual({ pageSize: '2Mi' });
  });

  test('labels carry class, cpu, memory and size', () => {
    expect(instancetypeLabelsFor(M1, 'xlarge')).toEqual({
      'instancetype.kubevirt.io/class': 'memory.intensive',
      'instancetype.kubevirt.io/cpu': '4',
      'instancetype.kubevirt.io/memory': '32Gi',
      'instancetype.kubevirt.io/size': 'xlarge',
      'instancetype.kubevirt.io/version': '1',
    });
  });

  test('names parse, and bad names say what is allowed', () => {
    expect(parseInstancetypeName('cx1.4xlarge').series).toBe(CX1);
    expect(() => parseInstancetypeName('z9.medium')).toThrow(/series one of u1, o1, cx1, m1/);
    expect(() => parseInstancetypeName('u1.huge')).toThrow(/no size "huge".*nano, micro/);
  });
});
