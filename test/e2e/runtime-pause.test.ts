/**
 * Pause and unpause on the local runtime, the way a user does it: `virtkit pause` / `unpause`
 * (virtkit's stand-in for `virtctl pause` / `unpause`) against a real control plane, with the
 * controller and the node handler as real processes and the test guest in real QEMU. What is
 * checked is what a user sees: the VMI's Paused condition, the VM's printableStatus, and the
 * guest's serial console (the guest prints a tick every second).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { printableStatus, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-pause';
const VIRTKIT = path.resolve(__dirname, '..', '..', 'bin', 'virtkit.js');
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The real `virtkit` command against the runtime's API server. */
function virtkit(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [VIRTKIT, ...args, '--kubeconfig', rt.kubeconfig], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function condition(o: Obj | undefined, type: string): { status: string; reason?: string } | undefined {
  return o?.status?.conditions?.find((c) => c.type === type);
}

/** The number of the last tick on the console (0 before the first). */
function lastTick(text: string): number {
  const ticks = [...text.matchAll(new RegExp(`${GuestMarkers.tick} (\\d+)`, 'g'))];
  return ticks.length ? Number(ticks[ticks.length - 1][1]) : 0;
}

describe('pausing a VM on the local runtime', () => {
  it('virtkit pause freezes the guest and reports Paused; virtkit unpause resumes it', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'sleepy', runStrategy: 'Always' }));
    await waitRunning(rt, NS, 'sleepy', `${GuestMarkers.tick} 2`);
    const log = rt.serialLog(NS, 'sleepy')!;
    const seen = (): unknown => ({
      vm: rt.get('vm', NS, 'sleepy')?.status,
      vmi: rt.get('vmi', NS, 'sleepy')?.status,
    });

    const paused = virtkit(['pause', 'vm', 'sleepy', '-n', NS]);
    expect(paused.stderr).toBe('');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain(`VirtualMachineInstance ${NS}/sleepy: pause requested`);
    await rt.waitFor(
      'VMI condition Paused=True (PausedByUser)',
      () => {
        const c = condition(rt.get('vmi', NS, 'sleepy'), 'Paused');
        return c?.status === 'True' && c.reason === 'PausedByUser';
      },
      120_000,
      seen,
    );
    await rt.waitFor(
      'printableStatus Paused',
      () => printableStatus(rt, NS, 'sleepy') === 'Paused',
      120_000,
      seen,
    );
    expect(rt.get('vmi', NS, 'sleepy')?.status?.phase).toBe('Running');

    // The guest is frozen: once output already in flight has landed, the console stops growing.
    await sleep(1500);
    const frozen = fs.readFileSync(log, 'utf8');
    await sleep(4000);
    expect(fs.readFileSync(log, 'utf8')).toBe(frozen);

    // Asking again is harmless and says so.
    const again = virtkit(['pause', 'vmi', 'sleepy', '-n', NS]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already paused');

    const resumed = virtkit(['unpause', 'vmi', 'sleepy', '-n', NS]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`VirtualMachineInstance ${NS}/sleepy: unpause requested`);
    const next = `${GuestMarkers.tick} ${lastTick(frozen) + 1}`;
    await rt.waitFor(
      `the guest ticks again (${next})`,
      () => fs.readFileSync(log, 'utf8').includes(next),
      120_000,
    );
    await rt.waitFor(
      'Paused condition gone and printableStatus Running',
      () =>
        condition(rt.get('vmi', NS, 'sleepy'), 'Paused') === undefined &&
        condition(rt.get('vm', NS, 'sleepy'), 'Paused') === undefined &&
        printableStatus(rt, NS, 'sleepy') === 'Running',
      120_000,
      seen,
    );
    expect(condition(rt.get('vmi', NS, 'sleepy'), 'Ready')?.status).toBe('True');
  });

  it('refuses with a clear message: a missing VMI or VM, a VM that is not running, a kind that cannot pause', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'idle', runStrategy: 'Halted' }));
    await rt.waitFor('idle Stopped', () => printableStatus(rt, NS, 'idle') === 'Stopped');

    const cases: [string[], RegExp][] = [
      [['pause', 'vmi', 'nosuch', '-n', NS], new RegExp(`VirtualMachineInstance ${NS}/nosuch not found`)],
      [['unpause', 'vm', 'nosuch', '-n', NS], new RegExp(`VirtualMachine ${NS}/nosuch not found`)],
      [
        ['pause', 'vm', 'idle', '-n', NS],
        new RegExp(`VirtualMachine ${NS}/idle is not running .*start it first`),
      ],
      [['pause', 'pod', 'idle', '-n', NS], /'pod' cannot be paused or unpaused; name a 'vmi' or a 'vm'/],
    ];
    for (const [args, message] of cases) {
      const r = virtkit(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
    expect(rt.get('vmi', NS, 'idle')).toBeUndefined();
  });
});
