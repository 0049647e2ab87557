/**
 * qemu-img, run the way CDI runs it (I/O): `info` under CDI's limits (1 GiB of address space and
 * 30 s of CPU through prlimit, OpenStack Nova's values, so a crafted header cannot make it eat the
 * node), `convert` with a wall-clock timeout. The source format is always given with `-f`, so
 * nothing is probed, and the raw target is a file the importer created itself (`-n`), so qemu-img
 * never follows a link placed where the target goes.
 */
import { execFile } from 'child_process';
import { imageInfoProblem, parseImageInfo, type ImageInfo } from './image-info';
import type { ImageFormat } from './formats';

export const INFO_ADDRESS_SPACE = 1 << 30;
export const INFO_CPU_SECONDS = 30;
/** @default two hours for one conversion */
export const CONVERT_TIMEOUT_MS = 2 * 60 * 60 * 1000;

export class QemuImgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QemuImgError';
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT')
          return reject(new QemuImgError(`${cmd} is not installed (Debian: qemu-utils, util-linux)`));
        const why = e.killed
          ? `killed after ${Math.round(timeoutMs / 1000)}s`
          : (stderr.trim().split('\n').pop() ?? e.message);
        reject(new QemuImgError(why || e.message));
      },
    );
  });
}

/** `qemu-img info` of `file` read as `format`, refused (QemuImgError) when it may not be imported. */
export async function inspectImage(file: string, format: ImageFormat): Promise<ImageInfo> {
  const out = await run(
    'prlimit',
    [
      `--as=${INFO_ADDRESS_SPACE}`,
      `--cpu=${INFO_CPU_SECONDS}`,
      '--',
      'qemu-img',
      'info',
      '--output=json',
      '-f',
      format,
      file,
    ],
    120_000,
  );
  let info: ImageInfo;
  try {
    info = parseImageInfo(out, file);
  } catch (e) {
    throw new QemuImgError((e as Error).message);
  }
  const problem = imageInfoProblem(info, format);
  if (problem) throw new QemuImgError(problem);
  return info;
}

/** Converts `src` (read as `format`) into the existing raw file `dest`, already sized to hold it. */
export async function convertToRaw(
  src: string,
  format: ImageFormat,
  dest: string,
  timeoutMs = CONVERT_TIMEOUT_MS,
): Promise<void> {
  await run(
    'qemu-img',
    ['convert', '-f', format, '-O', 'raw', '-n', '--target-is-zero', src, dest],
    timeoutMs,
  );
}
