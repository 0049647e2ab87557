/**
 * The launcher on real QEMU with the test guest: boot, cloud-init, graceful shutdown, a guest
 * that ignores the power button, pause/unpause. (TCG when KVM does not work on this machine.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { createDomain } from '../../launcher/session';
import type { Domain } from '../../launcher/runtime/domain';
import { ensureGuestImage, GUEST_CMDLINE, GuestMarkers } from '../fixtures/guest/build';
import { consoleSize, GUEST_RESOURCES, guestVmi, tempDir, waitForConsole } from '../fixtures/guest/harness';

jest.setTimeout(180_000);

const domains: Domain[] = [];
afterAll(async () => {
  for (const d of domains) await d.kill();
});

async function boot(
  name: string,
  opts: Parameters<typeof guestVmi>[0],
  vmi = guestVmi(opts),
): Promise<Domain> {
  const d = await createDomain(vmi, {
    workDir: path.join(tempDir(name), 'work'),
    resources: GUEST_RESOURCES,
  });
  domains.push(d);
  await d.start();
  await waitForConsole(d.plan.serialLog!, GuestMarkers.booted);
  return d;
}

describe('launcher lifecycle on real QEMU', () => {
  beforeAll(() => {
    ensureGuestImage();
  });

  it('boots a kernel and initrd from a kernelBoot folder QEMU itself cannot reach (the launcher copies them in)', async () => {
    const image = ensureGuestImage();
    const vmi = guestVmi({ name: 'kernel-boot' });
    vmi.spec.domain.firmware = {
      kernelBoot: {
        kernelArgs: GUEST_CMDLINE,
        container: {
          image: `file://${image.dir}`,
          kernelPath: `/${path.basename(image.kernel)}`,
          initrdPath: `/${path.basename(image.initrd)}`,
        },
      },
    };
    const d = await createDomain(vmi, {
      workDir: path.join(tempDir('kernel-boot'), 'work'),
      resources: GUEST_RESOURCES,
    });
    domains.push(d);
    await d.start();
    await waitForConsole(d.plan.serialLog!, GuestMarkers.booted);
    expect(d.plan.args).toContain('./boot/kernel');
    expect(
      fs.readFileSync(path.join(d.plan.qemuDir, 'boot', 'kernel')).equals(fs.readFileSync(image.kernel)),
    ).toBe(true);
    await d.kill();
  });

  it('boots the same disk with EFI and Secure Boot on: OVMF with Microsoft keys, shim, GRUB, the signed kernel', async () => {
    // GRUB needs room for the kernel beside OVMF: more than the BIOS boot's 192Mi.
    const vmi = guestVmi({ name: 'secure-boot', memory: '512Mi' });
    vmi.spec.domain.firmware = { bootloader: { efi: { secureBoot: true } } };
    vmi.spec.domain.features = { ...(vmi.spec.domain.features ?? {}), smm: { enabled: true } };
    const d = await boot('secure-boot', { name: 'secure-boot' }, vmi);
    const log = fs.readFileSync(d.plan.serialLog!, 'utf8');
    // The kernel's EFI stub says what the firmware told it: a refused signature never gets here.
    expect(log).toContain('UEFI Secure Boot is enabled');
    const args = d.plan.args.join(' ');
    expect(args).toContain('-machine q35,smm=on');
    expect(args).toContain('driver=cfi.pflash01,property=secure,value=on');
    await d.kill();
  });

  describe('a guest with cloud-init user-data', () => {
    let d: Domain;
    const userData = '#cloud-config\nvirtkit-e2e-greeting: hello from the launcher test\n';
    beforeAll(async () => {
      d = await boot('lifecycle', { name: 'lifecycle', userData, graceSeconds: 60 });
    });

    it('boots and prints the boot marker on the serial console', async () => {
      const log = fs.readFileSync(d.plan.serialLog!, 'utf8');
      expect(log).toContain(GuestMarkers.booted);
      const status = await d.status();
      expect(status.state).toBe('Running');
      expect(status.qemuStatus).toBe('running');
      expect(['kvm', 'tcg']).toContain(status.accelerator);
      expect(status.softwareEmulation).toBe(status.accelerator === 'tcg');
    });

    it("runs QEMU confined: KubeVirt's qemu user, no capabilities, a seccomp filter, no_new_privs, owner-only files", () => {
      const status = fs.readFileSync(`/proc/${d.pid}/status`, 'utf8');
      const field = (key: string): string | undefined =>
        new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status)?.[1];
      const root = process.geteuid?.() === 0;
      const uid = root ? '107' : String(process.geteuid?.());
      expect(field('Uid')!.split(/\s+/)).toEqual([uid, uid, uid, uid]);
      expect(field('CapEff')).toBe('0000000000000000');
      expect(field('CapPrm')).toBe('0000000000000000');
      if (root) expect(field('CapBnd')).toBe('0000000000000000');
      expect(field('Seccomp')).toBe('2');
      expect(field('NoNewPrivs')).toBe('1');
      // QEMU's directory is its own; the launcher's work directory above it is not.
      const qemuDir = fs.statSync(d.plan.qemuDir);
      expect(qemuDir.mode & 0o777).toBe(0o700);
      if (root) expect(qemuDir.uid).toBe(107);
      expect(fs.statSync(path.dirname(d.plan.qemuDir)).uid).toBe(process.geteuid?.());
      for (const sock of [d.plan.qmpSocket, d.plan.serialSocket!, d.plan.guestAgentSocket!]) {
        const st = fs.statSync(sock);
        expect(st.isSocket()).toBe(true);
        expect(st.mode & 0o777).toBe(0o600);
      }
    });

    it('hands the NoCloud user-data to the guest', () => {
      const log = fs.readFileSync(d.plan.serialLog!, 'utf8');
      const between = log.slice(
        log.indexOf(GuestMarkers.userDataBegin),
        log.indexOf(GuestMarkers.userDataEnd),
      );
      expect(between).toContain('virtkit-e2e-greeting: hello from the launcher test');
      expect(log).toContain('local-hostname: lifecycle');
    });

    it('reports block, vCPU and balloon stats', async () => {
      const stats = await d.stats();
      expect(stats.vcpus.count).toBe(1);
      const root = stats.block.find((b) => b.name === 'rootdisk');
      expect(root?.rdBytes).toBeGreaterThan(0);
      expect(stats.balloon?.actualBytes).toBe(192 * 2 ** 20);
    });

    it('shuts down gracefully: the guest sees the power button and powers off within the grace period', async () => {
      const result = await d.shutdown(60);
      expect(result.how).toBe('guest');
      expect(result.powerButtonPressed).toBe(true);
      const log = fs.readFileSync(d.plan.serialLog!, 'utf8');
      expect(log).toContain(GuestMarkers.powerButton);
      expect(log).toContain(GuestMarkers.poweringOff);
      const status = await d.status();
      expect(status.state).toBe('Shutoff');
      expect(status.reason).toBe('Shutdown');
      expect(d.running).toBe(false);
    });
  });

  it('stops a guest that ignores the power button once the grace period ends', async () => {
    const d = await boot('stubborn', {
      name: 'stubborn',
      userData: `#cloud-config\n# ${GuestMarkers.ignorePowerButtonWord}\n`,
      graceSeconds: 3,
    });
    expect(fs.readFileSync(d.plan.serialLog!, 'utf8')).toContain('ignore_power_button=1');
    const result = await d.shutdown(3);
    expect(result.how === 'quit' || result.how === 'killed').toBe(true);
    expect(result.powerButtonPressed).toBe(true);
    await waitForConsole(d.plan.serialLog!, GuestMarkers.ignoringPowerButton, 1000);
    expect(d.running).toBe(false);
    expect((await d.status()).reason).toBe('Destroyed');
  });

  it('pauses and unpauses: QEMU reports paused and the guest stops ticking until resumed', async () => {
    const d = await boot('pause', { name: 'pause' });
    const log = d.plan.serialLog!;
    await waitForConsole(log, `${GuestMarkers.tick} 2`);
    await d.pause();
    const status = await d.status();
    expect(status.qemuStatus).toBe('paused');
    expect(status.state).toBe('Paused');
    expect(status.reason).toBe('PausedUser');
    const frozenAt = consoleSize(log);
    await new Promise((r) => setTimeout(r, 3000));
    expect(consoleSize(log)).toBe(frozenAt);

    await d.unpause();
    expect((await d.status()).state).toBe('Running');
    await waitForConsole(log, GuestMarkers.tick, 30_000, frozenAt);
    expect(consoleSize(log)).toBeGreaterThan(frozenAt);
    expect(d.events().map((e) => `${e.state}/${e.reason}`)).toEqual(
      expect.arrayContaining(['Paused/PausedUser', 'Running/Unpaused']),
    );
    await d.kill();
  });
});
