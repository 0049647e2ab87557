/**
 * Keeps what the guest agent last said about the guest. It polls on its own timer (often
 * right after a boot, until the agent first answers, then every `intervalMs`), opens a fresh
 * connection per poll and never lets a silent guest hold anything up: a poll without an
 * answer just reports `connected: false`. Each poll asks for the OS, host name, time zone and
 * the guest's network interfaces (`guest-network-get-interfaces`, as KubeVirt's poller does).
 * Only one connection is open at a time (the chardev serves one client), so other agent users
 * (soft reboot) go through `withClient`.
 */
import { QgaClient, DEFAULT_QGA_TIMEOUT_MS } from './client';
import { answerIfSupported } from './errors';
import {
  toGuestInterfaces,
  toGuestOsInfo,
  type GuestInfo,
  type QgaHostName,
  type QgaNetworkInterface,
  type QgaOsInfo,
  type QgaTimezone,
} from './protocol';

export interface GuestAgentMonitorOptions {
  readonly socketPath: string;
  /** Per command (and for the resync). */
  readonly timeoutMs?: number;
  /** Between polls once the agent answered (or the boot window passed). */
  readonly intervalMs?: number;
  /** Between polls right after a boot, until the agent answers. */
  readonly bootIntervalMs?: number;
  /** How long after a boot the short interval applies. */
  readonly bootWindowMs?: number;
  /** False while the agent cannot answer (paused guest): polls are skipped, the last answer stays. */
  readonly canAsk?: () => boolean;
  /** Called when `connected` flips or the reported facts change. */
  readonly onChange?: (info: GuestInfo) => void;
}

const DISCONNECTED: GuestInfo = { connected: false };

export class GuestAgentMonitor {
  private current: GuestInfo = DISCONNECTED;
  private timer: NodeJS.Timeout | undefined;
  private bootUntil = 0;
  private running = false;
  private inflight: Promise<GuestInfo> | undefined;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: GuestAgentMonitorOptions) {}

  info(): GuestInfo {
    return this.current;
  }

  /** Starts polling now, on the boot cadence (call when the guest starts). */
  start(): void {
    this.running = true;
    this.bootUntil = Date.now() + (this.o.bootWindowMs ?? 120_000);
    this.schedule(0);
  }

  /** Stops polling; the guest is gone, so is its agent. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.update(DISCONNECTED);
  }

  /** One poll now (shared with a poll already under way). */
  poll(): Promise<GuestInfo> {
    // canAsk is looked at again once the client is ours: a freeze that held the client while
    // this poll waited must not be followed by questions a frozen agent refuses (which would
    // mark it disconnected and leave nobody able to thaw it).
    this.inflight ??= this.withClient((c) =>
      this.o.canAsk?.() === false ? Promise.resolve(this.current) : this.ask(c),
    )
      .catch((): GuestInfo => ({ connected: false, checkedAt: new Date().toISOString() }))
      .then((info) => {
        this.inflight = undefined;
        this.update(info);
        return info;
      });
    return this.inflight;
  }

  /** Runs `fn` with a connected, exclusive client (closed afterwards). */
  withClient<T>(fn: (c: QgaClient) => Promise<T>): Promise<T> {
    const timeout = this.o.timeoutMs ?? DEFAULT_QGA_TIMEOUT_MS;
    const run = this.lock.then(async () => {
      const client = await QgaClient.connect(this.o.socketPath, timeout);
      try {
        return await fn(client);
      } finally {
        client.close();
      }
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async ask(c: QgaClient): Promise<GuestInfo> {
    await c.sync();
    await c.execute('guest-ping');
    const os = await c.execute<QgaOsInfo>('guest-get-osinfo');
    // Host name and time zone are extras: an agent without them is still connected.
    const host = await answerIfSupported(c.execute<QgaHostName>('guest-get-host-name'));
    const tz = await answerIfSupported(c.execute<QgaTimezone>('guest-get-timezone'));
    // The guest's interfaces and addresses (the VMI's status.interfaces merge them in).
    const ifaces = await answerIfSupported(c.execute<QgaNetworkInterface[]>('guest-network-get-interfaces'));
    return {
      connected: true,
      osInfo: toGuestOsInfo(os ?? {}),
      ...(host?.['host-name'] ? { hostname: host['host-name'] } : {}),
      ...(tz && typeof tz.offset === 'number'
        ? { timezone: { ...(tz.zone ? { zone: tz.zone } : {}), offsetSeconds: tz.offset } }
        : {}),
      ...(ifaces !== undefined ? { interfaces: toGuestInterfaces(ifaces) } : {}),
      checkedAt: new Date().toISOString(),
    };
  }

  private update(next: GuestInfo): void {
    const prev = this.current;
    this.current = next;
    if (factsOf(prev) !== factsOf(next)) this.o.onChange?.(next);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    if (this.o.canAsk?.() !== false) await this.poll();
    const fast = !this.current.connected && Date.now() < this.bootUntil;
    this.schedule(fast ? (this.o.bootIntervalMs ?? 2000) : (this.o.intervalMs ?? 10_000));
  }
}

/** The facts a change is reported for (not the poll time). */
function factsOf(i: GuestInfo): string {
  return JSON.stringify([
    i.connected,
    i.osInfo ?? null,
    i.hostname ?? null,
    i.timezone ?? null,
    i.interfaces ?? null,
  ]);
}
