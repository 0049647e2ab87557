import { formatProgress, ProgressThrottle } from './progress';

it("formats CDI's status.progress: two decimals and a percent sign", () => {
  expect(formatProgress(0, 1000)).toBe('0.00%');
  expect(formatProgress(452, 1000)).toBe('45.20%');
  expect(formatProgress(1, 3)).toBe('33.33%');
  expect(formatProgress(999, 1000, true)).toBe('100.00%');
  expect(formatProgress(2000, 1000)).toBe('100.00%');
  expect(formatProgress(10, 0)).toBeUndefined(); // no Content-Length: N/A
});

it('reports the first value, then at most once per interval, and always the final one', () => {
  const t = new ProgressThrottle(1000);
  expect(t.next('0.00%', 0)).toBe('0.00%');
  expect(t.next('10.00%', 500)).toBeUndefined();
  expect(t.next('20.00%', 1000)).toBe('20.00%');
  expect(t.next('20.00%', 2500)).toBeUndefined(); // unchanged
  expect(t.next('100.00%', 2600, true)).toBe('100.00%');
  expect(t.next(undefined, 9999, true)).toBeUndefined();
});
