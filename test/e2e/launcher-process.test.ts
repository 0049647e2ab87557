/**
 * The launcher as a process (`virtkit launcher`), as the handler runs it: its control API,
 * SIGTERM as graceful shutdown, and QEMU dying with a SIGKILLed launcher. Also the disk
 * semantics across restarts: a containerDisk overlay forgets, a hostDisk remembers.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { LauncherClient } from '../../launcher/api/client';
import { createDomain } from '../../launcher/session';
import { createCounterDisk, ensureGuestImage, GuestMarkers, readCounterDisk } from '../fixtures/guest/build';
import {
  consoleSize,
  GUEST_RESOURCES,
  guestResourcesFile,
  guestVmi,
  pidAlive,
  spawnCli,
  tempDir,
  waitFor,
  waitForConsole,
} from '../fixtures/guest/harness';

jest.setTimeout(180_000);

function writeVmi(dir: string, name: string, opts: Partial<Parameters<typeof guestVmi>[0]> = {}): string {
  const vmi = guestVmi({ name, ...opts });
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', ...vmi }));
  return file;
}

describe('virtkit launcher process', () => {
  beforeAll(() => {
    ensureGuestImage();
  });

  it('serves the control API and shuts the guest down gracefully on SIGTERM', async () => {
    const dir = tempDir('proc');
    const workDir = path.join(dir, 'work');
    const child = spawnCli([
      'launcher',
      '--workdir',
      workDir,
      '--vmi',
      writeVmi(dir, 'api-vm', { userData: '#cloud-config\n' }),
      '--resources',
      guestResourcesFile(dir),
      '--wait-for-sync',
    ]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const client = new LauncherClient(path.join(workDir, 'launcher.sock'));
    await waitFor(
      async () =>
        client.version().then(
          () => true,
          () => false,
        ),
      60_000,
      `the control socket (stderr: ${stderr})`,
    );

    expect((await client.version()).apiVersion).toBe('v1');
    expect((await client.status()).state).toBe('NoState');
    await expect(client.pause()).rejects.toThrow(/409 DomainNotRunningError/);

    const events: string[] = [];
    const stop = client.events((e) => events.push(`${e.type}:${e.state}`));
    const synced = await client.sync();
    expect(synced.state).toBe('Running');
    await waitForConsole(synced.serialLog!, GuestMarkers.booted);

    const consoleSocket = await client.console();
    let seen = '';
    consoleSocket.on('data', (d: Buffer) => (seen += d.toString()));
    await waitFor(() => seen.includes(GuestMarkers.tick), 30_000, 'console output through the API');
    consoleSocket.destroy();

    await client.pause();
    expect((await client.status()).qemuStatus).toBe('paused');
    await client.unpause();
    const stats = await client.stats();
    expect(stats.block.map((b) => b.name)).toEqual(['rootdisk', 'cloudinitdisk']);

    const qemuPid = (await client.status()).pid!;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(pidAlive(qemuPid)).toBe(false);
    expect(fs.readFileSync(synced.serialLog!, 'utf8')).toContain(GuestMarkers.poweringOff);
    const final = JSON.parse(fs.readFileSync(path.join(workDir, 'final-status.json'), 'utf8')) as {
      state: string;
      reason: string;
    };
    expect(final).toMatchObject({ state: 'Shutoff', reason: 'Shutdown' });
    // Off a terminal every log line is one JSON object with KubeVirt's keys and the VMI's identity.
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines)
      expect(JSON.parse(line)).toMatchObject({
        component: 'virtkit-launcher',
        level: expect.any(String),
        timestamp: expect.any(String),
        msg: expect.any(String),
        kind: 'VirtualMachineInstance',
        name: 'api-vm',
      });
    stop();
    expect(events).toEqual(
      expect.arrayContaining(['Lifecycle:Running', 'Lifecycle:Paused', 'PowerButton:Running']),
    );
  });

  it('answers POST /v1/shutdown before it exits, ignores a late SIGTERM, and runs QEMU nicer when asked', async () => {
    const dir = tempDir('api-shutdown');
    const workDir = path.join(dir, 'work');
    process.env.VIRTKIT_QEMU_NICE = '5'; // as the handler does, so guests yield to the control plane
    const child = spawnCli([
      'launcher',
      '--workdir',
      workDir,
      '--vmi',
      writeVmi(dir, 'shutdown-vm'),
      '--resources',
      guestResourcesFile(dir),
      '--wait-for-sync',
    ]);
    delete process.env.VIRTKIT_QEMU_NICE;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const client = new LauncherClient(path.join(workDir, 'launcher.sock'));
      await waitFor(
        async () =>
          client.version().then(
            () => true,
            () => false,
          ),
        60_000,
        'the control socket',
      );
      const synced = await client.sync();
      await waitForConsole(synced.serialLog!, GuestMarkers.booted);
      const stat = fs.readFileSync(`/proc/${synced.pid!}/stat`, 'utf8');
      expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])).toBe(5); // field 19: nice
      // The guest powers off quickly; the answer must still arrive (no "socket hang up").
      const result = await client.shutdown(30);
      expect(result).toMatchObject({ how: 'guest', powerButtonPressed: true });
      child.kill('SIGTERM'); // after the guest is gone: must not turn a clean exit into 143
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL'); // QEMU dies with it (pdeathsig) if an expectation failed midway
    }
  });

  it('takes QEMU down with it when the launcher is SIGKILLed', async () => {
    const dir = tempDir('sigkill');
    const workDir = path.join(dir, 'work');
    const child = spawnCli([
      'launcher',
      '--workdir',
      workDir,
      '--vmi',
      writeVmi(dir, 'doomed'),
      '--resources',
      guestResourcesFile(dir),
    ]);
    const client = new LauncherClient(path.join(workDir, 'launcher.sock'));
    await waitFor(
      async () =>
        client.status().then(
          (s) => s.state === 'Running',
          () => false,
        ),
      90_000,
      'the guest to run',
    );
    const qemuPid = (await client.status()).pid!;
    expect(pidAlive(qemuPid)).toBe(true);
    child.kill('SIGKILL');
    await waitFor(() => !pidAlive(qemuPid), 20_000, `QEMU (pid ${qemuPid}) to die with its launcher`);
    expect(pidAlive(qemuPid)).toBe(false);
  });

  it('drops containerDisk changes on restart while a hostDisk keeps them', async () => {
    const dir = tempDir('disks');
    const base = path.join(dir, 'counter-base.img');
    const host = path.join(dir, 'counter-host.img');
    createCounterDisk(base);
    createCounterDisk(host);
    const vmi = guestVmi({
      name: 'disks',
      extraDisks: [
        { name: 'scratch', disk: { bus: 'virtio' }, serial: 'containerdisk' },
        { name: 'keeper', disk: { bus: 'virtio' }, serial: 'hostdisk' },
      ],
      extraVolumes: [
        { name: 'scratch', containerDisk: { image: base } },
        { name: 'keeper', hostDisk: { path: host, type: 'Disk' } },
      ],
    });
    const counts: string[] = [];
    for (let boot = 1; boot <= 2; boot++) {
      const d = await createDomain(vmi, {
        workDir: path.join(dir, 'work'),
        resources: { featureGates: [...GUEST_RESOURCES.featureGates, 'HostDisk'] },
      });
      // The console log is appended to across boots: read only what this boot wrote.
      const from = consoleSize(d.plan.serialLog!);
      await d.start();
      const log = await waitForConsole(d.plan.serialLog!, GuestMarkers.booted, 90_000, from);
      counts.push(...log.split(/\r?\n/).filter((l) => l.startsWith(GuestMarkers.bootCount)));
      expect((await d.shutdown(30)).how).toBe('guest');
    }
    expect(counts).toEqual([
      'VIRTKIT-BOOT-COUNT dev=vdb serial=containerdisk count=1',
      'VIRTKIT-BOOT-COUNT dev=vdc serial=hostdisk count=1',
      'VIRTKIT-BOOT-COUNT dev=vdb serial=containerdisk count=1',
      'VIRTKIT-BOOT-COUNT dev=vdc serial=hostdisk count=2',
    ]);
    expect(readCounterDisk(host)).toBe(2);
    expect(readCounterDisk(base)).toBe(0);
  });
});
