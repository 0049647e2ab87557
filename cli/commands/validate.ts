import type { Command } from 'commander';
import { describeObject, validateObject } from '../../api/validation/validate';
import { formatIssues } from '../../api/validation/error';
import { readManifests } from '../manifests';

/** Validate files; returns the number of objects with errors. Output goes to the given writers. */
export function validateFiles(
  files: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  let invalid = 0;
  let total = 0;
  for (const file of files) {
    for (const m of readManifests(file)) {
      total++;
      const issues = validateObject(m.object);
      const subject = `${m.file} (document ${m.document}): ${describeObject(m.object)}`;
      if (issues.some((i) => i.severity === 'error')) {
        invalid++;
        err(formatIssues(subject, issues));
      } else if (issues.length) {
        out(formatIssues(subject, issues));
      }
    }
  }
  out(`${total - invalid} of ${total} object${total === 1 ? '' : 's'} valid`);
  return invalid;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'check manifests against the KubeVirt-compatible schemas and admission rules (files or - for stdin)',
    )
    .argument('<files...>', 'YAML or JSON manifest files')
    .action((files: string[]) => {
      const invalid = validateFiles(
        files,
        (l) => console.log(l),
        (l) => console.error(l),
      );
      if (invalid > 0) process.exitCode = 1;
    });
}
