/**
 * Checks of what the importer is told to fetch (pure): an http(s) URL without credentials in it
 * (they belong in the Secret that secretRef names, so they never show up in objects or logs), a
 * registry source's `docker://` image reference, and extra headers of the form "Name: value".
 */
import { ImageReferenceError, parseImageReference } from '../../common/oci/reference';
import { invalidInput, type ImportError } from './errors';

export function parseSourceUrl(value: string, field = 'spec.source.http.url'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidInput(field, `"${value.slice(0, 200)}" is not a URL; give http://... or https://...`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidInput(
      field,
      `scheme "${url.protocol.replace(/:$/, '')}" is not supported by the http source; give an http:// or https:// URL`,
    );
  if (url.username || url.password)
    throw invalidInput(
      field,
      'carries credentials in the URL; put them in the Secret named by spec.source.http.secretRef',
    );
  return url;
}

export const DOCKER_SCHEME = 'docker://';

/** `docker://HOST/REPO:TAG` → the image reference (checked); other schemes are refused. */
export function registryImageOf(endpoint: string): string {
  if (!endpoint.startsWith(DOCKER_SCHEME))
    throw invalidInput(
      'spec.source.registry.url',
      `"${endpoint.slice(0, 200)}" does not start with docker://; write docker://registry.example.com/repo:tag (oci-archive:// is not supported)`,
    );
  const image = endpoint.slice(DOCKER_SCHEME.length);
  try {
    parseImageReference(image);
  } catch (e) {
    if (e instanceof ImageReferenceError) throw invalidInput('spec.source.registry.url', e.message);
    throw e;
  }
  return image;
}

/** Where a redirect may lead: http or https only (no file:, ftp:, data:...). */
export function redirectProblem(from: URL, location: string): { url?: URL; problem?: string } {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return { problem: `redirect to an invalid location "${location.slice(0, 200)}"` };
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:')
    return { problem: `redirect to a ${next.protocol} URL, which the http source does not follow` };
  return { url: next };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** "Name: value" -> [name, value]; refuses header injection (CR, LF, NUL) and bad names. */
export function parseHeader(line: string, field: string): [string, string] {
  const colon = line.indexOf(':');
  const name = colon < 0 ? '' : line.slice(0, colon).trim();
  const value = colon < 0 ? '' : line.slice(colon + 1).trim();
  if (!TOKEN.test(name)) throw invalidInput(field, 'is not "Name: value" with a valid header name');
  if (/[\r\n\0]/.test(value))
    throw invalidInput(field, `header ${name} has a line break or NUL in its value`);
  return [name, value];
}

export type { ImportError };
