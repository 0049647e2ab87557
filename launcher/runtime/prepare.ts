/** Performs the PrepareSteps of a plan: overlays, empty disks, created host disks, ISO images. */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { HostPathError } from '../../api/host-path';
import { assertConfined } from '../../common/confine';
import { qemuImgBinary } from '../host/qemu-binary';
import type { PrepareStep } from '../plan/types';
import { writeIso } from './iso';

const run = promisify(execFile);

export class PrepareError extends Error {
  constructor(
    readonly volume: string | undefined,
    readonly step: string,
    detail: string,
  ) {
    super(`preparing ${volume ? `volume ${volume}` : 'the VM'} failed (${step}): ${detail}`);
    this.name = 'PrepareError';
  }
}

/** qcow2 images start with "QFI\xfb"; anything else is treated as raw. */
export function imageFormat(file: string): 'qcow2' | 'raw' {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    fs.readSync(fd, buf, 0, 4, 0);
    return buf.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? 'qcow2' : 'raw';
  } finally {
    fs.closeSync(fd);
  }
}

async function qemuImg(volume: string, step: string, args: string[]): Promise<void> {
  try {
    await run(qemuImgBinary(), args);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new PrepareError(volume, step, (err.stderr || err.message).trim());
  }
}

export async function prepareStep(step: PrepareStep): Promise<void> {
  switch (step.kind) {
    case 'mkdir':
      fs.mkdirSync(step.path, { recursive: true });
      return;
    case 'overlay': {
      // A new overlay on every start: what the guest wrote last time is gone, as with KubeVirt.
      fs.rmSync(step.path, { force: true });
      const base = path.resolve(step.base);
      await qemuImg(step.volume, 'create overlay', [
        'create',
        '-q',
        '-f',
        'qcow2',
        '-F',
        imageFormat(base),
        '-b',
        base,
        step.path,
      ]);
      return;
    }
    case 'emptyDisk':
      fs.rmSync(step.path, { force: true });
      await qemuImg(step.volume, 'create empty disk', [
        'create',
        '-q',
        '-f',
        'qcow2',
        step.path,
        String(step.sizeBytes),
      ]);
      return;
    case 'createIfMissing':
      if (fs.existsSync(step.path)) return;
      fs.mkdirSync(path.dirname(step.path), { recursive: true });
      try {
        const fd = fs.openSync(step.path, 'wx');
        fs.ftruncateSync(fd, step.sizeBytes);
        fs.closeSync(fd);
      } catch (e) {
        throw new PrepareError(step.volume, 'create host disk', (e as Error).message);
      }
      return;
    case 'iso':
      try {
        await writeIso(step.path, step.label, step.files, step.fromDir);
      } catch (e) {
        throw new PrepareError(step.volume, `write ${step.label} ISO`, (e as Error).message);
      }
      return;
    case 'copy':
      fs.rmSync(step.path, { force: true });
      fs.copyFileSync(step.from, step.path);
      return;
    case 'copyIfMissing':
      if (!fs.existsSync(step.path)) fs.copyFileSync(step.from, step.path);
      return;
    case 'confine':
      try {
        assertConfined(step.base, step.path, step.field);
      } catch (e) {
        if (e instanceof HostPathError) throw new PrepareError(undefined, 'confine path', e.message);
        throw e;
      }
      return;
  }
}

export async function prepareAll(steps: readonly PrepareStep[]): Promise<void> {
  for (const step of steps) await prepareStep(step);
}
