/**
 * Bad input through the real entry points: a VMI the launcher cannot run fails before QEMU
 * starts with one error naming every field; a QEMU that refuses to start is reported in
 * QEMU's own words. Plus the QMP client against a real QEMU, and `virtkit launch`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { LaunchSpecError } from '../../launcher/plan/errors';
import { QmpClient } from '../../launcher/qmp/client';
import { QmpCommandError } from '../../launcher/qmp/errors';
import { QemuProcess, QemuStartError } from '../../launcher/runtime/qemu-process';
import { qemuSystemBinary } from '../../launcher/host/qemu-binary';
import { createDomain } from '../../launcher/session';
import { ensureGuestImage, GuestMarkers } from '../fixtures/guest/build';
import { GUEST_RESOURCES, guestVmi, spawnCli, tempDir, waitFor } from '../fixtures/guest/harness';

jest.setTimeout(120_000);

describe('launcher bad input and QEMU errors', () => {
  beforeAll(() => {
    ensureGuestImage();
  });

  it('refuses a VMI with a missing disk file and an unknown bus before QEMU starts, naming both fields', async () => {
    const dir = tempDir('bad');
    const vmi = guestVmi({
      name: 'bad',
      extraDisks: [
        { name: 'data', disk: { bus: 'floppy' } },
        { name: 'missing', disk: {} },
      ],
      extraVolumes: [
        { name: 'data', emptyDisk: { capacity: '1Gi' } },
        { name: 'missing', hostDisk: { path: path.join(dir, 'nope.img'), type: 'Disk' } },
      ],
    });
    const err = (await createDomain(vmi, {
      workDir: path.join(dir, 'work'),
      resources: { featureGates: [...GUEST_RESOURCES.featureGates, 'HostDisk'] },
    }).catch((e: unknown) => e)) as LaunchSpecError;
    expect(err).toBeInstanceOf(LaunchSpecError);
    expect(err.problems.map((p) => p.path)).toEqual([
      'spec.domain.devices.disks[1].disk.bus',
      'spec.volumes[2].hostDisk.path',
    ]);
    expect(err.message).toContain('"floppy"');
    expect(err.message).toContain('nope.img');
    expect(fs.existsSync(path.join(dir, 'work', 'qemu', 'qmp.sock'))).toBe(false);
  });

  it("reports QEMU's own error text when QEMU refuses to start", async () => {
    const dir = tempDir('refuse');
    const vmi = guestVmi({ name: 'refuse' });
    vmi.spec.domain.cpu = { model: 'NoSuchCpuModel' };
    const d = await createDomain(vmi, { workDir: path.join(dir, 'work'), resources: GUEST_RESOURCES });
    const err = (await d.start().catch((e: unknown) => e)) as QemuStartError;
    expect(err).toBeInstanceOf(QemuStartError);
    expect(err.message).toMatch(/NoSuchCpuModel/);
    expect(err.message).toContain('VirtualMachineInstance e2e/refuse');
  });

  it('the QMP client talks to a real QEMU: replies, typed errors, events, disconnect', async () => {
    const dir = tempDir('qmp');
    const sock = path.join(dir, 'qmp.sock');
    const qemu = QemuProcess.spawn(qemuSystemBinary(), [
      '-S',
      '-nodefaults',
      '-display',
      'none',
      '-machine',
      'q35',
      '-accel',
      'tcg',
      '-qmp',
      `unix:${sock},server=on,wait=off`,
    ]);
    const qmp = await QmpClient.connectWithRetry(sock, 30_000, () => qemu.alive);
    expect(qmp.qemuVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await qmp.execute('query-status')).toMatchObject({ status: 'prelaunch', running: false });
    const err = (await qmp.execute('no-such-command').catch((e: unknown) => e)) as QmpCommandError;
    expect(err).toBeInstanceOf(QmpCommandError);
    expect(err.errorClass).toBe('CommandNotFound');
    const resumed = await qmp.executeAndAwaitEvent('cont', undefined, 'RESUME', 10_000);
    expect(resumed.event).toBe('RESUME');
    const pending = qmp.waitForEvent('NEVER', 30_000);
    await qmp.execute('quit').catch(() => undefined);
    await expect(pending).rejects.toThrow(/closed/);
    await qemu.exited;
  });

  it('`virtkit launch` runs a VM in the foreground and exits 0 after a graceful shutdown on SIGTERM', async () => {
    const dir = tempDir('launch');
    const file = path.join(dir, 'vm.yaml');
    const vmi = guestVmi({ name: 'launched' });
    // A VirtualMachine manifest: launch runs its template.
    fs.writeFileSync(
      file,
      stringify({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: vmi.metadata,
        spec: { runStrategy: 'Always', template: { spec: vmi.spec } },
      }),
    );
    const child = spawnCli([
      'launch',
      file,
      '--console',
      '--workdir',
      path.join(dir, 'work'),
      '--feature-gates',
      'LocalContainerDisk',
    ]);
    let out = '';
    let errText = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (errText += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(
      () => out.includes(GuestMarkers.booted),
      90_000,
      `the boot marker on stdout (stderr: ${errText})`,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain(GuestMarkers.poweringOff);
    expect(errText).toContain('powered off');
  });

  it('`virtkit launch` runs a disk file of your own only behind --feature-gates LocalContainerDisk', async () => {
    const dir = tempDir('launch-gate');
    const file = path.join(dir, 'vm.yaml');
    fs.writeFileSync(
      file,
      stringify({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        ...guestVmi({ name: 'gated' }),
      }),
    );
    const run = async (args: string[]): Promise<{ code: number | null; err: string }> => {
      const child = spawnCli(['launch', file, '--workdir', path.join(dir, 'work'), ...args]);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      return { code, err };
    };
    const without = await run([]);
    expect(without.code).toBe(2);
    expect(without.err).toContain(
      'spec.volumes[0].containerDisk.image: LocalContainerDisk feature gate is not enabled',
    );
    const typo = await run(['--feature-gates', 'LocalContainerDisks']);
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/unknown gate LocalContainerDisks; virtkit knows .*LocalContainerDisk/);
    // Refused before anything ran: no QEMU directory, no socket.
    expect(fs.existsSync(path.join(dir, 'work', 'qemu', 'qmp.sock'))).toBe(false);
  });

  it('`virtkit launch` rejects a malformed manifest with the field named, exit code 2', async () => {
    const dir = tempDir('launch-bad');
    const file = path.join(dir, 'vm.yaml');
    fs.writeFileSync(
      file,
      stringify({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: { name: 'x' },
        spec: { domain: { devices: { disks: 'not-a-list' } } },
      }),
    );
    const child = spawnCli(['launch', file]);
    let errText = '';
    child.stderr!.on('data', (d: Buffer) => (errText += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(errText).toContain('spec.domain.devices.disks');
  });
});
