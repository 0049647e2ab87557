/**
 * Where slow builds (Go-built binaries, guest images) are cached: outside the repository,
 * keyed by component and version, so a fresh clone on the same machine reuses them and a
 * new version rebuilds. Override the root with VIRTKIT_CACHE.
 */
import * as os from 'os';
import * as path from 'path';

export function cacheRoot(): string {
  return process.env.VIRTKIT_CACHE || path.join(os.homedir(), '.cache', 'virtkit');
}

/** `~/.cache/virtkit/<component>/<version>` */
export function cacheDir(component: string, version: string): string {
  return path.join(cacheRoot(), component, version);
}
