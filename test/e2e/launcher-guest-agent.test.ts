/**
 * The launcher and the guest agent, with the real test guest (whose /init runs a tiny agent
 * on the org.qemu.guest_agent.0 port): GET /v1/guest-info reports the guest's OS once the
 * agent answers, and a guest without an agent is reported as such while everything else
 * works as usual.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { LauncherClient } from '../../launcher/api/client';
import type { GuestInfo } from '../../launcher/qga/protocol';
import { ensureGuestImage, GuestMarkers } from '../fixtures/guest/build';
import {
  consoleSize,
  guestResourcesFile,
  guestVmi,
  spawnCli,
  tempDir,
  waitFor,
  waitForConsole,
} from '../fixtures/guest/harness';

jest.setTimeout(180_000);

interface Running {
  readonly client: LauncherClient;
  /** Graceful stop the way the pod runtime asks for it (SIGTERM). */
  readonly stop: () => void;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

async function runLauncher(name: string, userData?: string): Promise<Running> {
  const dir = tempDir(`qga-${name}`);
  const workDir = path.join(dir, 'work');
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      ...guestVmi({ name, userData }),
    }),
  );
  const child = spawnCli([
    'launcher',
    '--workdir',
    workDir,
    '--vmi',
    file,
    '--resources',
    guestResourcesFile(dir),
  ]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const client = new LauncherClient(path.join(workDir, 'launcher.sock'));
  await waitFor(
    async () =>
      client.status().then(
        (s) => s.state === 'Running',
        () => false,
      ),
    90_000,
    `the guest ${name} to run (launcher stderr: ${stderr})`,
  );
  return { client, exited, stderr: () => stderr, stop: () => child.kill('SIGTERM') };
}

describe('launcher: guest agent', () => {
  beforeAll(() => {
    ensureGuestImage();
  });

  it('reports the OS of a guest whose agent answers, says so in the status and events, and soft-reboots through it', async () => {
    const { client, exited, stop } = await runLauncher('agent-vm');
    const events: string[] = [];
    const stopEvents = client.events((e) => events.push(e.type));
    let info: GuestInfo = { connected: false };
    await waitFor(
      async () => (info = await client.guestInfo()).connected,
      90_000,
      'GET /v1/guest-info to report a connected agent',
    );
    expect(info.osInfo).toMatchObject({
      id: 'virtkit-test-guest',
      name: 'virtkit test guest',
      prettyName: 'virtkit test guest (busybox)',
      versionId: '1',
      machine: 'x86_64',
    });
    expect(info.osInfo?.kernelRelease).toMatch(/-cloud-amd64$/);
    expect(info.osInfo?.kernelVersion).toBeTruthy();
    expect(info.hostname).toBe('localhost');
    expect(info.timezone).toEqual({ zone: 'UTC', offsetSeconds: 0 });
    expect((await client.status()).agentConnected).toBe(true);
    await waitFor(() => events.includes('GuestAgent'), 10_000, 'a GuestAgent event');

    // Soft reboot goes through the agent (guest-shutdown, mode reboot): the guest boots again.
    const serialLog = (await client.status()).serialLog!;
    const from = consoleSize(serialLog);
    await client.softReboot();
    await waitForConsole(serialLog, GuestMarkers.booted, 90_000, from);
    expect(events).toContain('Reset');
    expect(events).not.toContain('PowerButton');
    stopEvents();
    stop();
    expect(await exited).toBe(0);
    expect(fs.readFileSync(serialLog, 'utf8')).toContain(GuestMarkers.poweringOff);
  });

  it('answers connected: false for a guest started with virtkit.no_agent, and the guest runs as usual', async () => {
    const { client, exited, stop } = await runLauncher('no-agent-vm', '#cloud-config\n# virtkit.no_agent\n');
    const serialLog = (await client.status()).serialLog!;
    await waitForConsole(serialLog, 'VIRTKIT-GUEST-AGENT disabled');
    await waitForConsole(serialLog, GuestMarkers.tick);
    // Wait until the launcher has asked at least once, so "false" is an answer, not a default.
    let info: GuestInfo = { connected: false };
    await waitFor(
      async () => (info = await client.guestInfo()).checkedAt !== undefined,
      60_000,
      'the launcher to poll the agent channel',
    );
    expect(info).toEqual({ connected: false, checkedAt: info.checkedAt });
    expect((await client.status()).agentConnected).toBe(false);
    // The rest of the control API is not held up by the silent channel.
    await client.pause();
    expect((await client.status()).qemuStatus).toBe('paused');
    expect((await client.guestInfo()).connected).toBe(false);
    await client.unpause();
    stop();
    expect(await exited).toBe(0);
    expect(fs.readFileSync(serialLog, 'utf8')).toContain(GuestMarkers.poweringOff);
  });
});
