/**
 * Registry mirrors, `HOST=URL`: image references naming registry HOST are pulled from URL first,
 * then from HOST itself (what containerd's hosts.toml `[host]` entries do). One syntax for
 * `virtkit handler --registry-mirror`, `virtkit up --registry-mirror` and the install's
 * `registryMirrors` (pure).
 */

export interface RegistryMirror {
  /** The registry host as image references name it (docker.io, quay.io, registry:5000). */
  readonly registry: string;
  /** Base URL tried before the registry itself, e.g. http://127.0.0.1:5000. */
  readonly endpoint: string;
}

/** Docker Hub's name in image references; its API hosts are aliases of it. */
const DOCKER_HUB = 'docker.io';

/** The fix every refusal names. */
export const REGISTRY_MIRROR_SYNTAX =
  'write HOST=URL, such as docker.io=http://127.0.0.1:5000 (URL: http(s)://host[:port], no path)';

/** `HOST=URL` as a mirror, or the problem with it (without the value: callers name where it came from). */
export function registryMirrorOf(spec: string): RegistryMirror | { readonly problem: string } {
  const eq = spec.indexOf('=');
  const host = eq > 0 ? spec.slice(0, eq).trim().toLowerCase() : '';
  const url =
    eq > 0
      ? spec
          .slice(eq + 1)
          .trim()
          .replace(/\/+$/, '')
      : '';
  if (!host || !/^[a-z0-9.-]+(:\d{1,5})?$/.test(host) || !/^https?:\/\/[A-Za-z0-9.[\]:-]+$/.test(url))
    return { problem: REGISTRY_MIRROR_SYNTAX };
  const registry = host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
  return { registry, endpoint: url };
}

/** Parses `HOST=URL` (the --registry-mirror flag). Throws a message naming the flag. */
export function parseRegistryMirror(spec: string): RegistryMirror {
  const m = registryMirrorOf(spec);
  if ('problem' in m) throw new Error(`--registry-mirror ${JSON.stringify(spec)}: ${m.problem}`);
  return m;
}
