/**
 * Does KVM really work here? /dev/kvm may exist while QEMU with KVM fails (an MSR error) or
 * hangs in the guest's first instructions. So the probe boots QEMU's own SeaBIOS under KVM,
 * with no disks, and waits for the BIOS to finish its self-test on the debug console
 * ("No bootable device" / "Booting from"). A few seconds at most; the answer is cached per
 * host boot (keyed by /proc/sys/kernel/random/boot_id) and QEMU version.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { confinedPath } from '../../api/host-path';
import { cacheDir } from '../../common/cache';
import type { Accelerator } from '../plan/types';
import { qemuSystemBinary } from './qemu-binary';
import { confinedCommand, qemuIdentity, type QemuIdentity } from './qemu-user';

export interface AcceleratorChoice {
  readonly accelerator: Accelerator;
  /** True when the guest runs under software emulation (TCG). */
  readonly softwareEmulation: boolean;
  /** Why this accelerator: probe result or override. */
  readonly reason: string;
}

/** Pure: the verdict from what the probe saw. */
export function judgeProbe(
  output: string,
  exitCode: number | null,
  timedOut: boolean,
): { ok: boolean; reason: string } {
  if (/No bootable device|Booting from/.test(output))
    return { ok: true, reason: 'KVM probe boot reached the end of BIOS self-test' };
  const lastError = output
    .split('\n')
    .filter((l) => /error|fail|Assertion/i.test(l))
    .pop();
  if (lastError) return { ok: false, reason: `KVM probe failed: ${lastError.trim()}` };
  if (timedOut)
    return { ok: false, reason: 'KVM probe boot did not finish in time (the guest hangs under KVM)' };
  return { ok: false, reason: `KVM probe exited with code ${exitCode} before the BIOS finished` };
}

function probeOnce(
  qemu: string,
  cpu: string,
  timeoutMs: number,
  identity: QemuIdentity | undefined,
): Promise<{ ok: boolean; reason: string }> {
  return new Promise((resolve) => {
    // As the guests will run: KVM must work for QEMU's user, not only for root.
    const [cmd, argv] = confinedCommand(
      qemu,
      [
        '-accel',
        'kvm',
        '-machine',
        'q35',
        '-cpu',
        cpu,
        '-m',
        '64',
        '-nodefaults',
        '-no-user-config',
        '-display',
        'none',
        '-chardev',
        'stdio,id=dbg',
        '-device',
        'isa-debugcon,iobase=0x402,chardev=dbg',
        '-no-reboot',
      ],
      identity,
    );
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const finish = (exitCode: number | null, timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(judgeProbe(out, exitCode, timedOut));
    };
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (/No bootable device|Booting from/.test(out)) finish(null, false);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      out += `\nerror: ${e.message}`;
      finish(null, false);
    });
    child.on('exit', (code) => finish(code, false));
    const timer = setTimeout(() => finish(null, true), timeoutMs);
  });
}

function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

/** CPU models QEMU can take in -cpu and a file name can hold: letters, digits, '.', '_', '-'. */
export function isCpuModelWord(model: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(model);
}

/**
 * KVM if it works (VIRTKIT_ACCEL=kvm|tcg forces a choice), TCG otherwise. `cpu` is the model
 * the VM will use under KVM ("host" for host-model / host-passthrough).
 */
export async function chooseAccelerator(
  qemu: string,
  cpu = 'host',
  identity: QemuIdentity | undefined = qemuIdentity(),
  timeoutMs = 5000,
): Promise<AcceleratorChoice> {
  const forced = process.env.VIRTKIT_ACCEL;
  if (forced === 'tcg') return { accelerator: 'tcg', softwareEmulation: true, reason: 'VIRTKIT_ACCEL=tcg' };
  if (forced === 'kvm') return { accelerator: 'kvm', softwareEmulation: false, reason: 'VIRTKIT_ACCEL=kvm' };
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return { accelerator: 'tcg', softwareEmulation: true, reason: '/dev/kvm is missing or not accessible' };
  }
  // The model reaches QEMU's -cpu and a cache file name: refuse what could change either.
  if (!isCpuModelWord(cpu))
    throw new Error(
      `spec.domain.cpu.model = ${JSON.stringify(cpu)}: may only contain letters, digits, '.', '_' and '-' (at most 128); use a QEMU CPU model name such as Skylake-Server`,
    );
  let version = 'unknown';
  try {
    version = fs.statSync(qemu).mtimeMs.toString();
  } catch {
    // unknown
  }
  const cacheFile = confinedPath(
    cacheDir('kvm-probe', bootId().replace(/[^A-Za-z0-9-]/g, '_')),
    `${cpu}-${version}-${identity ? `u${identity.uid}` : 'self'}.json`,
    'spec.domain.cpu.model',
  );
  try {
    return JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as AcceleratorChoice;
  } catch {
    // not cached yet
  }
  const verdict = await probeOnce(qemu, cpu, timeoutMs, identity);
  const choice: AcceleratorChoice = verdict.ok
    ? { accelerator: 'kvm', softwareEmulation: false, reason: verdict.reason }
    : { accelerator: 'tcg', softwareEmulation: true, reason: verdict.reason };
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    fs.writeFileSync(cacheFile, JSON.stringify(choice));
  } catch {
    // caching is an optimisation
  }
  return choice;
}

/**
 * Whether guests can use KVM on this machine, and why not: chooseAccelerator for this host's
 * QEMU (a short boot with KVM, cached per boot). A /dev/kvm that exists but does not boot a guest
 * is not usable. The handler's Node facts and `virtkit up`'s useEmulation both follow it.
 */
export async function hostKvm(): Promise<{ usable: boolean; reason: string }> {
  try {
    const choice = await chooseAccelerator(qemuSystemBinary());
    return { usable: choice.accelerator === 'kvm', reason: choice.reason };
  } catch (err) {
    return { usable: false, reason: (err as Error).message };
  }
}
