/**
 * The control API's stream routes over a real unix socket, with stand-ins for QEMU's sockets
 * that behave as QEMU's do: the serial chardev serves one client at a time (a second connection
 * waits until the first is gone) and writes everything the guest prints to its log file as well,
 * connected or not; the VNC socket greets with an RFB version.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { FakeSerial, fakeVncServer } from '../../test/fixtures/fake-qemu-sockets';
import type { Domain } from '../runtime/domain';
import { MAX_CONSOLE_HISTORY_BYTES, Routes, StreamUpgrade } from './protocol';
import { ControlServer } from './server';

let dir: string;
let serial: FakeSerial;
let vnc: net.Server;
let control: ControlServer;
let controlSocket: string;
let ticker: NodeJS.Timeout | undefined;

function domainWith(plan: Record<string, string | undefined>): Domain {
  return { plan } as unknown as Domain;
}

async function startControl(plan: Record<string, string | undefined>): Promise<ControlServer> {
  const c = new ControlServer({
    socketPath: controlSocket,
    domain: domainWith(plan),
    name: 'vm',
    namespace: 'ns',
    defaultGraceSeconds: 5,
    start: async () => undefined,
  });
  await c.listen();
  return c;
}

type Upgraded =
  { socket: net.Socket } | { status: number; body: { error: { type: string; message: string } } };

function openStream(route: string, upgrade: string): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath: controlSocket,
      path: route,
      headers: { connection: 'Upgrade', upgrade },
    });
    req.on('upgrade', (_res, socket: net.Socket, head: Buffer) => {
      if (head.length) socket.unshift(head);
      resolve({ socket });
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function open(route: string, upgrade: string = StreamUpgrade.console): Promise<net.Socket> {
  const r = await openStream(route, upgrade);
  if (!('socket' in r)) throw new Error(`refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r.socket;
}

/** Collects what a socket reads; `until` waits for a pattern. */
function reader(socket: net.Socket): {
  text: () => string;
  until: (re: RegExp, ms?: number) => Promise<string>;
  ended: Promise<void>;
} {
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  return {
    text: () => text,
    ended,
    until: async (re, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${re}; got ${JSON.stringify(text.slice(-500))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return text;
    },
  };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-streams-'));
  serial = new FakeSerial(path.join(dir, 'serial.sock'), path.join(dir, 'serial.log'));
  await serial.listen();
  vnc = await fakeVncServer(path.join(dir, 'vnc.sock'));
  controlSocket = path.join(dir, 'launcher.sock');
  control = await startControl({
    serialSocket: serial.socketPath,
    serialLog: serial.logPath,
    vncSocket: path.join(dir, 'vnc.sock'),
  });
});

afterEach(async () => {
  if (ticker) clearInterval(ticker);
  ticker = undefined;
  await control.close();
  await serial.close();
  await new Promise<void>((r) => vnc.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('GET /v1/console', () => {
  it('joins the caller to the serial console: live output out, input in', async () => {
    const s = await open(Routes.console);
    const out = reader(s);
    await serial.waitConnected();
    serial.print('VIRTKIT-GUEST-BOOTED\n');
    await out.until(/VIRTKIT-GUEST-BOOTED/);
    s.write('hello guest\n');
    await out.until(/GOT hello guest/);
    s.destroy();
  });

  it('with history=N replays the log from a line start, then live output, nothing lost or repeated', async () => {
    for (let i = 0; i < 400; i++) serial.print(`boot line ${String(i).padStart(4, '0')}\n`);
    let n = 0;
    ticker = setInterval(() => serial.print(`tick ${n++}\n`), 2);
    await new Promise((r) => setTimeout(r, 30));
    const s = await open(`${Routes.console}?history=1000`);
    const out = reader(s);
    const start = n;
    await out.until(new RegExp(`tick ${start + 60}\\n`));
    s.destroy();
    const lines = out.text().split('\n').filter(Boolean);
    // The cut fell inside a line: the replay starts at the next one, and holds < 1000 bytes.
    expect(lines[0]).toMatch(/^(boot line \d{4}|tick \d+)$/);
    expect(out.text().length).toBeGreaterThan(0);
    const boot = lines.filter((l) => l.startsWith('boot line'));
    expect(boot[boot.length - 1]).toBe('boot line 0399');
    const ticks = lines.filter((l) => l.startsWith('tick ')).map((l) => Number(l.slice(5)));
    expect(ticks.length).toBeGreaterThan(60);
    ticks.forEach((t, i) => expect(t).toBe(ticks[0] + i));
    expect(ticks[0]).toBeLessThanOrEqual(start);
  });

  it('history=0 gives live output only, read from the log, and input still reaches the guest', async () => {
    serial.print('old output\n');
    const s = await open(`${Routes.console}?history=0`);
    const out = reader(s);
    await serial.waitConnected();
    s.write('ping\n');
    await out.until(/GOT ping/);
    expect(out.text()).not.toMatch(/old output/);
    s.destroy();
  });

  it('one session at a time: a new one cuts the open one, which ends; the new one works', async () => {
    const first = await open(Routes.console);
    const firstOut = reader(first);
    await serial.waitConnected();
    const second = await open(`${Routes.console}?history=0`);
    const secondOut = reader(second);
    await firstOut.ended;
    second.write('from the second\n');
    await secondOut.until(/GOT from the second/);
    second.destroy();
    // And once it is gone the console is free again.
    const third = await open(Routes.console);
    const thirdOut = reader(third);
    third.write('third\n');
    await thirdOut.until(/GOT third/);
    third.destroy();
  });

  it('ends the session when the guest console goes away, after the last logged bytes', async () => {
    const s = await open(`${Routes.console}?history=0`);
    const out = reader(s);
    await serial.waitConnected();
    serial.print('last words\n');
    await serial.close();
    await out.ended;
    expect(out.text()).toMatch(/last words/);
  });

  it('refuses what it cannot serve with an HTTP error and the API error body', async () => {
    const bad = await openStream(`${Routes.console}?history=lots`, StreamUpgrade.console);
    expect(bad).toMatchObject({ status: 400, body: { error: { type: 'BadRequest' } } });
    const big = await openStream(
      `${Routes.console}?history=${MAX_CONSOLE_HISTORY_BYTES + 1}`,
      StreamUpgrade.console,
    );
    expect(big).toMatchObject({ status: 400 });
    const token = await openStream(Routes.console, 'websocket');
    expect(token).toMatchObject({ status: 400, body: { error: { type: 'BadUpgrade' } } });
    const nowhere = await openStream('/v1/nowhere', StreamUpgrade.console);
    expect(nowhere).toMatchObject({ status: 404 });
    await serial.close();
    const gone = await openStream(Routes.console, StreamUpgrade.console);
    expect(gone).toMatchObject({ status: 409, body: { error: { type: 'ConsoleUnavailable' } } });
  });

  it('a VM without a serial console has no console route', async () => {
    await control.close();
    control = await startControl({ vncSocket: path.join(dir, 'vnc.sock') });
    const r = await openStream(Routes.console, StreamUpgrade.console);
    expect(r).toMatchObject({ status: 404, body: { error: { type: 'NoConsole' } } });
  });
});

describe('GET /v1/vnc', () => {
  it('joins the caller to the VNC server (raw RFB), several at once', async () => {
    const a = await open(Routes.vnc, StreamUpgrade.vnc);
    const b = await open(Routes.vnc, StreamUpgrade.vnc);
    const ra = reader(a);
    const rb = reader(b);
    await ra.until(/^RFB 003\.008\n/);
    await rb.until(/^RFB 003\.008\n/);
    a.write('hi');
    await ra.until(/ECHO:hi/);
    a.destroy();
    b.destroy();
  });

  it('close() cuts open sessions', async () => {
    const s = await open(Routes.vnc, StreamUpgrade.vnc);
    const out = reader(s);
    await out.until(/RFB/);
    await control.close();
    await out.ended;
    control = await startControl({ serialSocket: serial.socketPath });
  });

  it('a VM without graphics has no VNC route', async () => {
    await control.close();
    control = await startControl({ serialSocket: serial.socketPath });
    const r = await openStream(Routes.vnc, StreamUpgrade.vnc);
    expect(r).toMatchObject({ status: 404, body: { error: { type: 'NoGraphics' } } });
  });
});
