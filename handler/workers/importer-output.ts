/**
 * What `virtkit importer` prints on stdout, one JSON object a line (pure): `{"progress":"45.20%"}`
 * while it works, then one result line, `{"phase":"Succeeded",...}` or
 * `{"phase":"Failed","reason":...,"message":...}`. Anything else (a stray line, bad JSON) is
 * ignored: the exit code still tells success from failure.
 */

export type ImporterLine =
  | { readonly kind: 'progress'; readonly progress: string }
  /** The upload source listens for its upload (the pod turns Ready). */
  | { readonly kind: 'listening' }
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string };

const PROGRESS = /^\d{1,3}\.\d{2}%$/;
const MAX_MESSAGE = 4096;

export function parseImporterLine(line: string): ImporterLine | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object') return undefined;
  const r = o as Record<string, unknown>;
  if (typeof r.progress === 'string' && PROGRESS.test(r.progress))
    return { kind: 'progress', progress: r.progress };
  if (r.listening === true) return { kind: 'listening' };
  if (r.phase === 'Succeeded') return { kind: 'succeeded' };
  if (r.phase === 'Failed')
    return {
      kind: 'failed',
      reason: typeof r.reason === 'string' ? r.reason.slice(0, 100) : 'Unknown',
      message: typeof r.message === 'string' ? r.message.slice(0, MAX_MESSAGE) : 'the importer failed',
    };
  return undefined;
}

/** Splits a stream of text into whole lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = (lines.pop() ?? '').slice(-65536);
    return lines.filter((l) => l.trim() !== '');
  }
}
