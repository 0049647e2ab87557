import {
  ALIGN_BYTES,
  DEFAULT_FILESYSTEM_OVERHEAD,
  overheadProblem,
  requiredSpace,
  targetImageSize,
  usableSpace,
} from './size';

const Mi = ALIGN_BYTES;
const Gi = 1024 * Mi;

it("uses CDI's default overhead of 5.5% and 1 MiB alignment", () => {
  expect(DEFAULT_FILESYSTEM_OVERHEAD).toBe(0.055);
  // ceil(0.945 * 64 MiB) = 63417877 bytes, down to 60 MiB.
  expect(usableSpace(0.055, 64 * Mi)).toBe(60 * Mi);
  expect(usableSpace(0.055, 10 * Gi)).toBe(9676 * Mi);
  expect(usableSpace(0, 5 * Mi + 7)).toBe(5 * Mi);
});

it('the required claim and the usable space are inverses at 1 MiB granularity', () => {
  for (const overhead of [0, 0.055, 0.1, 0.5])
    for (const size of [1, Mi - 1, Mi, Mi + 1, 100 * Mi + 3, 10 * Gi]) {
      const claim = requiredSpace(overhead, size);
      expect(usableSpace(overhead, claim)).toBeGreaterThanOrEqual(size);
      expect(usableSpace(overhead, claim)).toBe(Math.ceil(size / Mi) * Mi);
    }
});

it('targets the smaller of the request and the free space', () => {
  expect(targetImageSize({ requestedBytes: 64 * Mi, availableBytes: Gi, overhead: 0.055 })).toBe(60 * Mi);
  expect(targetImageSize({ requestedBytes: Gi, availableBytes: 64 * Mi, overhead: 0.055 })).toBe(60 * Mi);
});

it('refuses overheads that are not a fraction', () => {
  expect(overheadProblem(0.055)).toBeUndefined();
  expect(overheadProblem(0)).toBeUndefined();
  for (const bad of [-0.1, 1, 5.5, NaN]) expect(overheadProblem(bad)).toMatch(/fraction in \[0, 1\)/);
});
