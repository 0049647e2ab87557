/**
 * One problem found in an object: where (a JSON path in KubeVirt's notation,
 * `spec.template.spec.domain.devices.disks[0].bus`), what, and how bad.
 */
export type Severity = 'error' | 'warning';

export interface Issue {
  readonly path: string;
  readonly message: string;
  readonly severity: Severity;
  /** The rule or schema keyword that found it, for tests and tooling. */
  readonly rule: string;
}

export function error(path: string, message: string, rule: string): Issue {
  return { path, message, severity: 'error', rule };
}

export function warning(path: string, message: string, rule: string): Issue {
  return { path, message, severity: 'warning', rule };
}

/** Append a field to a path: `field(spec, 'domain')`. */
export function field(path: string, name: string): string {
  if (!path) return name;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${path}.${name}` : `${path}["${name}"]`;
}

/** Append an index to a path: `index('spec.volumes', 2)`. */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** Render a value for an error message, briefly (control characters come out escaped, as JSON writes them). */
export function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  // Cut long strings before quoting them, so a 20 MB value costs no 20 MB copy.
  const text = JSON.stringify(typeof value === 'string' && value.length > 100 ? value.slice(0, 100) : value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `path: message` (or the message alone for the object as a whole): one problem as one line. */
export function issueText(issue: Issue): string {
  return `${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}
