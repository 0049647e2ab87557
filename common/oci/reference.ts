/**
 * Container image references, as container runtimes read them (pure):
 * `[REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST]`. A first component with a dot, a colon
 * or `localhost` names the registry; otherwise the image is on Docker Hub (`docker.io`, with
 * `library/` before a one-component name). Every part is checked against the distribution
 * grammar here, because the parts become URL paths and cache keys.
 */

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API answers (docker.io itself only redirects browsers). */
export const DOCKER_HUB_API = 'registry-1.docker.io';

export interface ImageReference {
  /** host[:port], lower case (docker.io for Docker Hub). */
  readonly registry: string;
  /** path components joined by '/', e.g. library/fedora. */
  readonly repository: string;
  readonly tag?: string;
  /** sha256:<64 hex> */
  readonly digest?: string;
}

export class ImageReferenceError extends Error {
  constructor(
    readonly reference: string,
    why: string,
  ) {
    super(
      `image reference ${JSON.stringify(reference)} ${why}; write [registry[:port]/]repository[:tag][@sha256:digest], such as quay.io/containerdisks/fedora:40`,
    );
    this.name = 'ImageReferenceError';
  }
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MAX_REFERENCE = 4096;

function validHost(host: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return false;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return false;
  if (m[1].startsWith('[')) return true;
  return m[1].split('.').every((l) => HOST_LABEL.test(l));
}

export function parseImageReference(input: string): ImageReference {
  if (typeof input !== 'string' || !input) throw new ImageReferenceError(String(input), 'is empty');
  if (input.length > MAX_REFERENCE) throw new ImageReferenceError(input.slice(0, 64) + '…', 'is too long');
  if (/[\s\\]|\.\.|\/\/|^\/|\/$/.test(input))
    throw new ImageReferenceError(input, 'has a space, a backslash, "..", "//" or a leading or trailing "/"');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest))
      throw new ImageReferenceError(input, `has digest ${digest}, not sha256: and 64 lower-case hex digits`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      throw new ImageReferenceError(
        input,
        `has tag ${JSON.stringify(tag)}, which is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`,
      );
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost' || parts[0].startsWith('['))) {
    registry = parts.shift()!.toLowerCase();
    if (!validHost(registry))
      throw new ImageReferenceError(
        input,
        `has registry ${JSON.stringify(registry)}, which is not host[:port]`,
      );
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const bad = parts.find((p) => !COMPONENT.test(p));
  if (bad !== undefined)
    throw new ImageReferenceError(
      input,
      `has repository component ${JSON.stringify(bad)}: use lower-case letters, digits and single separators (. _ __ -)`,
    );
  const repository = parts.join('/');
  if (repository.length > 255)
    throw new ImageReferenceError(input, 'has a repository name longer than 255 characters');
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The tag a reference without tag or digest means. */
export function effectiveTag(ref: ImageReference): string | undefined {
  return ref.tag ?? (ref.digest ? undefined : 'latest');
}

/** What a manifest is fetched by: the digest when there is one, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? effectiveTag(ref)!;
}

export function formatImageReference(ref: ImageReference): string {
  const tag = effectiveTag(ref);
  return `${ref.registry}/${ref.repository}${tag ? `:${tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `registry/repository@digest`, as `virtkit image push` prints it. */
export function digestReference(ref: ImageReference, digest: string): string {
  return `${ref.registry}/${ref.repository}@${digest}`;
}

/** Registries on this machine use plain HTTP, as container runtimes treat them. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127(\.\d{1,3}){3}$/.test(host) || host === '::1';
}

/** The base URL of a registry's API: HTTP for loopback (or --insecure) registries, else HTTPS. */
export function registryBaseUrl(registry: string, insecure = false): string {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
  return `${isLoopbackRegistry(registry) || insecure ? 'http' : 'https'}://${host}`;
}
