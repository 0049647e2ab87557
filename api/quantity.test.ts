import { formatBytes, parseQuantity } from './quantity';

describe('parseQuantity', () => {
  it.each([
    ['1Gi', 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1G', 1e9],
    ['500m', 0.5],
    ['2', 2],
    [3, 3],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1e3', 1000],
  ])('reads %p', (input, expected) => {
    expect(parseQuantity(input)).toBeCloseTo(expected as number);
  });

  it.each(['1GG', 'abc', '', '1 Gi', null, {}])('rejects %p', (input) => {
    expect(parseQuantity(input)).toBeUndefined();
  });

  it('formats bytes as the largest exact binary unit', () => {
    expect(formatBytes(2 ** 30)).toBe('1Gi');
    expect(formatBytes(1536 * 2 ** 20)).toBe('1536Mi');
    expect(formatBytes(1000)).toBe('1000');
  });
});
