/**
 * The two process entry points behind the CLI:
 *  - runLauncher: the compute process of a VM's pod (`virtkit launcher`), driven by the
 *    handler over the control API;
 *  - runLaunch: `virtkit launch FILE.yaml`, a VM in the foreground for template authors.
 * In both, SIGTERM / SIGINT mean graceful shutdown (power button, grace period, quit, kill).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { createLogger, type Logger } from '../common/log';
import { ControlServer } from './api/server';
import { readVmiManifest } from './manifest';
import type { PlannableVmi } from './plan/build';
import type { Domain } from './runtime/domain';
import { createDomain, type LaunchResources } from './session';
import { userNetworkingNotices } from './launch-notices';
import { pollUntil, requestNetworkWiring, waitForHandoff } from './handoff';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../api/kubevirt/v1/defaults';

/** KubeVirt's default terminationGracePeriodSeconds. */
export interface LauncherOptions {
  /** Private per-VM directory (sockets, overlays, logs, final-status.json). */
  readonly workDir: string;
  /** The VMI manifest (YAML or JSON; a VirtualMachine's template works too). */
  readonly vmiFile: string;
  /** Control API socket; <workDir>/launcher.sock by default. */
  readonly socketPath?: string;
  /** JSON file with LaunchResources (claim paths, taps, resolved secrets, ...). */
  readonly resourcesFile?: string;
  /** Wait for POST /v1/sync instead of starting the guest at once. */
  readonly waitForSync?: boolean;
  /**
   * Cluster mode (`--handler-dir`): the folder of the pod shared with the node's handler (an
   * emptyDir the handler reaches under kubelet's pod folders). The launcher marks itself
   * waiting there, waits for the handler's resources.json, serves its control socket there and
   * waits for POST /v1/sync (./handoff.ts). Overrides socketPath, resourcesFile and waitForSync.
   */
  readonly handlerDir?: string;
  /** Persistent state (EFI NVRAM); workDir when left out. */
  readonly stateDir?: string;
  /** @default JSON lines (or readable ones on a terminal) on stderr, component virtkit-launcher */
  readonly log?: Logger;
  /** --log-level, when no logger is given. */
  readonly logLevel?: string;
}

function graceOf(vmi: PlannableVmi): number {
  const g = vmi.spec.terminationGracePeriodSeconds;
  return typeof g === 'number' && g >= 0 ? g : DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
}

/** Runs until the guest is gone; resolves with the process exit code. */
export async function runLauncher(options: LauncherOptions): Promise<number> {
  // What the launcher and QEMU create (sockets, logs, images) is theirs alone.
  process.umask(0o077);
  let log = options.log ?? createLogger({ component: 'virtkit-launcher', level: options.logLevel });
  // The handler re-checked this generation with the whole api/ validation; the launcher checks
  // every value it uses (the planner's rules and the feature gates), not the whole schema,
  // which would cost the per-VM process about 70 MiB.
  const vmi = readVmiManifest(options.vmiFile, false);
  let resourcesFile = options.resourcesFile;
  let socketPath = options.socketPath;
  if (options.handlerDir !== undefined) {
    log.info({ handlerDir: options.handlerDir }, 'waiting for the node handler to prepare this VM');
    const handed = await waitForHandoff(options.handlerDir);
    if (!handed) return 0; // stopped before the handler came: nothing ran
    resourcesFile = handed.resourcesFile;
    socketPath = handed.socketPath;
  }
  const resources = resourcesFile
    ? (JSON.parse(fs.readFileSync(resourcesFile, 'utf8')) as LaunchResources)
    : undefined;
  fs.mkdirSync(options.workDir, { recursive: true });
  const domain = await createDomain(vmi, { workDir: options.workDir, stateDir: options.stateDir, resources });
  const name = vmi.metadata?.name ?? 'vmi';
  const namespace = vmi.metadata?.namespace ?? 'default';
  const grace = graceOf(vmi);
  log = log.child({
    kind: 'VirtualMachineInstance',
    namespace,
    name,
    ...(vmi.metadata?.uid ? { uid: vmi.metadata.uid } : {}),
  });
  // Cluster mode: the handler wires the planned bindings in this pod's network namespace.
  const bindings = domain.plan.interfaces.flatMap((i) => (i.binding ? [i.binding] : []));
  if (options.handlerDir !== undefined && resources?.networkByHandler && bindings.length) {
    log.info(
      { interfaces: bindings.map((b) => b.podInterface) },
      'asking the node handler to wire the pod network',
    );
    if (!(await requestNetworkWiring(options.handlerDir, bindings))) return 0;
    domain.bindingsWiredByHandler = true;
  }
  let started: Promise<void> | undefined;
  const start = (): Promise<void> => (started ??= domain.start().then(() => undefined));

  let stopRequested = false;
  const server = new ControlServer({
    socketPath: socketPath ?? path.join(options.workDir, 'launcher.sock'),
    domain,
    name,
    namespace,
    defaultGraceSeconds: grace,
    start,
    onStopRequested: () => (stopRequested = true),
  });
  await server.listen();
  const status0 = await domain.status();
  log.info(
    { accelerator: status0.accelerator, softwareEmulation: status0.softwareEmulation },
    `accelerator ${status0.accelerator}${status0.softwareEmulation ? ` (software emulation: ${status0.acceleratorReason})` : ''}`,
  );

  let finished = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    // Stay installed until the process exits: a SIGTERM after the guest stopped must not kill
    // the launcher before it has written its final status.
    if (finished) return;
    log.info({ signal: sig }, `graceful shutdown (grace ${grace}s)`);
    stopRequested = true;
    void domain.shutdown(grace);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    if (!options.waitForSync && options.handlerDir === undefined) await start();
    else await pollUntil(() => started !== undefined || stopRequested, 100);
    if (started) await started;
    await domain.stopped;
  } catch (e) {
    writeFinal(options.workDir, { error: (e as Error).message });
    await domain.closeNetwork();
    await server.close();
    throw e;
  } finally {
    finished = true;
  }
  const final = await domain.status();
  const migration = domain.migrationStatus();
  // The migration's outcome (timings, the failure) outlives the process with the final status.
  writeFinal(options.workDir, migration.phase === 'None' ? final : { ...final, migration });
  // Give the handler a moment to read Completed from the launcher before the socket goes.
  if (final.reason === 'Migrated') await domain.migrationEndSeen(MIGRATED_LINGER_MS);
  await domain.closeNetwork();
  await server.close();
  log.info({ state: final.state, reason: final.reason }, `guest ${final.state} (${final.reason})`);
  // A source whose guest moved to its migration target is done, as after a shutdown (the
  // handler ends the source pod Succeeded). A target whose incoming migration failed lost its
  // QEMU: that is a failure like a crash.
  return final.reason === 'Shutdown' || final.reason === 'Migrated' || stopRequested ? 0 : 1;
}

/** How long a source launcher whose guest moved waits for its handler to read the outcome. */
const MIGRATED_LINGER_MS = 5000;

function writeFinal(workDir: string, body: unknown): void {
  try {
    fs.writeFileSync(path.join(workDir, 'final-status.json'), JSON.stringify(body, null, 2));
  } catch {
    // the work dir may be gone already
  }
}

export interface LaunchOptions {
  readonly file: string;
  /** Copy the serial console to stdout (and stdin lines to the guest). */
  readonly console?: boolean;
  /** Keep sockets and overlays here; a temporary directory when left out. */
  readonly workDir?: string;
  /**
   * Feature gates to allow, as the cluster's KubeVirt object would (LocalContainerDisk for a
   * disk image file of one's own, HostDisk, ...).
   * @default none: a VMI that uses a gated feature is refused, naming the gate
   */
  readonly featureGates?: readonly string[];
  readonly log?: (line: string) => void;
}

/** `virtkit launch`: run one VM in the foreground; resolves with the exit code. */
export async function runLaunch(options: LaunchOptions): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  process.umask(0o077);
  const vmi = readVmiManifest(options.file);
  const workDir =
    options.workDir ??
    fs.mkdtempSync(path.join(os.tmpdir(), `virtkit-launch-${vmi.metadata?.name ?? 'vm'}-`));
  const domain: Domain = await createDomain(vmi, {
    workDir,
    resources: { featureGates: options.featureGates ?? [] },
  });
  const grace = graceOf(vmi);
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`\nvirtkit launch: ${sig}: shutting the guest down (grace ${grace}s)...`);
    void domain
      .shutdown(grace)
      .then((r) => log(`virtkit launch: guest stopped (${r.how === 'guest' ? 'powered off' : r.how})`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await domain.start();
    const st = await domain.status();
    log(
      `virtkit launch: ${st.namespace}/${st.name} running (pid ${st.pid}, ${st.accelerator}${st.softwareEmulation ? ', software emulation' : ''}); work dir ${workDir}`,
    );
    log(
      `virtkit launch: serial console ${st.serialSocket ?? 'none'}, log ${st.serialLog ?? 'none'}${st.vncSocket ? `, VNC ${st.vncSocket}` : ''}; Ctrl-C shuts down`,
    );
    const userNet = st.interfaces.filter((i) => i.backend === 'user').map((i) => i.name);
    for (const line of userNetworkingNotices(vmi, userNet)) log(line);
    if (options.console && domain.plan.serialSocket) attachConsole(domain.plan.serialSocket);
    await domain.stopped;
  } finally {
    await domain.closeNetwork();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.stdin.pause();
  }
  const final = await domain.status();
  return interrupted || final.reason === 'Shutdown' ? 0 : 1;
}

function attachConsole(socketPath: string): void {
  const s = net.createConnection(socketPath);
  s.on('error', () => undefined);
  s.pipe(process.stdout, { end: false });
  if (!process.stdin.isTTY || process.stdin.readable) {
    process.stdin.on('data', (d) => s.write(d));
  }
}
