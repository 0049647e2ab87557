/**
 * The on-disk record of one launcher pod under the handler's state dir, which is what makes
 * a handler restart safe: <state>/pods/<pod uid>/ holds pod.json (which pod), vmi.json and
 * resources.json (what the launcher got; pod.json also has the pod's IPs), launcher.pid ("<pid> <start ticks>"), launcher.log,
 * exit.json (the launcher's exit, when the handler saw it) and w/ (the launcher's work dir with
 * its control socket and final-status.json). Short names keep socket paths under 108 bytes.
 */
import type { MigrationStatus } from '../../launcher/api/protocol';
import * as fs from 'fs';
import * as path from 'path';

export interface PodRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly vmi: { readonly namespace: string; readonly name: string; readonly uid?: string };
  /** When the launcher was started (ISO time). */
  readonly startedAt?: string;
  /**
   * status.podIPs: the addresses CNI ADD gave the pod's interface, kept so a launcher adopted
   * after a handler restart reports the same ones without running ADD again. A record without
   * them is of a launcher that ran in the host's network (the node's address).
   */
  readonly podIPs?: readonly string[];
  /** The `ip netns` name of the pod's network namespace the launcher runs in. */
  readonly netns?: string;
}

export interface ExitRecord {
  readonly code: number;
  readonly signal: string | null;
  readonly finishedAt: string;
  /** True when the code was inferred (the handler was not the launcher's parent any more). */
  readonly inferred: boolean;
}

export class PodDir {
  constructor(readonly dir: string) {}

  static forPod(stateDir: string, uid: string): PodDir {
    return new PodDir(path.join(stateDir, 'pods', uid));
  }

  get workDir(): string {
    return path.join(this.dir, 'w');
  }
  /** The QEMU directory of the launcher (its sockets, console log; QEMU's user owns it). */
  get qemuDir(): string {
    return path.join(this.workDir, 'qemu');
  }
  /** The same folder: the process runtime reaches it at its own path. */
  get qemuFolder(): string {
    return this.qemuDir;
  }

  get socket(): string {
    return path.join(this.workDir, 'launcher.sock');
  }
  get serialLog(): string {
    // QEMU writes it in its own directory (launcher/session.ts QEMU_DIR).
    return path.join(this.qemuDir, 'serial.log');
  }
  get finalStatusFile(): string {
    return path.join(this.workDir, 'final-status.json');
  }
  get vmiFile(): string {
    return path.join(this.dir, 'vmi.json');
  }
  get resourcesFile(): string {
    return path.join(this.dir, 'resources.json');
  }
  get logFile(): string {
    return path.join(this.dir, 'launcher.log');
  }
  private get recordFile(): string {
    return path.join(this.dir, 'pod.json');
  }
  private get pidFile(): string {
    return path.join(this.dir, 'launcher.pid');
  }
  private get exitFile(): string {
    return path.join(this.dir, 'exit.json');
  }

  create(): void {
    fs.mkdirSync(this.workDir, { recursive: true, mode: 0o700 });
  }
  writeRecord(r: PodRecord): void {
    fs.writeFileSync(this.recordFile, JSON.stringify(r, null, 2));
  }
  readRecord(): PodRecord | undefined {
    return readJson<PodRecord>(this.recordFile);
  }
  writePid(pid: number, startTicks: string): void {
    fs.writeFileSync(this.pidFile, `${pid} ${startTicks}\n`);
  }
  readPid(): { pid: number; startTicks: string } | undefined {
    try {
      const [pid, ticks] = fs.readFileSync(this.pidFile, 'utf8').trim().split(/\s+/);
      return Number(pid) > 0 ? { pid: Number(pid), startTicks: ticks ?? '' } : undefined;
    } catch {
      return undefined;
    }
  }
  writeExit(e: ExitRecord): void {
    fs.writeFileSync(this.exitFile, JSON.stringify(e));
  }
  readExit(): ExitRecord | undefined {
    return readJson<ExitRecord>(this.exitFile);
  }
  readFinalStatus(): FinalStatus | undefined {
    return readJson<FinalStatus>(this.finalStatusFile);
  }
  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The launcher's final-status.json: its last DomainStatus, or {error} when the start failed. */
export interface FinalStatus {
  readonly state?: string;
  readonly reason?: string;
  readonly error?: string;
  /** The launcher's last live migration, when it took part in one (its timings, its failure). */
  readonly migration?: MigrationStatus;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The pod uids the state dir has records for. */
export function recordedPods(stateDir: string): string[] {
  try {
    return fs.readdirSync(path.join(stateDir, 'pods'));
  } catch {
    return [];
  }
}

/**
 * Pure: the launcher's exit code when the handler did not see it exit (it was restarted in
 * between), from the launcher's documented codes: 0 after a guest shutdown or a requested stop,
 * 1 when QEMU crashed, 2 when the VMI could not be launched; no final status means it was killed.
 */
export function inferExitCode(final: FinalStatus | undefined): number {
  if (!final) return 137;
  if (final.error) return 2;
  if (final.state === 'Shutoff' && (final.reason === 'Shutdown' || final.reason === 'Destroyed')) return 0;
  return 1;
}
