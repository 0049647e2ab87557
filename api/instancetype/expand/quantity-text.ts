/**
 * Quantities as KubeVirt prints them. Go's resource.Quantity remembers the notation a quantity
 * was written in (binary suffixes, decimal suffixes, or an exponent) and prints its canonical
 * form in that notation: `1024Mi` comes back as `1Gi`, `64000k` as `64M`. KubeVirt's messages
 * about memory (preference requirements) and the memory request it computes for an overcommitted
 * instancetype are written that way, so virtkit writes them the same. Pure.
 */
import { parseQuantity } from '../../quantity';

export type QuantityNotation = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_SUFFIXES: Readonly<Record<number, string>> = {
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};

/** The notation a written quantity uses: binary suffix, exponent, or decimal (suffix or none). */
export function quantityNotation(written: string | number): QuantityNotation {
  if (typeof written === 'number') return 'DecimalSI';
  if (/[KMGTPE]i$/.test(written)) return 'BinarySI';
  if (/\d[eE][+-]?\d+$/.test(written)) return 'DecimalExponent';
  return 'DecimalSI';
}

/** Strips factors of `base` (at most `max` of them): 3072 in base 1024 is 3 and 1. */
function strip(value: number, base: number, max: number): { mantissa: number; times: number } {
  let mantissa = value;
  let times = 0;
  while (times < max && mantissa !== 0 && mantissa % base === 0) {
    mantissa /= base;
    times++;
  }
  return { mantissa, times };
}

/**
 * The canonical text of a whole number of base units in a notation, as Go prints it; undefined
 * for values it would print with a fraction (milli and smaller), which callers leave as written.
 */
export function formatQuantity(value: number, notation: QuantityNotation): string | undefined {
  if (!Number.isSafeInteger(value)) return undefined;
  // Go prints binary quantities below 1024 in decimal notation ("avoids confusion").
  if (notation === 'BinarySI' && Math.abs(value) >= 1024) {
    const { mantissa, times } = strip(value, 1024, BINARY_SUFFIXES.length - 1);
    return `${mantissa}${BINARY_SUFFIXES[times]}`;
  }
  const { times } = strip(value, 10, 18);
  const exponent = Math.floor(times / 3) * 3;
  const mantissa = value / 10 ** exponent;
  if (notation === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  return `${mantissa}${DECIMAL_SUFFIXES[exponent]}`;
}

/** A written quantity in its canonical form (`1024Mi` -> `1Gi`); as written when it has no whole form. */
export function canonicalQuantity(written: string | number): string {
  const value = parseQuantity(written);
  const text = value === undefined ? undefined : formatQuantity(value, quantityNotation(written));
  return text ?? String(written);
}
