/**
 * The last step of every `virtkit create` generator: the object must pass virtkit's own
 * validation (the same checks admission makes), and is printed as YAML (virtctl's output) or
 * JSON. Pure.
 */
import { stringify } from 'yaml';
import { issueText } from '../../api/validation/issue';
import { validateObject } from '../../api/validation/validate';
import { CreateUsageError } from './params';

export const OUTPUT_FORMATS = ['yaml', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o yaml` (the default) or `-o json`. */
export function parseOutputFormat(text: string | undefined): OutputFormat {
  if (text === undefined) return 'yaml';
  if ((OUTPUT_FORMATS as readonly string[]).includes(text)) return text as OutputFormat;
  throw new CreateUsageError([`-o ${JSON.stringify(text)}: not an output format; use -o yaml or -o json`]);
}

/** The problems virtkit's validation finds in a generated object, one line each (errors only). */
export function refusals(object: unknown, subject: string): string[] {
  return validateObject(object)
    .filter((i) => i.severity === 'error')
    .map((i) => `the ${subject} these flags make would be refused: ${issueText(i)}`);
}

/** Throws CreateUsageError naming every problem unless the generated object is valid. */
export function assertValid(object: unknown, subject: string): void {
  const lines = refusals(object, subject);
  if (lines.length) throw new CreateUsageError(lines);
}

/** The manifest as the format asks; long strings are never folded (ssh keys stay on one line). */
export function renderManifest(object: unknown, format: OutputFormat): string {
  return format === 'json' ? `${JSON.stringify(object, null, 2)}\n` : stringify(object, { lineWidth: 0 });
}
