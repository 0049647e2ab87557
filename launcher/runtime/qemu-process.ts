/**
 * Runs QEMU as a child that cannot outlive the launcher and holds no privileges: started through
 * util-linux's setpriv (launcher/host/qemu-user.ts) as the qemu user with no capabilities,
 * no_new_privs and PR_SET_PDEATHSIG, so the kernel kills QEMU when the launcher dies, even by
 * SIGKILL. Its working directory is the plan's QEMU directory and the files it may not reach
 * by path come in as descriptors 3, 4, ... QEMU is never daemonized. Its stderr is kept (the
 * tail) so a refusal to start can be reported verbatim.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { confinedCommand, type QemuIdentity } from '../host/qemu-user';

export interface QemuExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** QEMU exited before it was ready; message carries QEMU's own words. */
export class QemuStartError extends Error {
  constructor(
    readonly vm: string,
    readonly stderr: string,
    readonly exit: QemuExit | undefined,
  ) {
    super(
      `QEMU refused to start ${vm}` +
        (exit ? ` (exit ${exit.code ?? exit.signal})` : '') +
        `: ${stderr.trim() || 'no error output'}`,
    );
    this.name = 'QemuStartError';
  }
}

export interface QemuSpawnOptions {
  /** QEMU's stdout goes here (appended). */
  readonly stdoutLog?: string;
  /** QEMU's working directory. */
  readonly cwd?: string;
  /** Open descriptors that become QEMU's 3, 4, ... in this order. */
  readonly fds?: readonly number[];
  /** Who QEMU runs as; the launcher's own user when undefined. */
  readonly identity?: QemuIdentity;
}

const STDERR_KEEP = 16 * 1024;

export class QemuProcess {
  private stderrTail = '';
  private exitInfo: QemuExit | undefined;
  readonly exited: Promise<QemuExit>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      child.on('error', (e) => {
        this.stderrTail += `\n${e.message}`;
        this.exitInfo = { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-STDERR_KEEP);
    });
  }

  static spawn(binary: string, args: readonly string[], options: QemuSpawnOptions = {}): QemuProcess {
    const [cmd, argv] = confinedCommand(binary, args, options.identity);
    const out = options.stdoutLog ? fs.openSync(options.stdoutLog, 'a', 0o600) : 'ignore';
    const stdio: StdioOptions = ['ignore', out, 'pipe', ...(options.fds ?? [])];
    let child: ChildProcess;
    try {
      child = spawn(cmd, argv, { stdio, cwd: options.cwd });
    } finally {
      if (typeof out === 'number') fs.closeSync(out);
    }
    lowerPriority(child.pid);
    const proc = new QemuProcess(child);
    if (cmd === binary) {
      // Best effort without setpriv: covers normal exits, not SIGKILL of the launcher.
      process.once('exit', () => proc.kill('SIGKILL'));
    }
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): QemuExit | undefined {
    return this.exitInfo;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Resolves true when QEMU exited within `ms`. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.alive) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const result = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }
}

/**
 * VIRTKIT_QEMU_NICE=N runs QEMU N steps nicer than the launcher. The handler sets it in local
 * mode, where guests share the host's cores with the control plane: booting guests must not
 * starve the API server, the scheduler and the runtime that report on them.
 */
function lowerPriority(pid: number | undefined): void {
  const nice = Number(process.env.VIRTKIT_QEMU_NICE ?? 0);
  if (!pid || !Number.isInteger(nice) || nice <= 0) return;
  try {
    os.setPriority(pid, Math.min(19, os.getPriority(pid) + nice));
  } catch {
    // the process is already gone, or the priority cannot change here: run at the default
  }
}
