/**
 * Reading manifests from files for the CLI: multi-document YAML or JSON, with parse
 * errors reported by file and line instead of a stack trace.
 */
import * as fs from 'fs';
import { parseAllDocuments } from 'yaml';

export class ManifestReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestReadError';
  }
}

export interface LoadedManifest {
  readonly file: string;
  /** 1-based index of the document in its file. */
  readonly document: number;
  readonly object: unknown;
}

/** Parse every document of a YAML/JSON text; throws ManifestReadError naming the file, line and column. */
export function parseManifests(text: string, file: string): LoadedManifest[] {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const out: LoadedManifest[] = [];
  docs.forEach((doc, i) => {
    const problem = doc.errors[0];
    if (problem) {
      const where = problem.linePos?.[0]
        ? `${file}:${problem.linePos[0].line}:${problem.linePos[0].col}`
        : file;
      throw new ManifestReadError(
        `${where}: malformed YAML in document ${i + 1}: ${problem.message.split('\n')[0]}`,
      );
    }
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) return; // empty document between separators
    if (Array.isArray(object) || typeof object !== 'object') {
      throw new ManifestReadError(
        `${file}: document ${i + 1} is not a Kubernetes object (got ${Array.isArray(object) ? 'a list' : typeof object})`,
      );
    }
    const list = object as { kind?: unknown; items?: unknown };
    if (typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) {
      list.items.forEach((item) => out.push({ file, document: i + 1, object: item }));
    } else out.push({ file, document: i + 1, object });
  });
  return out;
}

export function readManifests(file: string): LoadedManifest[] {
  let text: string;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ManifestReadError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  return parseManifests(text, file);
}
