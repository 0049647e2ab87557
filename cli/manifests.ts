/**
 * Reading manifests from files for the CLI: multi-document YAML or JSON, with parse
 * errors reported by file and line instead of a stack trace, and with bounds on what a
 * file may cost (size, documents, alias expansion, nesting), so a hostile or broken file
 * gets one clear message instead of exhausting memory or the stack.
 */
import * as fs from 'fs';
import { Composer, LineCounter, Parser, type Document } from 'yaml';
import { printable } from '../api/validation/printable';

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

/** What one file may cost. */
export interface ManifestLimits {
  /** Bytes per file. */
  readonly maxBytes: number;
  /** Documents per file, empty ones between separators and the items of List kinds included. */
  readonly maxDocuments: number;
  /** YAML alias expansions per document (the `yaml` package's maxAliasCount). */
  readonly maxAliasCount: number;
  /** Levels of nested maps and lists in a document. */
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: ManifestLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxDocuments: 10_000,
  maxAliasCount: 100,
  maxDepth: 100,
};

/** One file's outcome: its objects, or the one error that stopped it being read. */
export interface ManifestFile {
  readonly file: string;
  readonly manifests: readonly LoadedManifest[];
  readonly error?: string;
}

function mib(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** How deep the value nests; iterative, so any depth is measured without recursion. */
function depthOf(value: unknown, stopAt: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, d + 1);
    if (deepest > stopAt) return deepest;
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
  return deepest;
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/**
 * Flow collections (`[`, `{`) nested so deep that parsing them would overflow the stack,
 * found by one cheap pass before the parser runs. Brackets inside quotes do not count;
 * the bound is well above maxDepth, so block scalars with stray brackets are not refused
 * here (the exact depth is measured after parsing).
 */
function flowDepthBeyond(text: string, bound: number): number | undefined {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\n') quote = '';
    else if (ch === '[' || ch === '{') {
      if (++depth > bound) return i;
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return undefined;
}

/** Documents of a YAML stream, one at a time, so a file of a million separators is never held whole. */
function* documents(text: string, lines: LineCounter): Generator<Document.Parsed> {
  const parser = new Parser(lines.addNewLine);
  const composer = new Composer({ prettyErrors: true });
  yield* composer.compose(parser.parse(text), true, text.length);
}

/**
 * Parse every document of a YAML/JSON text. Throws ManifestReadError naming the file and
 * the line and column of malformed YAML, or the limit a document crossed. Documents that
 * are not objects are returned as they are: validation reports them.
 */
export function parseManifests(
  text: string,
  file: string,
  limits: ManifestLimits = DEFAULT_LIMITS,
): LoadedManifest[] {
  const shown = printable(file);
  const out: LoadedManifest[] = [];
  const lines = new LineCounter();
  let index = 0;
  let counted = 0;
  const tooMany = () =>
    new ManifestReadError(
      `${shown}: more than ${limits.maxDocuments} documents; virtkit reads at most ${limits.maxDocuments} objects per file, split it into smaller files`,
    );
  const flowBound = limits.maxDepth * 10;
  const deepAt = flowDepthBeyond(text, flowBound);
  if (deepAt !== undefined)
    throw new ManifestReadError(
      `${shown}:${text.slice(0, deepAt).split('\n').length}: nests maps and lists more than ${flowBound} levels deep; no Kubernetes object needs more than ${limits.maxDepth}`,
    );
  try {
    for (const doc of documents(text, lines)) {
      index++;
      if (++counted > limits.maxDocuments) throw tooMany();
      const problem = doc.errors[0];
      if (problem && /call stack/i.test(problem.message))
        throw new ManifestReadError(
          `${shown}: document ${index} nests too deeply to parse (more than ${limits.maxDepth} levels of maps and lists is refused)`,
        );
      if (problem) {
        const at = problem.pos?.[0] !== undefined ? lines.linePos(problem.pos[0]) : undefined;
        const where = at ? `${shown}:${at.line}:${at.col}` : shown;
        throw new ManifestReadError(
          `${where}: malformed YAML in document ${index}: ${printable(problem.message.split('\n')[0])}`,
        );
      }
      let object: unknown;
      try {
        object = doc.toJS({ maxAliasCount: limits.maxAliasCount });
      } catch (e) {
        if (e instanceof ReferenceError && /alias/i.test(e.message))
          throw new ManifestReadError(
            `${shown}: document ${index} expands YAML aliases more than the limit of ${limits.maxAliasCount} allows (an alias bomb?); write the repeated content out or use fewer aliases`,
          );
        if (e instanceof ReferenceError)
          throw new ManifestReadError(`${shown}: document ${index}: ${printable(e.message)}`);
        throw e;
      }
      if (object === null || object === undefined) continue; // an empty document between separators
      if (depthOf(object, limits.maxDepth) > limits.maxDepth)
        throw new ManifestReadError(
          `${shown}: document ${index} nests maps and lists more than ${limits.maxDepth} levels deep; no Kubernetes object needs that many`,
        );
      const list = object as { kind?: unknown; items?: unknown };
      if (typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) {
        counted += list.items.length - 1;
        if (counted > limits.maxDocuments) throw tooMany();
        for (const item of list.items) out.push({ file, document: index, object: item });
      } else out.push({ file, document: index, object });
    }
  } catch (e) {
    if (isStackOverflow(e))
      throw new ManifestReadError(
        `${shown}: document ${index + 1} nests too deeply to parse (more than ${limits.maxDepth} levels of maps and lists is refused)`,
      );
    throw e;
  }
  return out;
}

/** The file's text, reading at most maxBytes + 1 bytes so a huge file or an endless stream is refused early. */
function readBounded(file: string, maxBytes: number): string {
  const shown = printable(file);
  let fd: number;
  try {
    fd = file === '-' ? 0 : fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ManifestReadError(
      `cannot read ${shown}: ${code === 'ENOENT' ? 'no such file' : printable((e as Error).message)}`,
    );
  }
  const tooBig = () =>
    new ManifestReadError(
      `${shown} is larger than ${mib(maxBytes)}, the most virtkit reads from one file; split it into smaller files`,
    );
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new ManifestReadError(`cannot read ${shown}: it is a directory`);
    if (stat.isFile() && stat.size > maxBytes) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(1024 * 1024);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue; // a non-blocking stdin that has nothing yet
        if (code === 'EOF') break;
        throw new ManifestReadError(`cannot read ${shown}: ${printable((e as Error).message)}`);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig();
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    if (fd !== 0) fs.closeSync(fd);
  }
}

/** Read and parse one file (`-` is stdin). Never throws: a file that cannot be read or parsed carries its error. */
export function loadManifestFile(file: string, limits: ManifestLimits = DEFAULT_LIMITS): ManifestFile {
  try {
    const manifests = parseManifests(readBounded(file, limits.maxBytes), file, limits);
    if (!manifests.length)
      return { file, manifests, error: `no objects found in ${printable(file === '-' ? 'stdin' : file)}` };
    return { file, manifests };
  } catch (e) {
    if (e instanceof ManifestReadError) return { file, manifests: [], error: e.message };
    if (isStackOverflow(e))
      return { file, manifests: [], error: `${printable(file)}: nests too deeply to parse` };
    throw e;
  }
}

/** Read one file's objects, throwing ManifestReadError when it cannot be read or holds a non-object. */
export function readManifests(file: string, limits: ManifestLimits = DEFAULT_LIMITS): LoadedManifest[] {
  const manifests = parseManifests(readBounded(file, limits.maxBytes), file, limits);
  for (const m of manifests)
    if (m.object === null || typeof m.object !== 'object' || Array.isArray(m.object))
      throw new ManifestReadError(
        `${printable(file)}: document ${m.document} is not a Kubernetes object (got ${Array.isArray(m.object) ? 'a list' : typeof m.object})`,
      );
  return manifests;
}
