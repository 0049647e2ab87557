import type { Command } from 'commander';
import { describeObject, validateObject } from '../../api/validation/validate';
import { formatIssues } from '../../api/validation/error';
import type { Issue } from '../../api/validation/issue';
import { printable, safeJson } from '../../api/validation/printable';
import { DEFAULT_LIMITS, loadManifestFile, type ManifestLimits } from '../manifests';

/** One object's outcome, as `-o json` prints it. */
export interface ObjectResult {
  readonly document: number;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly valid: boolean;
  readonly issues: readonly Pick<Issue, 'path' | 'message' | 'severity' | 'rule'>[];
}

/** One file's outcome: its objects, or the error that kept it from being read (and then no objects). */
export interface FileResult {
  readonly file: string;
  readonly error?: string;
  readonly objects: readonly ObjectResult[];
}

export interface ValidateReport {
  readonly valid: boolean;
  readonly files: readonly FileResult[];
  readonly summary: {
    readonly files: number;
    readonly fileErrors: number;
    readonly objects: number;
    readonly validObjects: number;
    readonly invalidObjects: number;
  };
}

function stringAt(object: unknown, ...keys: string[]): string | undefined {
  let at: unknown = object;
  for (const key of keys) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'string' ? at : undefined;
}

/** Check every file and every object in it; a file that cannot be read is reported and the run goes on. */
export function checkFiles(
  files: readonly string[],
  limits: ManifestLimits = DEFAULT_LIMITS,
): ValidateReport {
  const results: FileResult[] = [];
  let objects = 0;
  let invalidObjects = 0;
  let fileErrors = 0;
  for (const file of files) {
    const loaded = loadManifestFile(file, limits);
    const checked: ObjectResult[] = [];
    if (loaded.error) fileErrors++;
    for (const m of loaded.manifests) {
      const issues = validateObject(m.object);
      const valid = !issues.some((i) => i.severity === 'error');
      objects++;
      if (!valid) invalidObjects++;
      checked.push({
        document: m.document,
        apiVersion: stringAt(m.object, 'apiVersion'),
        kind: stringAt(m.object, 'kind'),
        namespace: stringAt(m.object, 'metadata', 'namespace'),
        name: stringAt(m.object, 'metadata', 'name') ?? stringAt(m.object, 'metadata', 'generateName'),
        valid,
        issues: issues.map(({ path, message, severity, rule }) => ({ path, message, severity, rule })),
      });
    }
    results.push({ file, ...(loaded.error ? { error: loaded.error } : {}), objects: checked });
  }
  return {
    valid: fileErrors === 0 && invalidObjects === 0 && objects > 0,
    files: results,
    summary: {
      files: files.length,
      fileErrors,
      objects,
      validObjects: objects - invalidObjects,
      invalidObjects,
    },
  };
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** The report as people read it: problems to `err`, warnings and the summary to `out`. */
export function printReport(
  report: ValidateReport,
  out: (line: string) => void,
  err: (line: string) => void,
): void {
  for (const file of report.files) {
    if (file.error) err(file.error);
    for (const o of file.objects) {
      if (!o.issues.length) continue;
      const subject = `${printable(file.file)} (document ${o.document}): ${describeObject(objectOf(o))}`;
      (o.valid ? out : err)(formatIssues(subject, o.issues));
    }
  }
  const { objects, validObjects, fileErrors } = report.summary;
  const unread = fileErrors ? `; ${plural(fileErrors, 'file')} could not be checked` : '';
  out(`${validObjects} of ${plural(objects, 'object')} valid${unread}`);
}

/** Enough of an object for describeObject. */
function objectOf(o: ObjectResult): unknown {
  return { kind: o.kind, metadata: { name: o.name, namespace: o.namespace } };
}

export type OutputFormat = 'text' | 'json';

/**
 * Validate files and print the outcome (`text` for people, `json` for tools); returns the
 * number of failures: invalid objects plus files that could not be checked (an empty file counts).
 */
export function validateFiles(
  files: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
  options: { output?: OutputFormat; limits?: ManifestLimits } = {},
): number {
  const report = checkFiles(files, options.limits);
  if (options.output === 'json') out(safeJson(report, 2));
  else printReport(report, out, err);
  return report.summary.invalidObjects + report.summary.fileErrors;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'check manifests against the KubeVirt-compatible schemas and admission rules (files or - for stdin)',
    )
    .argument('<files...>', 'YAML or JSON manifest files')
    .option('-o, --output <format>', 'text (for people) or json (one document with every result)', 'text')
    .action((files: string[], opts: { output: string }) => {
      if (opts.output !== 'text' && opts.output !== 'json') {
        console.error(
          `virtkit: unknown output format ${JSON.stringify(opts.output)}; use -o text or -o json`,
        );
        process.exitCode = 2;
        return;
      }
      const failures = validateFiles(
        files,
        (l) => console.log(l),
        (l) => console.error(l),
        { output: opts.output },
      );
      if (failures > 0) process.exitCode = 1;
    });
}
