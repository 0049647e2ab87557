/**
 * The guest agent's and the power verbs on the local runtime, the way a user reaches them:
 * `virtkit userlist | fslist | guestosinfo | freeze | unfreeze | soft-reboot | reset NAME`, each
 * one request to KubeVirt's subresource API through the real API server, which proxies it to
 * `virtkit api`, which asks the node handler, which asks the VMI's launcher, which asks QEMU or
 * the guest's agent. One VM runs through all of it (a boot costs tens of seconds under TCG):
 * what is checked is what the user sees, the JSON the command prints and its exit code, the
 * VMI's conditions and status.fsFreezeStatus, and the guest's own serial console (a boot
 * marker per boot, a line when its agent freezes or thaws the filesystems).
 */
import * as fs from 'fs';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(900_000);

const NS = 'rt-verbs';
const VM = 'busy';
const FROZEN = `${GuestMarkers.fsFreeze} frozen`;
const THAWED = `${GuestMarkers.fsFreeze} thawed`;
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

/** A verb that must succeed: exit 0, nothing on stderr; answers what it printed. */
function ok(...args: string[]): string {
  const r = rt.virtkit([...args, '-n', NS]);
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r.stdout;
}

/** A verb the server refuses: exit 1 and its message on stderr. */
function refused(args: string[], message: RegExp): void {
  const r = rt.virtkit([...args, '-n', NS]);
  expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: '' });
  expect(r.stderr).toMatch(message);
}

const vmi = (): Obj | undefined => rt.get('vmi', NS, VM);
const condition = (type: string): { status: string; reason?: string } | undefined =>
  vmi()?.status?.conditions?.find((c) => c.type === type);
const freezeStatus = (): unknown => vmi()?.status?.fsFreezeStatus;
const seen = (): unknown => vmi()?.status;

/** The guest's serial console so far. */
function serial(): string {
  const file = rt.serialLog(NS, VM);
  return file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** How many lines of the console start with `marker`. */
function count(marker: string): number {
  return serial()
    .split('\n')
    .filter((l) => l.replace(/\r$/, '').startsWith(marker)).length;
}

function waitCount(marker: string, n: number, timeoutMs = 240_000): Promise<unknown> {
  return rt.waitFor(
    `${n} × "${marker}" on the console`,
    () => count(marker) >= n,
    timeoutMs,
    () => ({
      count: count(marker),
      tail: serial().slice(-600),
    }),
  );
}

function waitAgent(): Promise<unknown> {
  return rt.waitFor(
    'VMI condition AgentConnected=True',
    () => condition('AgentConnected')?.status === 'True',
    180_000,
    seen,
  );
}

/** What `virtkit guestosinfo` prints, parsed. */
function guestOsInfo(): Record<string, unknown> {
  return JSON.parse(ok('guestosinfo', VM)) as Record<string, unknown>;
}

/**
 * What `virtkit userlist` prints: root, logged in on the console since the guest booted.
 * Answers the login time (seconds since the epoch).
 */
function rootLogin(): number {
  const users = JSON.parse(ok('userlist', VM)) as { items: { loginTime: number }[] };
  expect(users).toEqual({ metadata: {}, items: [{ userName: 'root', loginTime: expect.any(Number) }] });
  const created = Date.parse((vmi()?.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');
  const login = users.items[0].loginTime;
  // The guest's clock starts from the host's (its RTC): the login is this guest's boot.
  expect(login * 1000).toBeGreaterThan(created - 60_000);
  expect(login * 1000).toBeLessThan(Date.now() + 60_000);
  return login;
}

describe('the guest agent and power verbs through the API server', () => {
  it('userlist and fslist print what the guest agent answers', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: VM, runStrategy: 'Always' }));
    await waitRunning(rt, NS, VM, GuestMarkers.booted);
    await waitAgent();

    rootLogin();

    const fsList = JSON.parse(ok('fslist', VM)) as { metadata: unknown; items: Record<string, unknown>[] };
    expect(fsList).toEqual({
      metadata: {},
      items: [
        {
          // The initramfs, as the kernel names it in /proc/mounts.
          diskName: 'rootfs',
          mountPoint: '/',
          fileSystemType: 'rootfs',
          usedBytes: expect.any(Number),
          totalBytes: expect.any(Number),
        },
      ],
    });
    const [root] = fsList.items as { usedBytes: number; totalBytes: number }[];
    expect(root.usedBytes).toBeGreaterThan(0);
    expect(root.totalBytes).toBeGreaterThan(root.usedBytes);

    expect(guestOsInfo()).toMatchObject({
      os: { id: 'virtkit-test-guest' },
      userList: [{ userName: 'root' }],
      fsInfo: { disks: [{ mountPoint: '/' }] },
      fsFreezeStatus: 'thawed',
    });
  });

  it('freeze freezes the filesystems through the agent until unfreeze, or its timeout, thaws them', async () => {
    expect(ok('freeze', VM)).toBe(`VMI ${VM} was scheduled to freeze\n`);
    await waitCount(FROZEN, 1, 30_000);
    await rt.waitFor('VMI status.fsFreezeStatus frozen', () => freezeStatus() === 'frozen', 60_000, seen);
    expect(guestOsInfo()).toMatchObject({ fsFreezeStatus: 'frozen' });
    // Frozen is not gone: the agent still answers (only the frozen-safe commands).
    expect(condition('AgentConnected')?.status).toBe('True');
    // Freezing a frozen guest is done already: no second freeze reaches the guest.
    expect(ok('freeze', VM)).toBe(`VMI ${VM} was scheduled to freeze\n`);

    expect(ok('unfreeze', VM)).toBe(`VMI ${VM} was scheduled to unfreeze\n`);
    await waitCount(THAWED, 1, 30_000);
    await rt.waitFor('VMI status.fsFreezeStatus gone', () => freezeStatus() === undefined, 60_000, seen);
    expect(count(FROZEN)).toBe(1);
    expect(guestOsInfo()).toMatchObject({ fsFreezeStatus: 'thawed' });
    rootLogin();

    // With --unfreeze-timeout the guest thaws by itself.
    expect(ok('freeze', VM, '--unfreeze-timeout', '3s')).toBe(`VMI ${VM} was scheduled to freeze\n`);
    await waitCount(FROZEN, 2, 30_000);
    await waitCount(THAWED, 2, 60_000);
    await rt.waitFor(
      'VMI status.fsFreezeStatus gone again',
      () => freezeStatus() === undefined,
      60_000,
      seen,
    );
  });

  it('soft-reboot reboots the guest through its agent; a paused guest is refused', async () => {
    const uid = vmi()!.metadata.uid;
    const firstLogin = rootLogin();
    expect(ok('pause', 'vmi', VM)).toBe(`VMI ${VM} was scheduled to pause\n`);
    await rt.waitFor(
      'VMI condition Paused=True',
      () => condition('Paused')?.status === 'True',
      120_000,
      seen,
    );
    // KubeVirt's readiness gate: the controller turns the launcher pod's
    // kubevirt.io/virtual-machine-unpaused False, the pod (local mode's handler plays kubelet)
    // and the VMI are not Ready, saying why.
    const podGate = (): string => {
      const pod = rt.list('pod', NS, `kubevirt.io/created-by=${uid}`)[0] as
        { status?: { conditions?: { type: string; status: string; reason?: string }[] } } | undefined;
      const of = (type: string) => pod?.status?.conditions?.find((c) => c.type === type);
      return `gate=${of('kubevirt.io/virtual-machine-unpaused')?.status} pod=${of('Ready')?.status}:${of('Ready')?.reason ?? ''}`;
    };
    await rt.waitFor(
      'the paused VMI and its pod not Ready through the readiness gate',
      () =>
        podGate() === 'gate=False pod=False:ReadinessGatesNotReady' &&
        condition('Ready')?.status === 'False' &&
        condition('Ready')?.reason === 'ReadinessGatesNotReady',
      60_000,
      () => ({ pod: podGate(), vmi: seen() }),
    );
    refused(['soft-reboot', VM], /virtualmachineinstance\.kubevirt\.io "busy": VMI is paused/);
    ok('unpause', 'vmi', VM);
    await rt.waitFor('Paused condition gone', () => condition('Paused') === undefined, 120_000, seen);
    await rt.waitFor(
      'the unpaused VMI and its pod Ready again',
      () => podGate() === 'gate=True pod=True:' && condition('Ready')?.status === 'True',
      60_000,
      () => ({ pod: podGate(), vmi: seen() }),
    );
    expect(count(GuestMarkers.booted)).toBe(1);

    expect(ok('soft-reboot', VM)).toBe(`VMI ${VM} was scheduled to soft-reboot\n`);
    await waitCount(GuestMarkers.booted, 2);
    // The agent rebooted it from inside: nobody pressed the power button, the VMI is the same.
    expect(count(GuestMarkers.powerButton)).toBe(0);
    expect(vmi()?.metadata.uid).toBe(uid);
    expect(vmi()?.status?.phase).toBe('Running');
    const events = JSON.parse(
      rt.kubectl(['-n', NS, 'get', 'events', '--field-selector', `involvedObject.name=${VM}`, '-o', 'json']),
    ) as { items: { reason?: string; message?: string }[] };
    expect(events.items.map((e) => e.reason)).toContain('SoftRebooted');
    await waitAgent();
    // The agent of the new boot answers: root logged in again.
    expect(rootLogin()).toBeGreaterThan(firstLogin);
  });

  it('reset restarts the guest at once, and a guest frozen before comes back thawed', async () => {
    const uid = vmi()!.metadata.uid;
    const lastLogin = rootLogin();
    expect(ok('freeze', VM, '--unfreeze-timeout', '0')).toBe(`VMI ${VM} was scheduled to freeze\n`);
    await waitCount(FROZEN, 3, 30_000);
    await rt.waitFor('VMI status.fsFreezeStatus frozen', () => freezeStatus() === 'frozen', 60_000, seen);

    expect(ok('reset', VM)).toBe(`VMI ${VM} was scheduled to reset\n`);
    await waitCount(GuestMarkers.booted, 3);
    expect(count(GuestMarkers.powerButton)).toBe(0);
    expect(vmi()?.metadata.uid).toBe(uid);
    // The guest started over: nothing thawed it, yet nothing is frozen any more.
    expect(count(THAWED)).toBe(2);
    await rt.waitFor(
      'VMI status.fsFreezeStatus gone after the reset',
      () => freezeStatus() === undefined,
      60_000,
      seen,
    );
    await waitAgent();
    expect(guestOsInfo()).toMatchObject({ fsFreezeStatus: 'thawed' });
    expect(rootLogin()).toBeGreaterThan(lastLogin);
  });

  it('refuses the verbs on a stopped VM', async () => {
    expect(ok('stop', VM)).toBe(`VM ${VM} was scheduled to stop\n`);
    await rt.waitFor('VMI gone', () => vmi() === undefined, 180_000, seen);
    const gone = /virtualmachineinstance\.kubevirt\.io "busy" not found/;
    refused(['freeze', VM], gone);
    refused(['unfreeze', VM], gone);
    refused(['soft-reboot', VM], gone);
    refused(['userlist', VM], gone);
  });
});
