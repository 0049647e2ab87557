/**
 * Live migration between two `virtkit launcher` processes on this machine, as two nodes'
 * handlers drive them (docs/launcher-api.md, "Live migration"): the target launcher starts
 * QEMU waiting for the migration, listens (POST /v1/migration/incoming, with port 0 so the
 * launchers pick free ports on 127.0.0.1), the source mirrors its node-local disks and migrates
 * (POST /v1/migration/start), the target resumes the guest (POST /v1/migration/finish).
 *
 * What a user notices is checked through the guest itself: over SSH (the launcher's port
 * forward to the guest's dropbear) the guest writes data to its containerDisk and its emptyDisk
 * before the migration and reads the same data back after it; its uptime goes on and its
 * serial console keeps counting seconds where it left off (no reboot); a reset on the target
 * finds the boot counters the guest wrote on the source. The source launcher exits 0. A cancel,
 * and a progress timeout, leave the guest running on the source.
 */
import { execFile, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { stringify } from 'yaml';
import { LauncherClient } from '../../launcher/api/client';
import type { MigrationOptions, MigrationStatus } from '../../launcher/api/protocol';
import { createCounterDisk, ensureGuestImage, GuestMarkers } from '../fixtures/guest/build';
import {
  GUEST_RESOURCES,
  guestVmi,
  pidAlive,
  spawnCli,
  tempDir,
  waitFor,
  waitForConsole,
} from '../fixtures/guest/harness';

jest.setTimeout(420_000);

const LOCAL = '127.0.0.1';

/** KubeVirt's defaults, unlimited bandwidth. */
const OPTIONS: MigrationOptions = {
  bandwidthBytesPerSecond: 0,
  allowAutoConverge: false,
  allowPostCopy: false,
  completionTimeoutPerGiB: 150,
  progressTimeoutSeconds: 150,
  maxDowntimeMs: 300,
};

interface Launcher {
  readonly client: LauncherClient;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly workDir: string;
  stderr(): string;
}

const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of cleanups) c();
  // QEMU dies with its launcher (pdeathsig).
  const exits = children
    .filter((c) => c.exitCode === null && c.signalCode === null)
    .map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(exits);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A temporary directory removed after the suite. */
function workspace(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

let keyDir: string;
let publicKey: string;

function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A VMI with the test guest, a counter containerDisk and an emptyDisk (both node-local). */
function writeVmi(dir: string, counterBase: string): string {
  const vmi = guestVmi({
    name: 'mover',
    userData: `#cloud-config\nssh_authorized_keys:\n  - ${publicKey}\n`,
    extraDisks: [
      { name: 'counter', disk: { bus: 'virtio' }, serial: 'containerdisk' },
      { name: 'scratch', disk: { bus: 'virtio' }, serial: 'emptydisk' },
    ],
    extraVolumes: [
      { name: 'counter', containerDisk: { image: counterBase } },
      { name: 'scratch', emptyDisk: { capacity: '64Mi' } },
    ],
  });
  const file = path.join(dir, 'mover.yaml');
  fs.writeFileSync(file, stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', ...vmi }));
  return file;
}

async function startLauncher(
  dir: string,
  side: string,
  vmiFile: string,
  migrationTarget: boolean,
): Promise<Launcher> {
  const workDir = path.join(dir, side);
  const resources = path.join(dir, `${side}-resources.json`);
  fs.writeFileSync(
    resources,
    JSON.stringify({ ...GUEST_RESOURCES, ...(migrationTarget ? { migrationTarget } : {}) }),
  );
  const child = spawnCli([
    'launcher',
    '--workdir',
    workDir,
    '--vmi',
    vmiFile,
    '--resources',
    resources,
    '--wait-for-sync',
  ]);
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const client = new LauncherClient(path.join(workDir, 'launcher.sock'));
  await waitFor(
    () =>
      client.version().then(
        () => true,
        () => false,
      ),
    60_000,
    `the ${side} launcher's control socket (stderr: ${stderr})`,
  );
  return { client, child, exited, workDir, stderr: () => stderr };
}

/** A local TCP port whose connections reach the guest's SSH server through the launcher. */
async function sshPort(client: LauncherClient): Promise<{ port: number; close(): void }> {
  const server = net.createServer((local) => {
    local.pause();
    client.guestPort(22).then(
      (guest) => {
        local.pipe(guest);
        guest.pipe(local);
        local.resume();
        local.on('error', () => guest.destroy());
        guest.on('error', () => local.destroy());
        local.on('close', () => guest.destroy());
        guest.on('close', () => local.destroy());
      },
      () => local.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(0, LOCAL, r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** Runs a shell command in the guest as root over SSH, through `client`'s launcher. */
async function inGuest(client: LauncherClient, command: string): Promise<string> {
  const fwd = await sshPort(client);
  try {
    return await run('ssh', [
      '-F',
      '/dev/null',
      '-i',
      path.join(keyDir, 'id'),
      '-p',
      String(fwd.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'ConnectTimeout=60',
      '-o',
      'BatchMode=yes',
      `root@${LOCAL}`,
      command,
    ]);
  } finally {
    fwd.close();
  }
}

/** The block device of the guest disk with this serial. */
const deviceOf = (serial: string): string =>
  `$(for d in /sys/block/vd*; do [ "$(cat $d/serial 2>/dev/null)" = ${serial} ] && echo /dev/\${d##*/}; done)`;

/** Boots the source's guest; answers its launcher once the guest's SSH server is up. */
async function bootSource(dir: string, vmiFile: string): Promise<Launcher> {
  const source = await startLauncher(dir, 'source', vmiFile, false);
  const synced = await source.client.sync();
  expect(synced.state).toBe('Running');
  await waitForConsole(synced.serialLog!, GuestMarkers.sshServer, 120_000);
  await waitForConsole(synced.serialLog!, `${GuestMarkers.tick} 2`);
  return source;
}

/** Starts the target launcher (QEMU waiting for the migration) and makes it listen. */
async function listeningTarget(dir: string, vmiFile: string, allowPostCopy = false) {
  const target = await startLauncher(dir, 'target', vmiFile, true);
  const waiting = await target.client.sync();
  // Never Booted: the guest is the source's, it has not arrived yet.
  expect(waiting).toMatchObject({ state: 'Paused', reason: 'PausedMigration', qemuStatus: 'inmigrate' });
  const ready = await target.client.migrationIncoming({
    address: LOCAL,
    allowPostCopy,
    migrationPort: 0,
    blockPort: 0,
  });
  expect(ready.mirroredDisks.slice().sort()).toEqual(['counter', 'rootdisk', 'scratch']);
  expect(ready.migrationPort).toBeGreaterThan(0);
  expect(ready.blockPort).toBeGreaterThan(0);
  expect(await target.client.migration()).toMatchObject({ role: 'target', phase: 'Incoming' });
  return { target, ready };
}

async function untilEnded(client: LauncherClient, timeoutMs: number): Promise<MigrationStatus> {
  let last: MigrationStatus | undefined;
  let error: unknown;
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      last = await client.migration();
    } catch (e) {
      error = e;
    }
    if (last && ['Completed', 'Failed', 'Cancelled'].includes(last.phase)) return last;
    if (Date.now() > until)
      throw new Error(
        `the migration did not end within ${timeoutMs} ms (last: ${JSON.stringify(last)}, last error: ${String(error)})`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

function ticks(log: string): number[] {
  return [...log.matchAll(/VIRTKIT-TICK (\d+)/g)].map((m) => Number(m[1]));
}

describe('live migration between two launchers', () => {
  beforeAll(async () => {
    ensureGuestImage();
    keyDir = workspace('migration-ssh');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'e2e', '-f', path.join(keyDir, 'id')]);
    publicKey = fs.readFileSync(path.join(keyDir, 'id.pub'), 'utf8').trim();
  });

  it('moves a running guest with the data on its containerDisk and emptyDisk, without a reboot', async () => {
    const dir = workspace('migrate');
    const counterBase = path.join(dir, 'counter-base.img');
    createCounterDisk(counterBase, 16 * 1024 * 1024);
    const vmiFile = writeVmi(dir, counterBase);
    const source = await bootSource(dir, vmiFile);
    const sourceLog = (await source.client.status()).serialLog!;
    expect(fs.readFileSync(sourceLog, 'utf8')).toContain(
      'VIRTKIT-BOOT-COUNT dev=vdc serial=containerdisk count=1',
    );

    // The guest writes: 4 MiB of random data past the counter on its containerDisk (its
    // overlay), and a counter plus 4 MiB on its fresh emptyDisk.
    const written = await inGuest(
      source.client,
      [
        `c=${deviceOf('containerdisk')}; e=${deviceOf('emptydisk')}`,
        `printf 'VIRTKIT-COUNTER:%010d\\n' 41 | dd of=$e conv=notrunc 2>/dev/null`,
        'dd if=/dev/urandom of=$c bs=1M seek=4 count=4 conv=notrunc 2>/dev/null',
        'dd if=/dev/urandom of=$e bs=1M seek=8 count=4 conv=notrunc 2>/dev/null',
        'sync',
        'echo c=$(dd if=$c bs=1M skip=4 count=4 2>/dev/null | md5sum | cut -d" " -f1)',
        'echo e=$(dd if=$e bs=1M skip=8 count=4 2>/dev/null | md5sum | cut -d" " -f1)',
        "echo up=$(cut -d' ' -f1 /proc/uptime)",
      ].join('; '),
    );
    const sums = Object.fromEntries(
      written
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    expect(sums.c).toMatch(/^[0-9a-f]{32}$/);
    expect(sums.e).toMatch(/^[0-9a-f]{32}$/);

    const { target, ready } = await listeningTarget(dir, vmiFile);
    const started = await source.client.migrationStart({
      address: ready.address,
      migrationPort: ready.migrationPort,
      blockPort: ready.blockPort,
      mirroredDisks: ready.mirroredDisks,
      options: OPTIONS,
    });
    expect(started).toMatchObject({ role: 'source', phase: 'Mirroring', mode: 'PreCopy' });
    const lastSourceTick = Math.max(...ticks(fs.readFileSync(sourceLog, 'utf8')));

    const done = await untilEnded(source.client, 180_000);
    expect(done).toMatchObject({ role: 'source', phase: 'Completed', mode: 'PreCopy' });
    expect(done.failureReason).toBeUndefined();
    expect(done.totalTimeMs).toBeGreaterThan(0);
    expect(done.downtimeMs).toBeGreaterThanOrEqual(0);
    console.log(
      `live migration (${(await target.client.status()).accelerator}, 192Mi guest, 3 mirrored disks): ${Date.parse(done.endedAt!) - Date.parse(done.startedAt!)} ms from start to end (mirrors included); QEMU's RAM migration: total ${done.totalTimeMs} ms, downtime ${done.downtimeMs} ms, setup ${done.setupTimeMs} ms, ${done.ramTransferredBytes} bytes sent in ${done.iterations} passes`,
    );

    // The source's QEMU is gone and its launcher exits 0 (its pod ends Succeeded).
    expect(await source.exited).toBe(0);
    const sourceFinal = JSON.parse(
      fs.readFileSync(path.join(source.workDir, 'final-status.json'), 'utf8'),
    ) as {
      state: string;
      reason: string;
      migration: MigrationStatus;
    };
    expect(sourceFinal).toMatchObject({
      state: 'Shutoff',
      reason: 'Migrated',
      migration: { phase: 'Completed' },
    });

    // The target waits, paused, until the handler finishes the migration.
    expect(await target.client.migration()).toMatchObject({ role: 'target', phase: 'Completed' });
    const running = await target.client.migrationFinish();
    expect(running).toMatchObject({ state: 'Running', reason: 'Migrated', qemuStatus: 'running' });

    // The same guest goes on: it counts seconds from where it was, it did not boot again.
    const targetLog = running.serialLog!;
    await waitForConsole(targetLog, /VIRTKIT-TICK \d+/);
    const after = fs.readFileSync(targetLog, 'utf8');
    expect(after).not.toContain(GuestMarkers.booted);
    expect(Math.min(...ticks(after))).toBeGreaterThanOrEqual(lastSourceTick);

    // What it wrote before is there, read by the guest on the target; its uptime went on.
    const read = await inGuest(
      target.client,
      [
        `c=${deviceOf('containerdisk')}; e=${deviceOf('emptydisk')}`,
        'echo c=$(dd if=$c bs=1M skip=4 count=4 2>/dev/null | md5sum | cut -d" " -f1)',
        'echo e=$(dd if=$e bs=1M skip=8 count=4 2>/dev/null | md5sum | cut -d" " -f1)',
        "echo up=$(cut -d' ' -f1 /proc/uptime)",
      ].join('; '),
    );
    const back = Object.fromEntries(
      read
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    expect(back.c).toBe(sums.c);
    expect(back.e).toBe(sums.e);
    expect(Number(back.up)).toBeGreaterThan(Number(sums.up));

    // A reset on the target boots from the disks as the source left them: the containerDisk's
    // count goes on from 1, the emptyDisk's from what the guest wrote (41).
    await target.client.reset();
    const rebooted = await waitForConsole(targetLog, GuestMarkers.booted, 120_000);
    expect(rebooted).toContain('VIRTKIT-BOOT-COUNT dev=vdc serial=containerdisk count=2');
    expect(rebooted).toContain('VIRTKIT-BOOT-COUNT dev=vdd serial=emptydisk count=42');

    await target.client.shutdown(30);
    expect(await target.exited).toBe(0);
  });

  it('cancels a migration in progress: the guest keeps running on the source', async () => {
    const dir = workspace('migrate-cancel');
    const counterBase = path.join(dir, 'counter-base.img');
    createCounterDisk(counterBase);
    const vmiFile = writeVmi(dir, counterBase);
    const source = await bootSource(dir, vmiFile);
    const { target, ready } = await listeningTarget(dir, vmiFile);
    const targetPid = (await target.client.status()).pid!;
    // 1 MiB/s: the guest's memory takes minutes, there is time to cancel.
    await source.client.migrationStart({
      ...ready,
      options: { ...OPTIONS, bandwidthBytesPerSecond: 1024 * 1024 },
    });
    await waitFor(
      async () => ((await source.client.migration()).ramTransferredBytes ?? 0) > 0,
      60_000,
      'RAM to flow to the target',
    );
    const cancelled = await source.client.migrationCancel();
    expect(cancelled).toMatchObject({ role: 'source', phase: 'Cancelled', abortStatus: 'Succeeded' });
    expect(cancelled.failureReason).toMatch(/^Live migration aborted: .*VirtualMachineInstance e2e\/mover/);

    const status = await source.client.status();
    expect(status).toMatchObject({ state: 'Running', qemuStatus: 'running' });
    const log = status.serialLog!;
    const seen = Math.max(...ticks(fs.readFileSync(log, 'utf8')));
    await waitForConsole(log, `${GuestMarkers.tick} ${seen + 2}`, 30_000);
    await expect(source.client.migrationCancel()).rejects.toThrow(/409 .*vmi is not migrating/);

    // The target's QEMU lost its source: it exits, and its launcher exits non-zero like a crash.
    expect(await target.exited).toBe(1);
    expect(pidAlive(targetPid)).toBe(false);
    await source.client.shutdown(30);
    expect(await source.exited).toBe(0);
  });

  it('gives up a stuck migration after progressTimeout, naming the timeout; the guest runs on', async () => {
    const dir = workspace('migrate-stuck');
    const counterBase = path.join(dir, 'counter-base.img');
    createCounterDisk(counterBase);
    const vmiFile = writeVmi(dir, counterBase);
    const source = await bootSource(dir, vmiFile);
    const { target, ready } = await listeningTarget(dir, vmiFile);
    const targetPid = (await target.client.status()).pid!;
    cleanups.push(() => {
      try {
        process.kill(targetPid, 'SIGCONT');
      } catch {
        // gone already
      }
    });
    await source.client.migrationStart({
      ...ready,
      options: { ...OPTIONS, bandwidthBytesPerSecond: 4 * 1024 * 1024, progressTimeoutSeconds: 3 },
    });
    await waitFor(
      async () => (await source.client.migration()).phase === 'Migrating',
      60_000,
      'the mirrors to be ready and the RAM migration to start',
    );
    // The target stops reading (as a broken network would): nothing more gets through.
    process.kill(targetPid, 'SIGSTOP');
    const failed = await untilEnded(source.client, 120_000);
    expect(failed.phase).toBe('Failed');
    expect(failed.abortStatus).toBeUndefined();
    expect(failed.failureReason).toMatch(
      /^Live migration stuck for \d+ seconds and has been aborted: .*VirtualMachineInstance e2e\/mover.*progressTimeout 3 s/,
    );
    const status = await source.client.status();
    expect(status).toMatchObject({ state: 'Running', qemuStatus: 'running' });
    const log = status.serialLog!;
    const seen = Math.max(...ticks(fs.readFileSync(log, 'utf8')));
    await waitForConsole(log, `${GuestMarkers.tick} ${seen + 2}`, 30_000);

    process.kill(targetPid, 'SIGCONT');
    expect(await target.exited).toBe(1);
    await source.client.shutdown(30);
    expect(await source.exited).toBe(0);
  });

  it('switches to post-copy when the completion timeout fires: the guest runs on the target at once', async () => {
    const dir = workspace('migrate-postcopy');
    const counterBase = path.join(dir, 'counter-base.img');
    createCounterDisk(counterBase);
    const vmiFile = writeVmi(dir, counterBase);
    // QEMU runs unprivileged; post-copy's page faults need userfaultfd, which the kernel gives
    // unprivileged processes only with this sysctl. Without it the target says so.
    const sysctl = '/proc/sys/vm/unprivileged_userfaultfd';
    const original = fs.readFileSync(sysctl, 'utf8').trim();
    const restore = (): void => fs.writeFileSync(sysctl, original);
    cleanups.push(restore);
    try {
      fs.writeFileSync(sysctl, '0');
      const refusing = await startLauncher(dir, 'refusing', vmiFile, true);
      await refusing.client.sync();
      await expect(
        refusing.client.migrationIncoming({
          address: LOCAL,
          allowPostCopy: true,
          migrationPort: 0,
          blockPort: 0,
        }),
      ).rejects.toThrow(
        /409 MigrationConflictError.*cannot receive a post-copy migration on this node.*userfaultfd/,
      );
      // A target whose guest never came has nothing to shut down gracefully: QEMU is ended at once.
      const stopped = await refusing.client.shutdown(30);
      expect(stopped).toMatchObject({ how: 'quit', powerButtonPressed: false });
      expect(stopped.elapsedMs).toBeLessThan(10_000);
      expect(await refusing.exited).toBe(0);

      fs.writeFileSync(sysctl, '1');
      const source = await bootSource(dir, vmiFile);
      const sourceLog = (await source.client.status()).serialLog!;
      const { target, ready } = await listeningTarget(dir, vmiFile, true);
      // 1 s per GB (the guest is under 1 GB): post-copy after 1 s, while 4 MiB/s of pre-copy
      // would need most of a minute.
      await source.client.migrationStart({
        ...ready,
        options: {
          ...OPTIONS,
          allowPostCopy: true,
          completionTimeoutPerGiB: 1,
          bandwidthBytesPerSecond: 4 * 1024 * 1024,
        },
      });
      const lastSourceTick = Math.max(...ticks(fs.readFileSync(sourceLog, 'utf8')));
      const done = await untilEnded(source.client, 120_000);
      expect(done).toMatchObject({ role: 'source', phase: 'Completed', mode: 'PostCopy' });
      console.log(
        `post-copy migration: total ${done.totalTimeMs} ms, downtime ${done.downtimeMs} ms, ${done.ramTransferredBytes} bytes of RAM sent`,
      );
      expect(await source.exited).toBe(0);

      expect(await target.client.migration()).toMatchObject({
        role: 'target',
        phase: 'Completed',
        mode: 'PostCopy',
      });
      const running = await target.client.migrationFinish();
      expect(running).toMatchObject({ state: 'Running', reason: 'Migrated', qemuStatus: 'running' });
      const targetLog = running.serialLog!;
      await waitForConsole(targetLog, /VIRTKIT-TICK \d+/);
      const after = fs.readFileSync(targetLog, 'utf8');
      expect(after).not.toContain(GuestMarkers.booted);
      expect(Math.min(...ticks(after))).toBeGreaterThanOrEqual(lastSourceTick);
      const seen = Math.max(...ticks(after));
      await waitForConsole(targetLog, `${GuestMarkers.tick} ${seen + 2}`, 30_000);

      await target.client.kill();
      expect(await target.exited).toBe(0);
    } finally {
      restore();
    }
  });
});
