/**
 * Pause, unpause and the guest agent's answers on the local runtime, the way KubeVirt's clients
 * reach them: KubeVirt's subresources (`PUT .../virtualmachineinstances/NAME/pause`, `GET
 * .../guestosinfo`) through the real API server, which proxies them to `virtkit api`, which asks
 * the node handler's API (mutual TLS), which asks the VMI's launcher; and `virtkit pause` /
 * `unpause` / `guestosinfo`, which send the same requests. The controller, the handler and the
 * api are real processes and the test guest runs in real QEMU. What is checked is what a user
 * sees: the VMI's Paused condition, the VM's printableStatus, the guest's serial console (it
 * prints a tick every second), and the agent's answers (the test guest runs a tiny agent).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers, guestTicks, type GuestImage } from '../fixtures/guest/build';
import { KubeApiError, KubeClient, SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES } from '../../kube';
import { printableStatus, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-pause';
const VIRTKIT = path.resolve(__dirname, '..', '..', 'bin', 'virtkit.js');
let rt: Runtime;
let image: GuestImage;
let admin: KubeClient;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
  admin = KubeClient.connect({ kubeconfig: rt.kubeconfig, fieldManager: 'e2e' });
}, 600_000);

afterAll(async () => {
  admin?.close();
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
  return guestTicks(text).at(-1) ?? 0;
}

/** A PUT of a VMI subresource through the API server, as virtctl sends it. */
function put(name: string, subresource: string, body: unknown = {}): Promise<unknown> {
  return admin.putSubresource(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, NS, name, subresource, body);
}

function getSub<T>(name: string, subresource: string): Promise<T> {
  return admin.get<T>(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, NS, name, subresource);
}

/** The refusal of a request: its HTTP status and the server's message. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return { status: err.status, message: err.serverMessage };
    throw err;
  }
  throw new Error('the request was accepted; it should have been refused');
}

describe('pausing a VM through the subresource API', () => {
  it('PUT pause freezes the guest and reports Paused; virtkit unpause resumes it', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'sleepy', runStrategy: 'Always' }));
    await waitRunning(rt, NS, 'sleepy', `${GuestMarkers.tick} 2`);
    const log = rt.serialLog(NS, 'sleepy')!;
    const seen = (): unknown => ({
      vm: rt.get('vm', NS, 'sleepy')?.status,
      vmi: rt.get('vmi', NS, 'sleepy')?.status,
    });

    // A dry run is checked and nothing happens.
    await put('sleepy', 'pause', { dryRun: ['All'] });
    await sleep(1500);
    expect(condition(rt.get('vmi', NS, 'sleepy'), 'Paused')).toBeUndefined();

    await put('sleepy', 'pause');
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

    // KubeVirt's refusal of a second pause, with its code and words.
    expect(await refusal(put('sleepy', 'pause'))).toEqual({
      status: 409,
      message:
        'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "sleepy": VMI is already paused',
    });

    const resumed = virtkit(['unpause', 'vmi', 'sleepy', '-n', NS]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('VMI sleepy was scheduled to unpause\n');
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
    expect(await refusal(put('sleepy', 'unpause'))).toEqual({
      status: 409,
      message:
        'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "sleepy": VMI is not paused',
    });

    // virtkit pause vm NAME reaches the VM's VMI, as virtctl does.
    const paused = virtkit(['pause', 'vm', 'sleepy', '-n', NS]);
    expect({ code: paused.code, stderr: paused.stderr, stdout: paused.stdout }).toEqual({
      code: 0,
      stderr: '',
      stdout: 'VMI sleepy was scheduled to pause\n',
    });
    await rt.waitFor(
      'Paused again',
      () => condition(rt.get('vmi', NS, 'sleepy'), 'Paused')?.status === 'True',
      120_000,
      seen,
    );
    await put('sleepy', 'unpause');
    await rt.waitFor('running again', () => printableStatus(rt, NS, 'sleepy') === 'Running', 120_000, seen);
  });

  it("guestosinfo answers with the agent's facts, userlist with its users", async () => {
    await rt.waitFor(
      'VMI condition AgentConnected=True',
      () => condition(rt.get('vmi', NS, 'sleepy'), 'AgentConnected')?.status === 'True',
      120_000,
    );
    const info = await getSub<Record<string, unknown>>('sleepy', 'guestosinfo');
    expect(info).toMatchObject({
      os: {
        id: 'virtkit-test-guest',
        name: 'virtkit test guest',
        prettyName: 'virtkit test guest (busybox)',
        version: '1',
        versionId: '1',
        machine: 'x86_64',
      },
      timezone: 'UTC, 0',
      fsInfo: { disks: [{ mountPoint: '/' }] },
      fsFreezeStatus: 'thawed',
    });
    expect(typeof info.hostname).toBe('string');
    // The test agent reports root, logged in on the serial console since the guest booted.
    expect(await getSub('sleepy', 'userlist')).toEqual({
      metadata: {},
      items: [{ userName: 'root', loginTime: expect.any(Number) }],
    });

    const printed = virtkit(['guestosinfo', 'sleepy', '-n', NS]);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toMatchObject({ os: { id: 'virtkit-test-guest' } });
    expect(printed.stdout).toContain('\n  "os": {\n');
  });

  it("a guest without an agent gets KubeVirt's answer", async () => {
    rt.apply(
      guestVm(image, {
        namespace: NS,
        name: 'quiet',
        runStrategy: 'Always',
        userData: '#cloud-config\n# virtkit.no_agent\n',
      }),
    );
    await rt.waitFor(
      'quiet VMI Running',
      () => rt.get('vmi', NS, 'quiet')?.status?.phase === 'Running',
      240_000,
    );
    expect(await refusal(getSub('quiet', 'guestosinfo'))).toEqual({
      status: 409,
      message:
        'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "quiet": VMI does not have guest agent connected',
    });
    const r = virtkit(['fslist', 'quiet', '-n', NS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/virtkit fslist: .*VMI does not have guest agent connected/);
    rt.kubectl(['-n', NS, 'delete', 'vm', 'quiet', '--wait=false']);
  });

  it('refuses with a clear message: a missing VMI or VM, a VM that is not running, a kind that cannot pause', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'idle', runStrategy: 'Halted' }));
    await rt.waitFor('idle Stopped', () => printableStatus(rt, NS, 'idle') === 'Stopped');

    const cases: [string[], number, RegExp][] = [
      [['pause', 'vmi', 'nosuch', '-n', NS], 1, /virtualmachineinstance\.kubevirt\.io "nosuch" not found/],
      [['unpause', 'vm', 'nosuch', '-n', NS], 1, new RegExp(`VirtualMachine ${NS}/nosuch not found`)],
      [
        ['pause', 'vm', 'idle', '-n', NS],
        1,
        new RegExp(`VirtualMachine ${NS}/idle is not running .*start it first`),
      ],
      [['guestosinfo', 'idle', '-n', NS], 1, /virtualmachineinstance\.kubevirt\.io "idle" not found/],
      [['pause', 'pod', 'idle', '-n', NS], 2, /'pod' cannot be paused; name a 'vmi' or a 'vm'/],
    ];
    for (const [args, code, message] of cases) {
      const r = virtkit(args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(message);
    }
    expect(rt.get('vmi', NS, 'idle')).toBeUndefined();
  });
});
