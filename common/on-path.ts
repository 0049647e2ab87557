/** The first executable `name` in the folders of PATH (or of `pathList`), like `command -v`. */
import * as fs from 'fs';
import * as path from 'path';

export function onPath(name: string, pathList = process.env.PATH ?? '/usr/bin:/bin'): string | undefined {
  for (const dir of pathList.split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      if (fs.statSync(full).isFile()) return full;
    } catch {
      // keep looking
    }
  }
  return undefined;
}
