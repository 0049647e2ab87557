/** Container image references that name local files (standalone launches, tests). Pure. */
import * as path from 'path';

/**
 * A container image reference that names a local file or directory: an absolute path or a
 * file:// URL. (Pulling from a registry is the handler's job.)
 */
export function localImagePath(image: string): string | undefined {
  if (image.startsWith('file://')) return image.slice('file://'.length);
  if (path.isAbsolute(image)) return image;
  return undefined;
}
