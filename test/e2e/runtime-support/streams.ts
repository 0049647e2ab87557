/**
 * What the stream tests of the runtime suites use: the real `virtkit` command as a long-running
 * process with pipes (`virtkit console`, `virtkit vnc --proxy-only`), and a minimal RFB client
 * (RFC 6143) that does the handshake a VNC viewer does and asks for a framebuffer update.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');
const VIRTKIT = path.join(ROOT, 'bin', 'virtkit.js');

export interface CliProcess {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  /** Waits until stdout matches. */
  until(re: RegExp, ms?: number): Promise<string>;
  /** Waits until stderr matches. */
  untilErr(re: RegExp, ms?: number): Promise<string>;
  /** Resolves with the exit code (-1 for a signal). */
  readonly exited: Promise<number>;
  write(text: string): void;
}

async function waitMatch(
  read: () => string,
  re: RegExp,
  ms: number,
  what: string,
  other: () => string,
): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = read();
    if (re.test(text)) return text;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${re} on ${what}; ${what}: ${JSON.stringify(text.slice(-1500))}; other stream: ${JSON.stringify(other().slice(-1500))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `virtkit ARGS` with stdin, stdout and stderr as pipes. */
export function virtkitProcess(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, [VIRTKIT, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('latin1')));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    child,
    out: () => out,
    err: () => err,
    until: (re, ms = 120_000) =>
      waitMatch(
        () => out,
        re,
        ms,
        'stdout',
        () => err,
      ),
    untilErr: (re, ms = 120_000) =>
      waitMatch(
        () => err,
        re,
        ms,
        'stderr',
        () => out,
      ),
    exited,
    write: (text) => void child.stdin?.write(text),
  };
}

/** Reads exact byte counts from a socket. */
class Reader {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  async read(n: number, ms = 30_000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`the connection closed after ${this.buf.length} of ${n} bytes`);
      if (Date.now() > deadline) throw new Error(`timed out reading ${n} bytes (have ${this.buf.length})`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 200);
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export interface RfbSession {
  readonly version: string;
  readonly securityTypes: readonly number[];
  readonly width: number;
  readonly height: number;
  readonly name: string;
  /** The first server message after a non-incremental FramebufferUpdateRequest of the whole screen. */
  readonly firstMessageType: number;
  readonly rectangles: number;
}

/**
 * A VNC viewer's start on a TCP port: ProtocolVersion 3.8, security None, ClientInit (shared),
 * ServerInit, then a FramebufferUpdateRequest of the whole screen and the header of the answer.
 */
export async function rfbHandshake(port: number, host = '127.0.0.1'): Promise<RfbSession> {
  const socket = net.createConnection(port, host);
  socket.on('error', () => undefined);
  const r = new Reader(socket);
  try {
    const version = (await r.read(12)).toString('latin1');
    if (!/^RFB \d{3}\.\d{3}\n$/.test(version))
      throw new Error(`not an RFB greeting: ${JSON.stringify(version)}`);
    socket.write('RFB 003.008\n');
    const count = (await r.read(1))[0];
    if (count === 0) {
      const len = (await r.read(4)).readUInt32BE(0);
      throw new Error(`the server refused: ${(await r.read(len)).toString()}`);
    }
    const securityTypes = [...(await r.read(count))];
    if (!securityTypes.includes(1)) throw new Error(`no "None" security type in ${securityTypes.join(',')}`);
    socket.write(Buffer.from([1]));
    const result = (await r.read(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security handshake failed (${result})`);
    socket.write(Buffer.from([1])); // ClientInit: shared
    const init = await r.read(24);
    const width = init.readUInt16BE(0);
    const height = init.readUInt16BE(2);
    const name = (await r.read(init.readUInt32BE(20))).toString('utf8');
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0); // FramebufferUpdateRequest
    request.writeUInt8(0, 1); // not incremental
    request.writeUInt16BE(0, 2);
    request.writeUInt16BE(0, 4);
    request.writeUInt16BE(width, 6);
    request.writeUInt16BE(height, 8);
    socket.write(request);
    const head = await r.read(4);
    return {
      version: version.trim(),
      securityTypes,
      width,
      height,
      name,
      firstMessageType: head[0],
      rectangles: head.readUInt16BE(2),
    };
  } finally {
    socket.destroy();
  }
}
