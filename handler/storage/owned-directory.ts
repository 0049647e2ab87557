/**
 * A volume directory given to the user that works in it (I/O): owner and mode set on the open
 * descriptor of the directory itself, opened without following a link, so a link put in its
 * place never makes the handler (root) change something else.
 */
import * as fs from 'fs';

export interface DirectoryOwner {
  readonly uid: number;
  readonly gid: number;
}

/** `dir` to `owner`, mode 0750 (the owner's, its group may read). Throws the open's error as is. */
export function giveDirectory(dir: string, owner: DirectoryOwner): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    fs.fchownSync(fd, owner.uid, owner.gid);
    fs.fchmodSync(fd, 0o750);
  } finally {
    fs.closeSync(fd);
  }
}
