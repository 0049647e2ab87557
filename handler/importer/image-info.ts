/**
 * What `qemu-img info --output=json` says about a downloaded image, and why it may not be
 * imported (pure). Like CDI, an image with a backing file is refused; so is any reference to a
 * file other than the download itself (a qcow2 external data file, a vmdk extent elsewhere),
 * since qemu-img would read that host file into the volume.
 */

export interface ImageInfo {
  readonly format: string;
  readonly virtualSize: number;
  readonly backingFile?: string;
  /** Files the image refers to, besides itself. */
  readonly otherFiles: readonly string[];
}

/** Parses qemu-img's JSON; throws with the output's first line when it is not what qemu-img writes. */
export function parseImageInfo(json: string, self: string): ImageInfo {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new Error(`qemu-img info printed no JSON: ${json.split('\n')[0]?.slice(0, 200) ?? ''}`);
  }
  const virtualSize = raw['virtual-size'];
  if (typeof raw.format !== 'string' || typeof virtualSize !== 'number')
    throw new Error('qemu-img info gave no format or virtual-size');
  const other = new Set<string>();
  const specific = (raw['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  if (typeof specific['data-file'] === 'string') other.add(specific['data-file']);
  const extents = specific.extents;
  if (Array.isArray(extents))
    for (const e of extents) {
      const f = (e as { filename?: unknown }).filename;
      if (typeof f === 'string' && f !== self) other.add(f);
    }
  const backing = raw['backing-filename'] ?? raw['full-backing-filename'];
  return {
    format: raw.format,
    virtualSize,
    ...(typeof backing === 'string' ? { backingFile: backing } : {}),
    otherFiles: [...other],
  };
}

/** Why the image may not be imported, or undefined. */
export function imageInfoProblem(info: ImageInfo, expectedFormat: string): string | undefined {
  if (info.format !== expectedFormat)
    return `qemu-img reads it as ${info.format}, not the ${expectedFormat} its header says`;
  if (info.backingFile !== undefined)
    return `it has a backing file (${info.backingFile.slice(0, 200)}); import a standalone image (qemu-img convert flattens it)`;
  if (info.otherFiles.length > 0)
    return `it refers to other files (${info.otherFiles.join(', ').slice(0, 200)}); import a self-contained image`;
  if (!Number.isSafeInteger(info.virtualSize) || info.virtualSize <= 0)
    return `its virtual size ${info.virtualSize} is not a positive size`;
  return undefined;
}
