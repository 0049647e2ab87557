/**
 * Kubernetes resource quantities ("1Gi", "500m", "1e3", 2) as numbers. Pure; used by
 * validation, the launcher (guest memory) and the controller (pod resources).
 */
import { QUANTITY_PATTERN } from './schema/patterns';

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const quantityRe = new RegExp(QUANTITY_PATTERN);

/** The quantity's value in base units (bytes for memory, cores for cpu), or undefined when malformed. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !quantityRe.test(value)) return undefined;
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$/.exec(value);
  if (!match) return undefined;
  const [, num, suffix] = match;
  const n = Number(num);
  if (suffix in BINARY) return n * BINARY[suffix];
  if (suffix in DECIMAL) return n * DECIMAL[suffix];
  if (/^[eE][+-]?\d+(\.\d*)?$/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return undefined;
}

/** Bytes as a binary quantity string: 1073741824 -> "1Gi". */
export function formatBytes(bytes: number): string {
  for (const [suffix, factor] of Object.entries(BINARY).reverse()) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(bytes);
}
