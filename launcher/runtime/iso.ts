/**
 * Writes an ISO 9660 image (Rock Ridge + Joliet, so names like meta-data and
 * openstack/latest/user_data survive) with genisoimage from Debian.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { confinedPath } from '../../api/host-path';
import { assertConfined } from '../../common/confine';

const run = promisify(execFile);

export class IsoToolMissingError extends Error {
  constructor() {
    super(
      'genisoimage was not found on PATH; install the Debian package genisoimage (apt-get install genisoimage)',
    );
    this.name = 'IsoToolMissingError';
  }
}

const MAX_DEPTH = 16;

/**
 * Copies the files of `dir` (inside `root`) into `to`. Every name is confined to its
 * directory and every symlink must resolve inside `root` (a ConfigMap mounted by a kubelet
 * is made of links that stay inside; a link to /etc/shadow would put a host file on the
 * guest's disk). Entries starting with '..' are the kubelet's own bookkeeping and are skipped.
 */
function copyConfined(root: string, dir: string, to: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new Error(`${dir} nests deeper than ${MAX_DEPTH} directories`);
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('..')) continue;
    const source = confinedPath(dir, entry.name, `file ${entry.name} of ${root}`);
    const target = confinedPath(to, entry.name, `file ${entry.name} of ${root}`);
    const real = fs.realpathSync(assertConfined(root, source, `file ${entry.name} of ${root}`));
    assertConfined(fs.realpathSync(root), real, `file ${entry.name} of ${root}`);
    const stat = fs.statSync(real);
    if (stat.isDirectory()) copyConfined(root, real, target, depth + 1);
    else if (stat.isFile()) fs.copyFileSync(real, target);
    else throw new Error(`${source} is neither a file nor a directory`);
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
    if (fromDir) copyConfined(fromDir, fromDir, stage, 0);
    for (const [name, content] of Object.entries(files)) {
      const target = confinedPath(stage, name, `ISO file ${name}`);
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
