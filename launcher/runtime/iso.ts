/**
 * Writes an ISO 9660 image (Rock Ridge + Joliet, so names like meta-data and
 * openstack/latest/user_data survive) with genisoimage from Debian.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const run = promisify(execFile);

export class IsoToolMissingError extends Error {
  constructor() {
    super(
      'genisoimage was not found on PATH; install the Debian package genisoimage (apt-get install genisoimage)',
    );
    this.name = 'IsoToolMissingError';
  }
}

/** Writes `files` (path inside the image -> content) and/or the contents of `fromDir`. */
export async function writeIso(
  out: string,
  label: string,
  files: Readonly<Record<string, string>>,
  fromDir?: string,
): Promise<void> {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-iso-'));
  try {
    if (fromDir) fs.cpSync(fromDir, stage, { recursive: true, dereference: true });
    for (const [name, content] of Object.entries(files)) {
      const target = path.join(stage, name);
      if (!target.startsWith(stage + path.sep)) throw new Error(`file name ${name} escapes the image`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.tmp`;
    try {
      await run('genisoimage', [
        '-quiet',
        '-output',
        tmp,
        '-volid',
        label,
        '-joliet',
        '-rock',
        '-input-charset',
        'utf-8',
        stage,
      ]);
    } catch (e) {
      const err = e as { code?: string; stderr?: string; message: string };
      if (err.code === 'ENOENT') throw new IsoToolMissingError();
      throw new Error((err.stderr || err.message).trim());
    }
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}
