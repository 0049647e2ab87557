/**
 * The one place where a value becomes part of a QEMU argument. QEMU parses most options as
 * `key=value,key=value` where `,,` is a literal comma; a few (`-kernel`, `-initrd`,
 * `-append`, `-uuid`) take their argument as it is; `-cpu` splits on every comma with no
 * escape at all. A value from an object is tagged with the field it comes from
 * (`fromField`), checked against its rule, then escaped for its option kind. A value that
 * cannot be made safe is refused as a problem naming the field, never passed on.
 */
import { absoluteHostPathProblem, hasControl, relativePathProblem } from '../../api/host-path';
import type { ProblemList } from './errors';

/**
 * text: printable characters (commas are escaped where QEMU allows it, refused where not);
 * word: `[A-Za-z0-9._-]+` (CPU models and flags, which QEMU splits on commas);
 * path: an absolute, normalised host path (no protocol prefix such as json: or nbd:);
 * relative: `./name` under QEMU's own directory (no '..', nothing absolute).
 */
export type ValueRule = 'text' | 'word' | 'path' | 'relative';

/** A value from an object (or the node) and the field that names it in errors. */
export interface FieldValue {
  readonly value: string | number;
  readonly field: string;
  readonly rule: ValueRule;
}

export function fromField(value: string | number, field: string, rule: ValueRule = 'text'): FieldValue {
  return { value, field, rule };
}

export type OptInput = string | number | boolean | FieldValue;

/** A value with no field to blame failed its check: a bug in the planner, not in the VMI. */
export class UnsafeQemuValueError extends Error {
  constructor(value: unknown, problem: string) {
    super(`internal: QEMU option value ${JSON.stringify(value)} ${problem}`);
    this.name = 'UnsafeQemuValueError';
  }
}

const WORD = /^[A-Za-z0-9._-]+$/;

function ruleProblem(value: string, rule: ValueRule, commasAllowed: boolean): string | undefined {
  if (hasControl(value))
    return 'contains a newline or control character, which would change the QEMU command line; remove it';
  if (rule === 'word' && !WORD.test(value))
    return "may only contain letters, digits, '.', '_' and '-' (QEMU would read anything else as more options)";
  if (rule === 'path') return absoluteHostPathProblem(value);
  if (rule === 'relative') {
    const problem = value.startsWith('./') ? relativePathProblem(value.slice(2)) : 'must start with ./';
    if (problem) return `is not a file inside QEMU's directory: ${problem}`;
  }
  if (!commasAllowed && value.includes(','))
    return 'contains a comma, which this QEMU option cannot escape; remove it';
  return undefined;
}

/**
 * The one function: checks a value and writes it for a `key=value` option (`mode: 'opts'`,
 * commas doubled) or an option QEMU takes as it is (`mode: 'raw'`, commas literal). A refused
 * value is a problem naming its field (an empty string is returned; the plan fails).
 */
export function qemuValue(input: OptInput, problems?: ProblemList, mode: 'opts' | 'raw' = 'opts'): string {
  if (typeof input === 'boolean') return input ? 'on' : 'off';
  const tagged = typeof input === 'object' ? input : undefined;
  const value: string | number = typeof input === 'object' ? input.value : input;
  let problem: string | undefined;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) problem = 'must be a whole number of at least 0';
  } else problem = ruleProblem(value, tagged?.rule ?? 'text', true);
  if (problem) {
    if (!tagged || !problems) throw new UnsafeQemuValueError(value, problem);
    problems.add(tagged.field, problem, value);
    return '';
  }
  const text = String(value);
  return mode === 'raw' ? text : text.replace(/,/g, ',,');
}

/** A value for a `key=value,...` option: commas doubled. */
export function optValue(input: OptInput, problems?: ProblemList): string {
  return qemuValue(input, problems, 'opts');
}

/** The argument of an option QEMU does not split (-kernel, -initrd, -append, -uuid). */
export function rawValue(input: OptInput, problems?: ProblemList): string {
  return qemuValue(input, problems, 'raw');
}

/**
 * The value of `-cpu`: QEMU splits it on every comma and knows no escape, so the model and
 * each flag must be words.
 */
export function cpuOption(
  model: FieldValue,
  flags: readonly { sign: '+' | '-'; name: FieldValue }[],
  problems: ProblemList,
): string {
  const word = (v: FieldValue): string => qemuValue({ ...v, rule: 'word' }, problems, 'raw');
  return [word(model), ...flags.map((f) => `${f.sign}${word(f.name)}`)].join(',');
}

/** `driver,key=value,...` with undefined entries left out; every value goes through optValue. */
export function opts(
  head: string | undefined,
  entries: Record<string, OptInput | undefined>,
  problems?: ProblemList,
): string {
  if (head !== undefined && (hasControl(head) || head.includes(',')))
    throw new UnsafeQemuValueError(head, 'is not a plain option head');
  const parts = head ? [head] : [];
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) continue;
    parts.push(`${k}=${optValue(v, problems)}`);
  }
  return parts.join(',');
}

/** QEMU ids allow letters, digits, '-', '.', '_' and must start with a letter. */
export function qemuId(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
