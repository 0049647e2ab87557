/**
 * What a request to the export server names (pure): KubeVirt's URL layout over the volumes and
 * manifests this server was started with. A volume holding a disk image is served at
 * `/volumes/<claim>/disk.img` (raw) and `disk.img.gz` (gzip); a volume holding a directory at
 * `/volumes/<claim>/dir/<path>` (a listing, or a file) and `disk.tar.gz`; a VM's manifests at
 * `/{internal,external}/manifests/all` and the CDI header Secret at
 * `/{internal,external}/manifests/secret`; `/exportready` is the readiness probe. The `dir` form's
 * path is checked here (segments only: no `..`, no `.`, no empty or NUL-carrying segment, no
 * backslash); the server then resolves it on disk and refuses a symlink that leads out.
 */
import {
  ARCHIVE_FILE,
  DIR_SEGMENT,
  EXPORT_READY_PATH,
  EXTERNAL_PREFIX,
  GZIP_FILE,
  INTERNAL_PREFIX,
  MANIFESTS_ALL_PATH,
  MANIFESTS_SECRET_PATH,
  RAW_FILE,
  VOLUMES_BASE,
} from '../../api/export/exporter-pod';

/** One exported volume: a disk image (a directory with disk.img, or a device) or a directory. */
export interface ExportVolume {
  /** The claim's name, the URL segment. */
  readonly name: string;
  readonly kind: 'image' | 'archive';
  /** The volume's directory, or (image) a block device node. */
  readonly path: string;
}

export type ExportRoute =
  | { readonly kind: 'ready' }
  | { readonly kind: 'raw' | 'gzip' | 'tar'; readonly volume: ExportVolume }
  | {
      readonly kind: 'dir';
      readonly volume: ExportVolume;
      readonly segments: readonly string[];
      readonly slash: boolean;
    }
  | { readonly kind: 'manifests' | 'secret'; readonly side: 'internal' | 'external' }
  | { readonly kind: 'not-found'; readonly why: string }
  | { readonly kind: 'bad-path'; readonly why: string };

/** Why a `dir` path segment may not be used, or undefined when it may. */
export function segmentProblem(s: string): string | undefined {
  if (s === '..' || s === '.') return `the path segment ${JSON.stringify(s)} is not allowed`;
  if (s.includes('\0')) return 'a path segment carries a NUL byte';
  if (s.includes('/') || s.includes('\\')) return `the path segment ${JSON.stringify(s)} carries a slash`;
  return undefined;
}

/** Route a request path (already without query) to what it names. */
export function routeExport(
  pathname: string,
  volumes: readonly ExportVolume[],
  hasVmManifests: boolean,
): ExportRoute {
  if (pathname === EXPORT_READY_PATH) return { kind: 'ready' };
  for (const side of ['internal', 'external'] as const) {
    const prefix = side === 'internal' ? INTERNAL_PREFIX : EXTERNAL_PREFIX;
    if (pathname === `${prefix}${MANIFESTS_SECRET_PATH}`) return { kind: 'secret', side };
    if (pathname === `${prefix}${MANIFESTS_ALL_PATH}`)
      return hasVmManifests
        ? { kind: 'manifests', side }
        : { kind: 'not-found', why: 'this export has no VirtualMachine manifests (its source is a claim)' };
  }
  const raw = pathname.split('/');
  if (raw[0] !== '' || `/${raw[1]}` !== VOLUMES_BASE || raw.length < 4)
    return { kind: 'not-found', why: `nothing is served at ${pathname.slice(0, 200)}` };
  let segs: string[];
  try {
    segs = raw.slice(2).map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'bad-path', why: 'the path is not valid percent-encoding' };
  }
  const [claim, what, ...rest] = segs;
  const volume = volumes.find((v) => v.name === claim);
  if (!volume)
    return {
      kind: 'not-found',
      why: `no volume ${JSON.stringify((claim ?? '').slice(0, 100))} is exported here`,
    };
  if (volume.kind === 'image') {
    if (rest.length === 0 && what === RAW_FILE) return { kind: 'raw', volume };
    if (rest.length === 0 && what === GZIP_FILE) return { kind: 'gzip', volume };
    return {
      kind: 'not-found',
      why: `volume ${volume.name} holds a disk image: download ${RAW_FILE} or ${GZIP_FILE}`,
    };
  }
  if (rest.length === 0 && what === ARCHIVE_FILE) return { kind: 'tar', volume };
  if (what !== DIR_SEGMENT)
    return {
      kind: 'not-found',
      why: `volume ${volume.name} holds a directory: download ${ARCHIVE_FILE} or browse ${DIR_SEGMENT}/`,
    };
  // `dir` itself, `dir/`, `dir/a/b`, `dir/a/` (a trailing slash asks for a listing).
  const slash = rest.length === 0 ? false : rest[rest.length - 1] === '';
  const segments = slash ? rest.slice(0, -1) : rest;
  for (const s of segments) {
    const p = s === '' ? 'an empty path segment (//) is not allowed' : segmentProblem(s);
    if (p) return { kind: 'bad-path', why: p };
  }
  return { kind: 'dir', volume, segments, slash: rest.length === 0 ? false : slash };
}
