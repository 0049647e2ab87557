/**
 * Port forwarding to a guest through the real API server: `virtkit port-forward` (a local port,
 * and --stdio), then `virtkit ssh` and `virtkit scp` with the system's OpenSSH client against
 * the test guest's SSH server (dropbear, logging root in with the key its user-data lists), all
 * over KubeVirt's `portforward` subresource (api -> node handler -> launcher -> QEMU's NAT).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { consoleHas, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime } from './runtime-support/runtime';
import { virtkitProcess, type CliProcess } from './runtime-support/streams';

jest.setTimeout(600_000);

const NS = 'rt-forward';
const VM = 'reachable';
let rt: Runtime;
let image: GuestImage;
let keyDir: string;
const processes: CliProcess[] = [];

function virtkit(...args: string[]): CliProcess {
  const p = virtkitProcess([...args, '--kubeconfig', rt.kubeconfig]);
  processes.push(p);
  return p;
}

/** A line-oriented client of the guest's port service through a local port. */
async function talk(port: number, line: string): Promise<string> {
  const sock = net.createConnection(port, '127.0.0.1');
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString()));
  sock.on('error', () => undefined);
  const deadline = Date.now() + 60_000;
  while (!got.includes(GuestMarkers.portHello) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  sock.write(`${line}\n`);
  while (!got.includes(`${GuestMarkers.portReply} ${line}`) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  sock.destroy();
  return got;
}

beforeAll(async () => {
  image = ensureGuestImage();
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-ssh-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'e2e', '-f', path.join(keyDir, 'id')]);
  rt = await Runtime.startAll(NS);
  const publicKey = fs.readFileSync(path.join(keyDir, 'id.pub'), 'utf8').trim();
  rt.apply(
    guestVm(image, {
      namespace: NS,
      name: VM,
      runStrategy: 'Always',
      userData: `#cloud-config\nssh_authorized_keys:\n  - ${publicKey}\n`,
    }),
  );
  await waitRunning(rt, NS, VM, GuestMarkers.booted);
  await rt.waitFor(
    'the guest network and SSH server',
    () => consoleHas(rt, NS, VM, 'VIRTKIT-GUEST-IP'),
    120_000,
  );
  expect(consoleHas(rt, NS, VM, `${GuestMarkers.sshServer} port=22 keys=1`)).toBe(true);
}, 600_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await rt?.stop();
  if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
});

describe('virtkit port-forward', () => {
  it('forwards a local port to the guest: several connections at once, each its own', async () => {
    const fwd = virtkit('port-forward', `vm/${VM}`, '0:7777', '-n', NS);
    const line = await fwd.until(/Forwarding from 127\.0\.0\.1:(\d+) -> 7777\n/, 60_000);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const [a, b] = await Promise.all([talk(port, 'first'), talk(port, 'second')]);
    expect(a).toContain(`${GuestMarkers.portHello} port=7777`);
    expect(a).toContain(`${GuestMarkers.portReply} first`);
    expect(a).not.toContain('second');
    expect(b).toContain(`${GuestMarkers.portReply} second`);
    fwd.child.kill('SIGINT');
    expect(await fwd.exited).toBe(0);
  });

  it('--stdio joins stdin and stdout to the guest port (vmi/NAME/NAMESPACE)', async () => {
    const p = virtkit('port-forward', '--stdio', `vmi/${VM}/${NS}`, '7777');
    await p.until(new RegExp(GuestMarkers.portHello), 60_000);
    p.write('over-stdio\n');
    await p.until(new RegExp(`${GuestMarkers.portReply} over-stdio`), 60_000);
    p.child.stdin?.end();
    expect(await p.exited).toBe(0);
  });

  it('refusals are clear: no such VM, a port nothing listens on, a stopped VM, udp', async () => {
    const ghost = virtkit('port-forward', 'vm/ghost', '8080', '-n', NS);
    expect(await ghost.exited).toBe(1);
    expect(ghost.err()).toMatch(/virtualmachines?\.kubevirt\.io "ghost" not found/);

    const closed = virtkit('port-forward', '--stdio', `vm/${VM}`, '7778', '-n', NS);
    expect(await closed.exited).toBe(1);
    expect(closed.err()).toMatch(
      /the guest refused a connection to port 7778 \(does anything listen on it\?\)/,
    );

    const udp = virtkit('port-forward', `vm/${VM}`, 'udp/53', '-n', NS);
    expect(await udp.exited).toBe(2);
    expect(udp.err()).toMatch(/port-forward over udp is not supported by virtkit yet/);

    rt.apply(guestVm(image, { namespace: NS, name: 'idle', runStrategy: 'Halted' }));
    await rt.waitFor('idle VM stored', () => rt.get('vm', NS, 'idle') !== undefined, 60_000);
    const idle = virtkit('port-forward', '--stdio', 'vm/idle', '22', '-n', NS);
    expect(await idle.exited).toBe(1);
    expect(idle.err()).toMatch(/virtualmachine\.kubevirt\.io "idle": VMI is not started/);
  });
});

describe('virtkit ssh and scp with the system OpenSSH client', () => {
  const sshOpts = (): string[] => [
    '-n',
    NS,
    '-i',
    path.join(keyDir, 'id'),
    '--known-hosts',
    path.join(keyDir, 'known_hosts'),
    '-t=-oStrictHostKeyChecking=accept-new',
    '-t=-oBatchMode=yes',
  ];

  it('ssh runs a command in the guest as the user of USER@vm/NAME', async () => {
    const r = virtkit(
      'ssh',
      `root@vm/${VM}`,
      '-c',
      'echo "in-guest $(id -u) $(cat /proc/sys/kernel/osrelease)"',
      ...sshOpts(),
    );
    expect(await r.exited).toBe(0);
    expect(r.out()).toMatch(/^in-guest 0 .*-cloud-amd64\n$/);
    // The host key was recorded under the name ssh saw, vm.NAME.NAMESPACE (hashed or not).
    const found = execFileSync('ssh-keygen', [
      '-F',
      `vm.${VM}.${NS}`,
      '-f',
      path.join(keyDir, 'known_hosts'),
    ]);
    expect(found.toString()).toMatch(/ssh-ed25519 /);
  });

  it('scp copies a file into the guest and back', async () => {
    const src = path.join(keyDir, 'payload.txt');
    fs.writeFileSync(src, `payload ${Date.now()}\n`.repeat(200));
    // -O: the guest's dropbear speaks scp's own protocol, not SFTP (as cirros's does).
    const up = virtkit('scp', src, `root@vm/${VM}:/tmp/payload.txt`, '-t=-O', ...sshOpts());
    expect(await up.exited).toBe(0);
    const back = path.join(keyDir, 'back.txt');
    const down = virtkit('scp', `root@vmi/${VM}:/tmp/payload.txt`, back, '-t=-O', ...sshOpts());
    expect(await down.exited).toBe(0);
    expect(fs.readFileSync(back, 'utf8')).toBe(fs.readFileSync(src, 'utf8'));
  });

  it('a key the guest does not know is refused by the guest (ssh exit code 255)', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'other')]);
    const r = virtkit(
      'ssh',
      `root@vm/${VM}`,
      '-c',
      'true',
      ...sshOpts().map((o) => (o === path.join(keyDir, 'id') ? path.join(keyDir, 'other') : o)),
    );
    expect(await r.exited).toBe(255);
    expect(r.err()).toMatch(/Permission denied \(publickey\)/);
  });
});
