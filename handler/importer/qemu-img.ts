/**
 * qemu-img, run the way CDI runs it (I/O): `info` under CDI's limits (1 GiB of address space and
 * 30 s of CPU through prlimit, OpenStack Nova's values, so a crafted header cannot make it eat the
 * node), `convert` with a wall-clock timeout. The source format is always given with `-f`, so
 * nothing is probed, and the raw target is a file the importer created itself (`-n`), so qemu-img
 * never follows a link placed where the target goes. A block device target (and a clone's
 * source) is opened and checked by the importer and handed over as an inherited descriptor,
 * named `/dev/fd/N`: no path from outside reaches qemu-img's command line.
 */
import { execFile, spawn } from 'child_process';
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

/** The descriptor numbers the device target and an fd source get in qemu-img. */
const TARGET_FD = 3;
const SOURCE_FD = 4;

/** What qemu-img reads: a file of the importer's own, or a descriptor it opened and checked. */
export type ConvertSource = { readonly file: string } | { readonly fd: number };

/** qemu-img with `fds` inherited as descriptors 3, 4...; `-p` progress lines go to `onProgress`. */
function runWithFds(
  args: string[],
  fds: readonly number[],
  timeoutMs: number,
  onProgress?: (percent: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-img', args, { stdio: ['ignore', 'pipe', 'pipe', ...fds] });
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      // `-p` writes "    (45.20/100%)\r" as it goes.
      for (const m of chunk.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)) onProgress?.(Number(m[1]));
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new QemuImgError(e.code === 'ENOENT' ? 'qemu-img is not installed (Debian: qemu-utils)' : e.message),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = killed
        ? `killed after ${Math.round(timeoutMs / 1000)}s`
        : (stderr.trim().split('\n').pop() ?? '') || `exited with ${signal ?? `code ${code}`}`;
      reject(new QemuImgError(why));
    });
  });
}

/**
 * Converts `src` (read as `format`) to raw onto the block device open as `deviceFd`, from its
 * first byte. The device is not assumed zero: what reads zero in the source is written as zeroes
 * (on a loop device that frees the space). What lies past the image is left as it is.
 */
export async function convertOntoDevice(
  src: ConvertSource,
  format: ImageFormat,
  deviceFd: number,
  o: { timeoutMs?: number; onProgress?: (percent: number) => void } = {},
): Promise<void> {
  const fds = 'fd' in src ? [deviceFd, src.fd] : [deviceFd];
  const from = 'fd' in src ? `/dev/fd/${SOURCE_FD}` : src.file;
  await runWithFds(
    [
      'convert',
      ...(o.onProgress ? ['-p'] : []),
      '-f',
      format,
      '-O',
      'raw',
      '-n',
      from,
      `/dev/fd/${TARGET_FD}`,
    ],
    fds,
    o.timeoutMs ?? CONVERT_TIMEOUT_MS,
    o.onProgress,
  );
}

/**
 * Makes the first `bytes` of the block device open as `deviceFd` read zero, the way qemu-img
 * zeroes a target (write-zeroes, which a loop device turns into holes in its backing file): the
 * source is qemu's null driver, which reads zero everywhere.
 */
export async function zeroDevice(
  deviceFd: number,
  bytes: number,
  timeoutMs = CONVERT_TIMEOUT_MS,
): Promise<void> {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new QemuImgError(`cannot zero ${bytes} bytes`);
  await runWithFds(
    [
      'convert',
      '-n',
      '-O',
      'raw',
      '--image-opts',
      `driver=null-co,size=${bytes},read-zeroes=on`,
      `/dev/fd/${TARGET_FD}`,
    ],
    [deviceFd],
    timeoutMs,
  );
}
