/**
 * What the `virtkit create` generators share: virtctl's `key:value,key:value` flag syntax, the
 * `prefix/name` syntax, generated name suffixes, and the usage error that gathers every bad flag
 * into one report. Pure (the random source is passed in).
 */
import { randomInt } from 'crypto';
import { parseQuantity } from '../../api/quantity';
import { dns1123LabelProblems, dns1123SubdomainProblems } from '../../api/validation/dns-names';
import { show } from '../../api/validation/issue';
import { hasControlCharacters } from '../../api/validation/printable';

/** A bad flag value (or a bad combination of flags): exit code 2, one line per problem. */
export class CreateUsageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'CreateUsageError';
  }
}

/** Problems found while reading the flags; `check()` throws them all at once. */
export class Problems {
  private readonly lines: string[] = [];

  /** `--flag "value": what is wrong; the fix`. */
  add(flag: string, value: string | undefined, message: string): void {
    this.lines.push(value === undefined ? `--${flag}: ${message}` : `--${flag} ${show(value)}: ${message}`);
  }

  /** A problem that no single flag value owns (two flags that exclude each other, say). */
  addLine(line: string): void {
    this.lines.push(line);
  }

  get count(): number {
    return this.lines.length;
  }

  /** Throws CreateUsageError when anything was found. */
  check(): void {
    if (this.lines.length) throw new CreateUsageError([...this.lines]);
  }
}

/** One problem with a `key:value` flag value, raised inside a parser and recorded by its caller. */
export class ParamError extends Error {}

/**
 * virtctl's parameter syntax: `key:value` pairs joined by commas (a value keeps any further
 * colons: `src:quay.io/img:tag`). Keys outside `allowed` are refused, as virtctl refuses them.
 */
export function parseParams(text: string, allowed: readonly string[]): Map<string, string> {
  return checkParamKeys(splitParams(text, allowed), allowed);
}

/** The pairs of a params value, whatever their keys (`allowed` only words the error). */
export function splitParams(text: string, allowed: readonly string[]): Map<string, string> {
  if (text === '')
    throw new ParamError(`params may not be empty; write key:value pairs such as ${allowed[0]}:...`);
  const params = new Map<string, string>();
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0)
      throw new ParamError(
        `${show(part)} is not a key:value param; write key:value pairs separated by commas (keys: ${allowed.join(', ')})`,
      );
    const key = part.slice(0, colon);
    if (params.has(key)) throw new ParamError(`param ${key} is given twice; give it once`);
    params.set(key, part.slice(colon + 1));
  }
  return params;
}

/** Refuses keys outside `allowed`, as virtctl does ("unknown param(s)"). */
export function checkParamKeys(params: Map<string, string>, allowed: readonly string[]): Map<string, string> {
  const unknown = [...params.keys()].filter((k) => !allowed.includes(k));
  if (unknown.length)
    throw new ParamError(
      `unknown param(s) ${unknown.join(', ')}; the supported ones are ${allowed.join(', ')}`,
    );
  return params;
}

/** A required param, non-empty. */
export function requiredParam(params: Map<string, string>, key: string, example: string): string {
  const value = params.get(key);
  if (!value) throw new ParamError(`${key} must be specified, for example ${key}:${example}`);
  return value;
}

/** `bootorder:N`: a whole number from 1 on. */
export function bootOrderParam(params: Map<string, string>): number | undefined {
  const text = params.get('bootorder');
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff)
    throw new ParamError(`bootorder ${show(text)} is not a whole number; write it like bootorder:1`);
  const n = Number(text);
  if (n === 0) throw new ParamError('bootorder must be greater than 0; the first boot disk is bootorder:1');
  return n;
}

/**
 * A Kubernetes quantity, positive: `512Mi`, `20Gi`. Throws ParamError; `what` names a param
 * inside a flag's value (a flag's own value is named by the report already).
 */
export function positiveQuantity(text: string, what?: string): string {
  const subject = what === undefined ? '' : `${what} ${show(text)} is `;
  const bytes = parseQuantity(text);
  if (bytes === undefined) throw new ParamError(`${subject}not a quantity; write it like 512Mi or 20Gi`);
  if (bytes <= 0) throw new ParamError(`${subject}not more than zero; write a size such as 1Gi`);
  return text;
}

/**
 * virtctl's `prefix/name`: `name` alone or `prefix/name`; more slashes or an empty name are
 * refused. Throws ParamError.
 */
export function splitPrefixedName(text: string, what: string): { prefix?: string; name: string } {
  const parts = text.split('/');
  if (parts.length > 2)
    throw new ParamError(`${what} ${show(text)} has ${parts.length - 1} slashes; write name or prefix/name`);
  const name = parts[parts.length - 1];
  if (!name) throw new ParamError(`${what} ${show(text)} has an empty name; write name or prefix/name`);
  return parts.length === 2 ? { prefix: parts[0], name } : { name };
}

/** Letters and digits Kubernetes uses for generated suffixes (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export type RandomSuffix = (length: number) => string;

/** Kubernetes' generated-name suffix: `vm-` + 5 of these characters, as virtctl names things. */
export const randomSuffix: RandomSuffix = (length) =>
  Array.from({ length }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');

/** A flag's value must be one line of printable text: it lands in YAML and in guest config. */
export function printableOneLine(text: string): boolean {
  return !hasControlCharacters(text);
}

/**
 * `--name`: a DNS-1123 subdomain, or a DNS-1123 label for kinds whose name becomes a hostname
 * (a VirtualMachine's). Records the problem; answers whether the name is fine.
 */
export function checkName(problems: Problems, value: string, rule: 'label' | 'subdomain'): boolean {
  const found = rule === 'label' ? dns1123LabelProblems(value) : dns1123SubdomainProblems(value);
  if (value === '')
    problems.add('name', value, 'must not be empty; give a name, or leave --name out for a generated one');
  else if (found.length) problems.add('name', value, `${found.join('; ')}`);
  return value !== '' && !found.length;
}

/** `-n/--namespace`: a DNS-1123 label. */
export function checkNamespace(problems: Problems, value: string | undefined): void {
  if (value === undefined) return;
  const found = dns1123LabelProblems(value);
  if (value === '')
    problems.add('namespace', value, 'must not be empty; give a namespace such as default, or leave -n out');
  else if (found.length) problems.add('namespace', value, found.join('; '));
}

/**
 * Name and scope of an instancetype or a preference, as virtctl settles them: -n implies
 * --namespaced; the default name is `cluster<what>-xxxxx`, or `<what>-xxxxx` when namespaced.
 */
export function scopedMetadata(
  problems: Problems,
  opts: { readonly name?: string; readonly namespace?: string; readonly namespaced?: boolean },
  what: 'instancetype' | 'preference',
  random: RandomSuffix,
): { namespaced: boolean; metadata: { name: string; namespace?: string } } {
  const namespaced = opts.namespaced === true || opts.namespace !== undefined;
  checkNamespace(problems, opts.namespace);
  const name = opts.name ?? `${namespaced ? what : `cluster${what}`}-${random(5)}`;
  checkName(problems, name, 'subdomain');
  return {
    namespaced,
    metadata: { name, ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) },
  };
}
