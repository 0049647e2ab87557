/**
 * Test support: QEMU's own option grammar (util/qemu-option.c), to read a planned argv back.
 * An option value is a list of `key=value` pairs separated by single commas; `,,` is a
 * literal comma; the first element may be a bare value for the option's implied key (the
 * driver of -device, the id-less form of -vnc/-name/-chardev...). `-cpu` is different: QEMU
 * splits it on every comma with no escape (model, then +flag/-flag/key=value).
 */

export interface ParsedOpts {
  /** The bare first element (implied key), if any. */
  readonly implied?: string;
  /** key -> value, in order; a repeated key keeps every value. */
  readonly pairs: readonly (readonly [string, string])[];
}

/** QEMU's get_opt_value: up to a single comma, `,,` read as one comma. Returns [value, rest]. */
function optValueAt(s: string): [string, string] {
  let value = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ',') {
      if (s[i + 1] === ',') {
        value += ',';
        i++;
        continue;
      }
      return [value, s.slice(i + 1)];
    }
    value += s[i];
  }
  return [value, ''];
}

/**
 * Parses one option value as QEMU's get_opt_name_value does: a name runs to the first '=' or
 * ','; when a ',' (or the end) comes first, the element is the implied key's value (first
 * element only, when the option has one) or a bare flag. `impliedKey` names the option's
 * implied key (e.g. 'driver' for -device).
 */
export function parseOpts(value: string, impliedKey?: string): ParsedOpts {
  const pairs: [string, string][] = [];
  let implied: string | undefined;
  let rest = value;
  let first = true;
  while (rest.length) {
    const m = /[=,]/.exec(rest);
    const len = m ? m.index : rest.length;
    if (rest[len] !== '=') {
      if (first && impliedKey) [implied, rest] = optValueAt(rest);
      else {
        // A bare `flag` reads as flag=on.
        pairs.push([rest.slice(0, len), 'on']);
        rest = rest.slice(len + 1);
      }
    } else {
      const name = rest.slice(0, len);
      const [v, next] = optValueAt(rest.slice(len + 1));
      pairs.push([name, v]);
      rest = next;
    }
    first = false;
  }
  return implied === undefined ? { pairs } : { implied, pairs };
}

/** `-cpu`: QEMU's split on every comma (no escape). */
export function parseCpu(value: string): { model: string; features: string[] } {
  const [model = '', ...features] = value.split(',');
  return { model, features };
}

/** Options QEMU takes as they are (no comma grammar). */
export const RAW_OPTIONS = new Set(['-kernel', '-initrd', '-append', '-uuid', '-m']);
/** Options without an argument. */
export const FLAG_OPTIONS = new Set(['-nodefaults', '-no-user-config', '-no-reboot', '-S']);
/** The implied key of each option that has one. */
export const IMPLIED_KEY: Record<string, string> = {
  '-device': 'driver',
  '-netdev': 'type',
  '-chardev': 'backend',
  '-object': 'qom-type',
  '-machine': 'type',
  '-accel': 'accel',
  '-name': 'guest',
  '-vnc': 'vnc',
  '-display': 'type',
  '-smbios': 'type',
  '-serial': 'serial',
};

/** Pairs every option of an argv with its value (flags get ''). */
export function options(argv: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) throw new Error(`argv[${i}] ${JSON.stringify(a)} is not an option`);
    if (FLAG_OPTIONS.has(a)) out.push([a, '']);
    else out.push([a, argv[++i]!]);
  }
  return out;
}
