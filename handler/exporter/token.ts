/**
 * The export server's token check (pure, KubeVirt's exportserver tokenChecker): a request carries
 * the token in the `x-kubevirt-export-token` header or the `x-kubevirt-export-token` query
 * parameter; either matching the token file's content lets it through. Compared in constant
 * time; an empty token never matches (a server whose token file is empty serves nobody).
 */
import { timingSafeEqual, createHash } from 'crypto';
import type { IncomingHttpHeaders } from 'http';
import { TOKEN_HEADER } from '../../api/export/exporter-pod';

/** The tokens a request presents: the query parameter's, then the header's (each may be absent). */
export function presentedTokens(url: URL, headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  const q = url.searchParams.get(TOKEN_HEADER);
  if (q) out.push(q);
  const h = headers[TOKEN_HEADER];
  if (typeof h === 'string' && h) out.push(h);
  else if (Array.isArray(h)) out.push(...h.filter((x) => x));
  return out;
}

/** Constant-time equality of two strings (compared as their SHA-256, so lengths leak nothing). */
export function sameToken(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * Whether a request may be served: some presented token equals `expected` (the token file's
 * content, a trailing newline ignored as `kubectl create secret --from-file` may leave one).
 */
export function tokenAccepted(expected: string, presented: readonly string[]): boolean {
  const want = expected.replace(/\r?\n$/, '');
  if (!want) return false;
  let ok = false;
  for (const p of presented) if (sameToken(p, want)) ok = true;
  return ok;
}
