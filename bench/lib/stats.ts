/** Small statistics shared by the benchmarks. */

/** The median of the samples (the upper middle one for an even count); NaN when there are none. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
