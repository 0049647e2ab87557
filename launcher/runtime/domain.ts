/**
 * One running guest: QEMU started from a LaunchPlan and driven over QMP. Implements the
 * life-cycle the handler and `virtkit launch` need: start, graceful shutdown (ACPI power
 * button, grace period, then quit, then kill), kill, pause/unpause, reset, soft reboot,
 * status, stats, a stream of domain events derived from QMP events, and both sides of a live
 * migration (./migration-source.ts, ./migration-target.ts).
 */
import * as fs from 'fs';
import type * as net from 'net';
import * as path from 'path';
import type { AcceleratorChoice } from '../host/kvm-probe';
import type { LaunchPlan } from '../plan/types';
import { GuestAgentMonitor } from '../qga/monitor';
import type { GuestInfo } from '../qga/protocol';
import {
  agentDetails,
  fsFreezeOrUndo,
  FsFreezeFailedError,
  fsThaw,
  guestFilesystems,
  guestUsers,
} from '../qga/queries';
import {
  formatGuestTimezone,
  GUEST_AGENT_INFO_LIST_LIMIT,
  type VirtualMachineInstanceFileSystem,
  type VirtualMachineInstanceGuestAgentInfo,
  type VirtualMachineInstanceGuestOSUser,
} from '../../api/kubevirt/v1/vmi-subresources';
import { QmpClient } from '../qmp/client';
import type { BalloonInfo, BlockStatsEntry, QmpEvent, QueryCpuFast, QueryStatus } from '../qmp/protocol';
import type {
  DomainEvent,
  DomainReason,
  DomainState,
  DomainStats,
  DomainStatus,
  ShutdownResult,
} from './domain-types';
import type { QemuIdentity } from '../host/qemu-user';
import { connectGuestAddress, openGuestPort, PortForwardError } from './port-forward';
import { bindPodNetwork, type BoundPodNetwork } from '../network/bind';
import { HotplugDisks } from './hotplug';
import type { AttachDiskRequest, GuestDisk, HotplugDisksBody } from '../plan/hotplug';
import { prepareAll } from './prepare';
import type { MigrationIncomingReady, MigrationStartRequest, MigrationStatus } from '../api/protocol';
import { checkIncomingRequest, checkStartRequest, MigrationConflictError } from '../plan/migration-request';
import type { MigrationHost } from './migration-host';
import { NOT_MIGRATING, SourceMigration } from './migration-source';
import { TargetMigration } from './migration-target';
import { closeAll, handOverQemuDir, openPassedFds, restrictSockets } from './qemu-dir';
import { QemuProcess, QemuStartError } from './qemu-process';

export class DomainNotRunningError extends Error {
  constructor(
    readonly vm: string,
    readonly action: string,
    readonly state: DomainState,
  ) {
    super(`cannot ${action} ${vm}: the domain is ${state}; start it first`);
    this.name = 'DomainNotRunningError';
  }
}

/** The guest has no agent answering (none runs, or the VMI has no agent channel). */
export class GuestAgentNotConnectedError extends Error {
  constructor(
    readonly vm: string,
    readonly action: string,
  ) {
    super(
      `cannot ${action} ${vm}: no guest agent is connected; run qemu-guest-agent in the guest (the VMI's AgentConnected condition says when it answers)`,
    );
    this.name = 'GuestAgentNotConnectedError';
  }
}

export interface DomainOptions {
  readonly name: string;
  readonly namespace: string;
  readonly qemuBinary: string;
  readonly accelerator: AcceleratorChoice;
  /** How long QEMU may take to open its QMP socket. */
  readonly startTimeoutMs?: number;
  /** Who QEMU runs as (launcher/host/qemu-user.ts); the launcher's own user when undefined. */
  readonly identity?: QemuIdentity;
}

type Listener = (e: DomainEvent) => void;

const QUIT_WAIT_MS = 5000;
const REPRESS_MS = 5000;
/** Between attempts of an unfreeze timeout's thaw that failed. */
const THAW_RETRY_MS = 1000;

export class Domain {
  private qemu: QemuProcess | undefined;
  private qmp: QmpClient | undefined;
  private state: DomainState = 'NoState';
  private reason: DomainReason = 'Unknown';
  private guestShutdown = false;
  private destroying = false;
  private pauseReason: DomainReason = 'PausedUser';
  private powerButtonPressed = false;
  private softRebootPending = false;
  /** The guest's filesystems are frozen (a freeze request), until thawed or the timer thaws them. */
  private fsFrozen = false;
  /** fsFrozen comes from a freeze that failed and could not be undone (yet): no freeze holds it. */
  private fsFrozenByFailure = false;
  private thawTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly history: DomainEvent[] = [];
  /** Polls the guest agent while the guest runs; absent without an agent channel. */
  private readonly agent: GuestAgentMonitor | undefined;
  /** Resolves when QEMU has exited (after start()). */
  stopped: Promise<void> = Promise.resolve();
  /** Disks attached after boot (./hotplug.ts). */
  private readonly hotplug: HotplugDisks;
  /** The pod network's bindings and their DHCP server, once QEMU first started. */
  private podNetwork: BoundPodNetwork | undefined;
  /**
   * The bindings' steps were performed by the node's handler (cluster mode: the launcher has no
   * NET_ADMIN; launcher/handoff.ts): only the DHCP server is the launcher's.
   */
  bindingsWiredByHandler = false;
  /** What the next RESUME means when it is not a user's unpause (a migration's end). */
  private resumeReason: DomainReason | undefined;
  /** The guest moved to a migration target: QEMU's exit is Shutoff / Migrated. */
  private migratedAway = false;
  /** A client read the migration's final phase (GET /v1/migration). */
  private migrationEndRead = false;
  /** The source side of a live migration, once one was started. */
  private source: SourceMigration | undefined;
  /** The target side, when the plan was made for a migration target (-incoming defer). */
  private target: TargetMigration | undefined;
  /** What the migration sides use of this Domain. */
  private readonly migrationHost: MigrationHost;

  constructor(
    readonly plan: LaunchPlan,
    private readonly options: DomainOptions,
  ) {
    this.hotplug = new HotplugDisks(
      plan,
      options.identity,
      `VirtualMachineInstance ${options.namespace}/${options.name}`,
    );
    this.migrationHost = {
      label: this.label,
      plan,
      qmp: (action) => this.requireQmp(action),
      hotpluggedDisks: () =>
        this.hotplug
          .list()
          .disks.filter((d) => d.hotplugged)
          .map((d) => d.name),
      changed: (m) => this.noteMigration(m),
      setPauseReason: (r) => (this.pauseReason = r),
      setResumeReason: (r) => (this.resumeReason = r),
      runningBecause: (r) => {
        if (this.state === 'Running' && this.reason !== r) this.transition('Running', r, 'Lifecycle');
      },
      migratedAway: () => this.endMigratedAway(),
    };
    if (plan.guestAgentSocket) {
      this.agent = new GuestAgentMonitor({
        socketPath: plan.guestAgentSocket,
        // A paused guest cannot answer, a frozen agent refuses the poll's questions: keep what
        // the agent said before.
        canAsk: () => this.state === 'Running' && !this.fsFrozen,
        onChange: (info) => this.noteAgent(info),
      });
    }
  }

  get label(): string {
    return `VirtualMachineInstance ${this.options.namespace}/${this.options.name}`;
  }

  get pid(): number | undefined {
    return this.qemu?.pid;
  }

  get running(): boolean {
    return this.qemu?.alive === true;
  }

  /** Prepares disks, starts QEMU and connects QMP; rejects with QEMU's own error text. */
  async start(): Promise<void> {
    if (this.running) return;
    await prepareAll(this.plan.prepare);
    // The pod network's bindings (tap, bridge, NAT, DHCP) stay for the launcher's life.
    this.podNetwork ??= await bindPodNetwork(this.plan.interfaces, this.options.identity, {
      stepsDone: this.bindingsWiredByHandler,
    });
    for (const sock of [
      this.plan.qmpSocket,
      this.plan.serialSocket,
      this.plan.vncSocket,
      this.plan.guestAgentSocket,
    ]) {
      if (sock) fs.rmSync(sock, { force: true });
    }
    this.guestShutdown = false;
    this.destroying = false;
    this.migratedAway = false;
    this.powerButtonPressed = false;
    handOverQemuDir(this.plan.qemuDir, this.options.identity);
    const fds = openPassedFds(this.plan.passFds);
    let qemu: QemuProcess;
    try {
      qemu = QemuProcess.spawn(this.options.qemuBinary, this.plan.args, {
        stdoutLog: path.join(this.plan.qemuDir, 'qemu.log'),
        cwd: this.plan.qemuDir,
        fds,
        identity: this.options.identity,
      });
    } finally {
      // QEMU holds its own copies now.
      closeAll(fds);
    }
    this.qemu = qemu;
    this.stopped = qemu.exited.then((exit) => {
      this.qmp?.close();
      this.hotplug.reset();
      this.agent?.stop();
      this.clearFreeze();
      const reason: DomainReason = this.migratedAway
        ? 'Migrated'
        : this.guestShutdown
          ? 'Shutdown'
          : this.destroying
            ? 'Destroyed'
            : exit.code === 0
              ? 'Shutdown'
              : 'Crashed';
      this.transition(reason === 'Crashed' ? 'Crashed' : 'Shutoff', reason, 'Lifecycle', undefined, {
        code: exit.code,
        signal: exit.signal,
      });
    });
    try {
      this.qmp = await QmpClient.connectWithRetry(
        this.plan.qmpSocket,
        this.options.startTimeoutMs ?? 30_000,
        () => qemu.alive,
      );
    } catch (e) {
      if (!qemu.alive || qemu.exit) {
        await qemu.exited;
        throw new QemuStartError(this.label, qemu.stderr, qemu.exit);
      }
      qemu.kill('SIGKILL');
      throw new QemuStartError(this.label, `${qemu.stderr}\n${(e as Error).message}`, undefined);
    }
    restrictSockets([
      this.plan.qmpSocket,
      this.plan.serialSocket,
      this.plan.vncSocket,
      this.plan.guestAgentSocket,
    ]);
    this.qmp.onEvent((e) => this.onQmpEvent(e));
    this.source = undefined;
    this.target = this.plan.incoming ? new TargetMigration(this.migrationHost) : undefined;
    this.target?.attach(this.qmp);
    const st = await this.qmp.execute<QueryStatus>('query-status');
    if (st.running) this.transition('Running', 'Booted', 'Lifecycle');
    else {
      this.pauseReason = 'PausedUser';
      this.transition(
        'Paused',
        // A migration target waits for the migration (never Booted: its guest is the source's).
        st.status === 'inmigrate'
          ? 'PausedMigration'
          : st.status === 'prelaunch'
            ? 'PausedStartingUp'
            : 'PausedUser',
        'Lifecycle',
      );
    }
    this.agent?.start();
  }

  /** What the guest agent said last; `connected: false` when none answers (or no channel). */
  guestInfo(): GuestInfo {
    return this.agent?.info() ?? { connected: false };
  }

  /** An agent appeared, went away or reported other facts: clients of the event stream look again. */
  private noteAgent(info: GuestInfo): void {
    this.emit({
      timestamp: new Date().toISOString(),
      type: 'GuestAgent',
      state: this.state,
      reason: this.reason,
      data: { connected: info.connected },
    });
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events so far (bounded), for clients that attach late. */
  events(): readonly DomainEvent[] {
    return this.history;
  }

  private transition(
    state: DomainState,
    reason: DomainReason,
    type: DomainEvent['type'],
    qmpEvent?: string,
    data?: Record<string, unknown>,
  ): void {
    this.state = state;
    this.reason = reason;
    this.emit({ timestamp: new Date().toISOString(), type, state, reason, qmpEvent, data });
  }

  private emit(e: DomainEvent): void {
    this.history.push(e);
    if (this.history.length > 500) this.history.shift();
    for (const l of [...this.listeners]) l(e);
  }

  private note(type: DomainEvent['type'], qmp: QmpEvent): void {
    this.emit({
      timestamp: new Date().toISOString(),
      type,
      state: this.state,
      reason: this.reason,
      qmpEvent: qmp.event,
      data: qmp.data,
    });
  }

  private onQmpEvent(e: QmpEvent): void {
    switch (e.event) {
      case 'STOP':
        this.transition('Paused', this.pauseReason, 'Lifecycle', e.event);
        this.pauseReason = 'PausedUser';
        return;
      case 'RESUME':
        this.transition('Running', this.resumeReason ?? 'Unpaused', 'Lifecycle', e.event);
        this.resumeReason = undefined;
        return;
      case 'BLOCK_IO_ERROR':
        if (e.data?.action === 'stop') this.pauseReason = 'PausedIOError';
        this.note('Other', e);
        return;
      case 'POWERDOWN':
        this.powerButtonPressed = true;
        this.note('PowerButton', e);
        return;
      case 'SHUTDOWN':
        if (e.data?.guest === true) this.guestShutdown = true;
        if (this.softRebootPending) {
          // Soft reboot without an agent: the guest shut down, start it again in place.
          this.softRebootPending = false;
          this.guestShutdown = false;
          void this.finishSoftReboot();
          this.note('Reset', e);
          return;
        }
        this.transition('ShuttingDown', 'Shutdown', 'Lifecycle', e.event, e.data);
        return;
      case 'RESET':
        this.note('Reset', e);
        // The guest starts over: nothing of it is frozen any more (a thaw timer has nothing
        // left to do), and its agent restarts: look for it on the boot cadence again.
        if (this.fsFrozen) {
          this.clearFreeze();
          this.noteFreeze();
        }
        if (this.running) this.agent?.start();
        return;
      case 'GUEST_PANICKED':
        this.transition('Crashed', 'Crashed', 'GuestPanicked', e.event, e.data);
        return;
      case 'DEVICE_DELETED':
        this.note('DeviceDeleted', e);
        return;
      default:
        this.note('Other', e);
    }
  }

  /** The guest's disks: boot-time ones and those hotplugged since, with their targets. */
  hotplugDisks(): HotplugDisksBody {
    return this.hotplug.list();
  }

  /** Hotplugs a disk image as a SCSI disk (KubeVirt's bus for hotplugged volumes). */
  async attachDisk(req: AttachDiskRequest): Promise<GuestDisk> {
    return this.hotplug.attach(this.requireQmp('attach a disk to'), req);
  }

  /** Unplugs a hotplugged disk: device_del, DEVICE_DELETED, then its block nodes go. */
  async detachDisk(name: string): Promise<void> {
    await this.hotplug.detach(this.requireQmp('detach a disk from'), name);
  }

  private requireQmp(action: string): QmpClient {
    if (!this.qmp || this.qmp.closed || !this.running)
      throw new DomainNotRunningError(this.label, action, this.state);
    return this.qmp;
  }

  async pause(): Promise<void> {
    this.pauseReason = 'PausedUser';
    await this.requireQmp('pause').execute('stop');
  }

  async unpause(): Promise<void> {
    const qmp = this.requireQmp('unpause');
    this.resumeReason = undefined;
    await qmp.execute('cont');
  }

  /** Where a live migration stands on this side. */
  migrationStatus(): MigrationStatus {
    // A guest that came in by migration may leave again: its own outgoing migration, once
    // started, is what this side reports.
    return (
      this.source?.current() ??
      this.target?.current() ?? { role: this.plan.incoming ? 'target' : 'none', phase: 'None' }
    );
  }

  /** GET /v1/migration: the status, noting that a client has seen how a migration ended. */
  readMigrationStatus(): MigrationStatus {
    const status = this.migrationStatus();
    if (status.phase === 'Completed' || status.phase === 'Failed' || status.phase === 'Cancelled')
      this.migrationEndRead = true;
    return status;
  }

  /**
   * Resolves once a client read how the migration ended, or after `timeoutMs`: the source
   * launcher lingers that long after its guest moved, so its handler can see Completed from the
   * launcher itself rather than only from its exit.
   */
  async migrationEndSeen(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.migrationEndRead && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  }

  /** Target side: listen for the source's migration (and its disk mirrors). */
  async migrationIncoming(body: unknown): Promise<MigrationIncomingReady> {
    const req = checkIncomingRequest(body, this.label);
    const target = this.target;
    if (!target) {
      this.requireQmp('receive a migration for');
      throw new MigrationConflictError(
        `${this.label} was not started as a migration target; start its launcher with migrationTarget: true in its resources`,
      );
    }
    return target.incoming(req);
  }

  /** Target side: the source completed; the guest runs here from now on. */
  async migrationFinish(): Promise<void> {
    if (!this.target)
      throw new MigrationConflictError(
        `${this.label} was not started as a migration target; there is nothing to finish`,
      );
    await this.target.finish();
  }

  /** Source side: migrate the guest to the target the request names. */
  async migrationStart(body: unknown): Promise<MigrationStatus> {
    const req: MigrationStartRequest = checkStartRequest(body, this.label);
    if (this.target && !this.target.finished)
      throw new MigrationConflictError(
        `${this.label} is a migration target; it cannot be migrated before it runs`,
      );
    this.requireQmp('migrate');
    this.source ??= new SourceMigration(this.migrationHost);
    return this.source.start(req);
  }

  /** Source side: cancel the migration; the guest keeps running here. */
  async migrationCancel(): Promise<MigrationStatus> {
    if (!this.source)
      throw new MigrationConflictError(`${NOT_MIGRATING}: ${this.label} has no migration in progress`);
    return this.source.cancel();
  }

  /** Clients of the event stream look again when a migration moves on. */
  private noteMigration(m: MigrationStatus): void {
    this.emit({
      timestamp: new Date().toISOString(),
      type: 'Migration',
      state: this.state,
      reason: this.reason,
      data: { role: m.role, phase: m.phase, ...(m.mode ? { mode: m.mode } : {}) },
    });
  }

  /** The guest runs on the target now: end QEMU here, which ends the domain as Shutoff / Migrated. */
  private async endMigratedAway(): Promise<void> {
    this.migratedAway = true;
    await this.destroy(Date.now());
  }

  /**
   * A TCP connection to `port` of the guest on its pod network (./port-forward.ts), for
   * KubeVirt's portforward subresource.
   */
  async connectGuestPort(port: number): Promise<net.Socket> {
    const qmp = this.requireQmp('port-forward to');
    const bound = this.plan.interfaces.find((i) => i.binding && i.podInterfaceName === 'eth0');
    if (bound?.binding?.kind === 'masquerade' && bound.binding.guest)
      return connectGuestAddress(bound.binding.guest.ip, port);
    if (bound?.binding)
      throw new PortForwardError(
        `${this.label}: port-forward to an interface with the bridge binding (${bound.name}) is not supported by virtkit yet; connect to the VMI's IP address directly`,
        'Unavailable',
      );
    const pod = this.plan.interfaces.find((i) => i.backend === 'user');
    if (!pod) {
      const taps = this.plan.interfaces.map((i) => i.name);
      throw new PortForwardError(
        taps.length
          ? `${this.label} has no pod network interface to forward to: its interfaces (${taps.join(', ')}) are on tap devices, which virtkit cannot forward to yet`
          : `${this.label} has no network interface: add a pod network (spec.networks[].pod) and an interface for it to forward its ports`,
        'Unavailable',
      );
    }
    return openGuestPort(qmp, pod.netdevId, port);
  }

  /**
   * Stops serving the pod network (its DHCP server) once the launcher is done with the guest,
   * so nothing keeps the launcher process alive; the devices go with the pod's namespace.
   */
  async closeNetwork(): Promise<void> {
    const bound = this.podNetwork;
    this.podNetwork = undefined;
    await bound?.close();
  }

  /** Hard reset, like pressing the reset button. */
  async reset(): Promise<void> {
    await this.requireQmp('reset').execute('system_reset');
  }

  /**
   * Soft reboot: through the guest agent when one answers, otherwise ACPI: the power button
   * is pressed with QEMU set to pause (not exit) on shutdown, then the machine is reset.
   */
  async softReboot(): Promise<void> {
    const qmp = this.requireQmp('soft-reboot');
    if (await this.agentReboot()) return;
    await qmp.execute('set-action', { shutdown: 'pause' });
    this.softRebootPending = true;
    await qmp.execute('system_powerdown');
  }

  /** Asks a connected guest agent to reboot; false (use ACPI) when there is none or it refuses. */
  private async agentReboot(): Promise<boolean> {
    const agent = this.agent;
    if (!agent?.info().connected) return false;
    try {
      await agent.withClient((c) => c.executeNoReply('guest-shutdown', { mode: 'reboot' }));
      return true;
    } catch {
      return false;
    }
  }

  private async finishSoftReboot(): Promise<void> {
    const qmp = this.qmp;
    if (!qmp || qmp.closed) return;
    try {
      await qmp.execute('system_reset');
      await qmp.execute('set-action', { shutdown: 'poweroff' });
      await qmp.execute('cont');
    } catch {
      // QEMU went away meanwhile; the exit handler reports it.
    }
  }

  /** The agent's channel, whether or not its last poll was answered. */
  private requireAgentSocket(action: string): GuestAgentMonitor {
    this.requireQmp(action);
    if (!this.agent) throw new GuestAgentNotConnectedError(this.label, action);
    return this.agent;
  }

  private requireAgent(action: string): GuestAgentMonitor {
    this.requireQmp(action);
    const agent = this.agent;
    if (!agent?.info().connected) throw new GuestAgentNotConnectedError(this.label, action);
    return agent;
  }

  /**
   * The agent's `guest-ping`, answered within `timeoutMs` (the guestAgentPing probe). Asked even
   * when the last poll found no agent: a probe wants the guest's answer now.
   */
  async guestPing(timeoutMs: number): Promise<void> {
    this.requireQmp('ping the guest agent of');
    const agent = this.agent;
    if (!agent) throw new GuestAgentNotConnectedError(this.label, 'ping the guest agent of');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new GuestAgentNotConnectedError(
              this.label,
              `get a guest-ping answer within ${timeoutMs} ms from`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([agent.withClient((c) => c.execute('guest-ping')), late]);
    } catch (e) {
      if (e instanceof GuestAgentNotConnectedError) throw e;
      throw new GuestAgentNotConnectedError(this.label, `ping the guest agent (${(e as Error).message}) of`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * KubeVirt's VirtualMachineInstanceGuestAgentInfo: what the agent's poll last said (OS, host
   * name, time zone), with its version, commands, the first users and filesystems asked now.
   */
  async guestAgentInfo(): Promise<VirtualMachineInstanceGuestAgentInfo> {
    const agent = this.requireAgent('read the guest agent info of');
    const polled = agent.info();
    const frozen = this.fsFrozen;
    const details = await agent.withClient((c) => agentDetails(c, { frozen }));
    const tz = polled.timezone;
    return {
      ...(details.version ? { guestAgentVersion: details.version } : {}),
      ...(details.supportedCommands.length ? { supportedCommands: details.supportedCommands } : {}),
      ...(polled.hostname ? { hostname: polled.hostname } : {}),
      os: { ...(polled.osInfo ?? {}) },
      ...(tz ? { timezone: formatGuestTimezone(tz.zone, tz.offsetSeconds) } : {}),
      ...(details.users.length ? { userList: details.users.slice(0, GUEST_AGENT_INFO_LIST_LIMIT) } : {}),
      fsInfo: { disks: details.filesystems.slice(0, GUEST_AGENT_INFO_LIST_LIMIT) },
      fsFreezeStatus: frozen ? 'frozen' : 'thawed',
    };
  }

  /** Every user logged in to the guest (the agent's `guest-get-users`). */
  async guestUsers(): Promise<VirtualMachineInstanceGuestOSUser[]> {
    const agent = this.requireAgent('list the users of');
    if (this.fsFrozen) return [];
    return agent.withClient((c) => guestUsers(c));
  }

  /** Every filesystem the guest has mounted (the agent's `guest-get-fsinfo`). */
  async guestFilesystems(): Promise<VirtualMachineInstanceFileSystem[]> {
    const agent = this.requireAgent('list the filesystems of');
    if (this.fsFrozen) return [];
    return agent.withClient((c) => guestFilesystems(c));
  }

  /**
   * Freezes the guest's filesystems through the agent (for a consistent snapshot or backup);
   * after `unfreezeTimeoutSeconds` (0: never) they are thawed again by themselves, so a client
   * that went away cannot leave the guest frozen. Freezing a frozen guest only restarts the timer.
   * A freeze that fails leaves nothing frozen: what it froze is thawed before its error comes
   * back (or, when that thaw fails too, as soon as one goes through; see holdFailedFreeze).
   */
  async freeze(unfreezeTimeoutSeconds: number): Promise<void> {
    const agent = this.requireAgent('freeze');
    // What a failed freeze left frozen is thawed before a new freeze (or this one fails too):
    // it must not pass for a freeze that holds.
    if (this.fsFrozenByFailure)
      await this.unfreeze().catch((err: unknown) => {
        throw new Error(
          `the guest is still frozen by an earlier freeze that failed, and thawing it failed: ${(err as Error).message}; the thaw is tried again until it goes through`,
        );
      });
    if (!this.fsFrozen) {
      try {
        await agent.withClient((c) => fsFreezeOrUndo(c));
      } catch (err) {
        if (err instanceof FsFreezeFailedError && err.mayBeFrozen) this.holdFailedFreeze();
        throw err;
      }
      this.fsFrozen = true;
      this.noteFreeze();
    }
    if (this.thawTimer) clearTimeout(this.thawTimer);
    this.thawTimer = undefined;
    if (unfreezeTimeoutSeconds > 0) this.scheduleThaw(unfreezeTimeoutSeconds * 1000);
  }

  /**
   * A failed freeze may have left the guest frozen and could not thaw it: it counts as frozen
   * (the VMI's fsFreezeStatus; the agent's poll leaves it alone, as a frozen agent refuses its
   * questions) and is thawed every THAW_RETRY_MS until a thaw goes through.
   */
  private holdFailedFreeze(): void {
    this.fsFrozenByFailure = true;
    if (!this.fsFrozen) {
      this.fsFrozen = true;
      this.noteFreeze();
    }
    if (this.thawTimer) clearTimeout(this.thawTimer);
    this.thawTimer = undefined;
    this.scheduleThaw(THAW_RETRY_MS);
  }

  /**
   * The unfreeze timeout: thaws the guest after `delayMs`, and keeps trying (every
   * THAW_RETRY_MS) while a thaw fails and the guest is still frozen, so an agent slow to
   * answer once cannot leave the guest frozen for good.
   */
  private scheduleThaw(delayMs: number): void {
    this.thawTimer = setTimeout(() => {
      this.thawTimer = undefined;
      if (!this.fsFrozen) return;
      this.unfreeze().catch(() => {
        if (this.fsFrozen && this.running && !this.thawTimer) this.scheduleThaw(THAW_RETRY_MS);
      });
    }, delayMs);
    this.thawTimer.unref();
  }

  /**
   * Thaws the guest's filesystems (nothing to do when they are not frozen). Asked of the agent
   * even when its last poll went unanswered: a frozen guest is exactly when thawing matters.
   */
  async unfreeze(): Promise<void> {
    const agent = this.requireAgentSocket('unfreeze');
    await agent.withClient((c) => fsThaw(c));
    // Thawed: a pending unfreeze timeout has nothing left to do (on failure it stays armed).
    if (this.thawTimer) clearTimeout(this.thawTimer);
    this.thawTimer = undefined;
    this.fsFrozenByFailure = false;
    if (this.fsFrozen) {
      this.fsFrozen = false;
      this.noteFreeze();
      // The agent answers everything again: report what it says now, not at the next poll.
      void agent.poll();
    }
  }

  private clearFreeze(): void {
    if (this.thawTimer) clearTimeout(this.thawTimer);
    this.thawTimer = undefined;
    this.fsFrozen = false;
    this.fsFrozenByFailure = false;
  }

  /** The freeze state changed: clients of the event stream look again (the VMI's fsFreezeStatus). */
  private noteFreeze(): void {
    this.emit({
      timestamp: new Date().toISOString(),
      type: 'GuestAgent',
      state: this.state,
      reason: this.reason,
      data: { fsFreezeStatus: this.fsFrozen ? 'frozen' : 'thawed' },
    });
  }

  /**
   * Graceful shutdown: press the ACPI power button and give the guest `graceSeconds` to power
   * off; then ask QEMU to quit; then SIGKILL.
   */
  async shutdown(graceSeconds: number): Promise<ShutdownResult> {
    const started = Date.now();
    const qemu = this.qemu;
    if (!qemu || !qemu.alive)
      return { how: 'already-stopped', powerButtonPressed: this.powerButtonPressed, elapsedMs: 0 };
    // A migration target whose guest has not arrived has no guest to press the button for.
    if (this.target && !this.target.guestRunsHere) return this.destroy(started);
    const qmp = this.qmp;
    if (qmp && !qmp.closed) {
      try {
        // A paused guest cannot react to the button.
        if (this.state === 'Paused') await qmp.execute('cont');
        await qmp.executeAndAwaitEvent('system_powerdown', undefined, 'POWERDOWN', 5000);
      } catch {
        // QEMU may exit between the command and the event; the waits below decide.
      }
    }
    // Press again every few seconds: a guest that was still booting may have missed a press.
    const deadline = started + graceSeconds * 1000;
    while (Date.now() < deadline) {
      if (await qemu.waitExit(Math.min(REPRESS_MS, deadline - Date.now()))) {
        await this.stopped;
        return { how: 'guest', powerButtonPressed: this.powerButtonPressed, elapsedMs: Date.now() - started };
      }
      if (Date.now() < deadline && qmp && !qmp.closed)
        await qmp.execute('system_powerdown').catch(() => undefined);
    }
    if (!qemu.alive) {
      await this.stopped;
      return { how: 'guest', powerButtonPressed: this.powerButtonPressed, elapsedMs: Date.now() - started };
    }
    return this.destroy(started);
  }

  /** Stops QEMU now: quit over QMP, then SIGKILL (KubeVirt's "kill"/destroy). */
  async kill(): Promise<ShutdownResult> {
    return this.destroy(Date.now());
  }

  private async destroy(started: number): Promise<ShutdownResult> {
    const qemu = this.qemu;
    if (!qemu || !qemu.alive)
      return {
        how: 'already-stopped',
        powerButtonPressed: this.powerButtonPressed,
        elapsedMs: Date.now() - started,
      };
    this.destroying = true;
    try {
      await this.qmp?.execute('quit', undefined, 2000);
    } catch {
      // fall through to the signal
    }
    if (await qemu.waitExit(QUIT_WAIT_MS)) {
      await this.stopped;
      return { how: 'quit', powerButtonPressed: this.powerButtonPressed, elapsedMs: Date.now() - started };
    }
    qemu.kill('SIGKILL');
    await qemu.exited;
    await this.stopped;
    return { how: 'killed', powerButtonPressed: this.powerButtonPressed, elapsedMs: Date.now() - started };
  }

  async status(): Promise<DomainStatus> {
    let qemuStatus: string | undefined;
    if (this.qmp && !this.qmp.closed && this.running) {
      try {
        qemuStatus = (await this.qmp.execute<QueryStatus>('query-status', undefined, 5000)).status;
      } catch {
        qemuStatus = undefined;
      }
    }
    const p = this.plan;
    const exit = this.qemu?.exit;
    return {
      name: this.options.name,
      namespace: this.options.namespace,
      uuid: p.uuid,
      state: this.state,
      reason: this.reason,
      qemuStatus,
      pid: this.running ? this.qemu?.pid : undefined,
      accelerator: this.options.accelerator.accelerator,
      softwareEmulation: this.options.accelerator.softwareEmulation,
      acceleratorReason: this.options.accelerator.reason,
      vcpus: p.vcpus,
      guestMemoryBytes: p.guestMemoryBytes,
      firmware: p.firmware,
      serialSocket: p.serialSocket,
      serialLog: p.serialLog,
      vncSocket: p.vncSocket,
      guestAgentSocket: p.guestAgentSocket,
      disks: p.disks.map((d) => ({
        name: d.name,
        path: d.path,
        bus: d.bus,
        device: d.device,
        readOnly: d.readOnly,
        source: d.volumeSource,
      })),
      interfaces: p.interfaces.map((i) => ({
        name: i.name,
        mac: i.mac,
        model: i.model,
        backend: i.backend,
        ...(i.podInterfaceName ? { podInterfaceName: i.podInterfaceName } : {}),
        ...(i.binding ? { binding: i.binding.kind } : {}),
        ...(i.binding?.guest ? { ipAddress: i.binding.guest.ip } : {}),
        queueCount: i.queues,
      })),
      exit: exit ? { code: exit.code, signal: exit.signal } : undefined,
      powerButtonPressed: this.powerButtonPressed,
      agentConnected: this.guestInfo().connected,
      ...(this.fsFrozen ? { fsFreezeStatus: 'frozen' as const } : {}),
    };
  }

  async stats(): Promise<DomainStats> {
    const qmp = this.requireQmp('read stats of');
    const [cpus, blocks, balloon] = await Promise.all([
      qmp.execute<QueryCpuFast[]>('query-cpus-fast'),
      qmp.execute<BlockStatsEntry[]>('query-blockstats'),
      qmp.execute<BalloonInfo>('query-balloon').catch(() => undefined),
    ]);
    const byDrive = new Map(this.plan.disks.map((d) => [d.driveId, d.name]));
    return {
      timestamp: new Date().toISOString(),
      state: this.state,
      vcpus: { count: cpus.length, threadIds: cpus.map((c) => c['thread-id']) },
      block: blocks
        .filter((b) => b.device && byDrive.has(b.device))
        .map((b) => ({
          name: byDrive.get(b.device!)!,
          rdBytes: b.stats.rd_bytes,
          wrBytes: b.stats.wr_bytes,
          rdOps: b.stats.rd_operations,
          wrOps: b.stats.wr_operations,
          flushOps: b.stats.flush_operations,
        })),
      network: this.plan.interfaces.map((i) => ({ name: i.name, ...tapCounters(i.backend) })),
      balloon: balloon ? { actualBytes: balloon.actual } : undefined,
      qemuRssBytes: this.qemu?.pid ? processRss(this.qemu.pid) : undefined,
    };
  }
}

/** Host-side counters of a tap (its rx is the guest's tx). */
function tapCounters(backend: string): {
  rxBytes?: number;
  txBytes?: number;
  rxPackets?: number;
  txPackets?: number;
} {
  if (!backend.startsWith('tap:')) return {};
  const dir = `/sys/class/net/${backend.slice(4)}/statistics`;
  const read = (f: string): number | undefined => {
    try {
      return Number(fs.readFileSync(path.join(dir, f), 'utf8'));
    } catch {
      return undefined;
    }
  };
  return {
    rxBytes: read('tx_bytes'),
    txBytes: read('rx_bytes'),
    rxPackets: read('tx_packets'),
    txPackets: read('rx_packets'),
  };
}

/** VmRSS of a process in bytes. */
export function processRss(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
