import { canonicalQuantity, formatQuantity, quantityNotation } from './quantity-text';

describe('quantities as Go prints them', () => {
  test.each([
    ['1024Mi', '1Gi'],
    ['2Gi', '2Gi'],
    ['1536Mi', '1536Mi'],
    ['1.5Gi', '1536Mi'],
    ['64M', '64M'],
    ['64000k', '64M'],
    ['1000000', '1M'],
    ['512Mi', '512Mi'],
    ['1e9', '1e9'],
    ['1000e6', '1e9'],
    [2147483648, '2147483648'],
    ['100m', '100m'],
    ['junk', 'junk'],
  ])('%p is written %p', (written, canonical) => {
    expect(canonicalQuantity(written)).toBe(canonical);
  });

  test('binary values below 1024, or not a multiple of it, come out as plain numbers', () => {
    expect(formatQuantity(512, 'BinarySI')).toBe('512');
    expect(formatQuantity(966367616, 'BinarySI')).toBe('966367616');
    expect(formatQuantity(57600000, 'DecimalSI')).toBe('57600k');
    expect(formatQuantity(0, 'DecimalSI')).toBe('0');
    expect(formatQuantity(0.5, 'DecimalSI')).toBeUndefined();
  });

  test('the notation follows the suffix', () => {
    expect(quantityNotation('1Gi')).toBe('BinarySI');
    expect(quantityNotation('1G')).toBe('DecimalSI');
    expect(quantityNotation('5e3')).toBe('DecimalExponent');
    expect(quantityNotation(7)).toBe('DecimalSI');
  });
});
