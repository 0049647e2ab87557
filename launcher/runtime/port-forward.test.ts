import * as net from 'net';
import {
  hostForwardCommands,
  openGuestPort,
  parseGuestPort,
  parseProtocol,
  PortForwardError,
  usernetHasConnection,
  type HmpRunner,
} from './port-forward';

/**
 * A stand-in for slirp's host forwards (pure logic under test is the launcher's use of HMP): on
 * `hostfwd_add` it listens on the host port and answers each connection with `guest:<port>`;
 * on `hostfwd_remove` it stops listening, as slirp does, leaving accepted connections open.
 */
function fakeSlirp(opts: { refuseFirstAdd?: boolean; guestRefuses?: boolean } = {}): HmpRunner & {
  commands: string[];
  listening(): number;
} {
  const servers = new Map<number, net.Server>();
  /** Host ports with a connection slirp accepted (what `info usernet` lists). */
  const accepted = new Set<number>();
  const commands: string[] = [];
  let refused = false;
  return {
    commands,
    listening: () => servers.size,
    async execute<T>(command: string, args?: Record<string, unknown>): Promise<T> {
      expect(command).toBe('human-monitor-command');
      const line = String(args?.['command-line']);
      commands.push(line);
      const add = /^hostfwd_add net0 tcp:127\.0\.0\.1:(\d+)-:(\d+)$/.exec(line);
      if (add) {
        if (opts.refuseFirstAdd && !refused) {
          refused = true;
          return 'could not set up host forwarding rule' as T;
        }
        const [hostPort, guestPort] = [Number(add[1]), Number(add[2])];
        const server = net.createServer((c) => {
          // A guest port nobody listens on: slirp's row is gone before any poll sees it.
          if (opts.guestRefuses) return void c.end();
          accepted.add(hostPort);
          c.end(`guest:${guestPort}\n`);
        });
        await new Promise<void>((r) => server.listen(hostPort, '127.0.0.1', r));
        servers.set(hostPort, server);
        return '' as T;
      }
      if (line === 'info usernet')
        return [
          'Hub -1 (net0):',
          '  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ',
          ...[...servers.keys()].map(
            (p) => `  TCP[HOST_FORWARD]  16       127.0.0.1 ${p}       10.0.2.15    22     0     0`,
          ),
          ...[...accepted].map(
            (p) => `  TCP[ESTABLISHED]   17       127.0.0.1 ${p}       10.0.2.15    22     0     0`,
          ),
        ].join('\r\n') as T;
      const remove = /^hostfwd_remove net0 tcp:127\.0\.0\.1:(\d+)$/.exec(line);
      if (remove) {
        const server = servers.get(Number(remove[1]));
        servers.delete(Number(remove[1]));
        server?.close(); // stops listening now; accepted connections live on
        return `host forwarding rule for tcp:127.0.0.1:${remove[1]} removed\r\n` as T;
      }
      throw new Error(`unexpected HMP command ${line}`);
    },
  };
}

function readAll(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    if (s.destroyed) return resolve(text);
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('close', () => resolve(text));
  });
}

describe('port forward to the guest through slirp', () => {
  test('connects through a forward and removes it before answering', async () => {
    const slirp = fakeSlirp();
    const sock = await openGuestPort(slirp, 'net0', 7777);
    expect(slirp.listening()).toBe(0);
    expect(await readAll(sock)).toBe('guest:7777\n');
    // The forward goes only after slirp listed the connection as accepted.
    expect(slirp.commands[0]).toMatch(/^hostfwd_add net0 tcp:127\.0\.0\.1:\d+-:7777$/);
    expect(slirp.commands.slice(1, -1).every((c) => c === 'info usernet')).toBe(true);
    expect(slirp.commands.length).toBeGreaterThanOrEqual(3);
    expect(slirp.commands.at(-1)).toMatch(/^hostfwd_remove net0 tcp:127\.0\.0\.1:\d+$/);
  });

  test('a forward QEMU refuses (its port taken meanwhile) is tried again on another port', async () => {
    const slirp = fakeSlirp({ refuseFirstAdd: true });
    const sock = await openGuestPort(slirp, 'net0', 22);
    expect(await readAll(sock)).toBe('guest:22\n');
    expect(slirp.commands.filter((c) => c.startsWith('hostfwd_add'))).toHaveLength(2);
    expect(slirp.listening()).toBe(0);
  });

  test('a connection the guest ends at once counts as taken, though info usernet never listed it', async () => {
    const slirp = fakeSlirp({ guestRefuses: true });
    const started = Date.now();
    const sock = await openGuestPort(slirp, 'net0', 7778, { timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await readAll(sock)).toBe('');
    expect(slirp.commands.filter((c) => c.startsWith('hostfwd_add'))).toHaveLength(1);
    expect(slirp.listening()).toBe(0);
  });

  test("info usernet: only a connection on the forward's own port counts", () => {
    const info = [
      'Hub -1 (net0):',
      '  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ',
      '  TCP[HOST_FORWARD]  16       127.0.0.1 40125       10.0.2.15    22     0     0',
      '  TCP[SYN_SENT]      17       127.0.0.1 40126       10.0.2.15    22     0     0',
    ].join('\r\n');
    expect(usernetHasConnection(info, 40125)).toBe(false);
    expect(usernetHasConnection(info, 40126)).toBe(true);
    expect(usernetHasConnection(info, 4012)).toBe(false);
  });

  test('a forward that cannot be connected is removed and the error names the port', async () => {
    // QEMU "accepts" the rule but nothing listens on the host port.
    const hmp: HmpRunner & { commands: string[] } = {
      commands: [],
      async execute<T>(_c: string, args?: Record<string, unknown>): Promise<T> {
        this.commands.push(String(args?.['command-line']));
        return '' as T;
      },
    };
    await expect(openGuestPort(hmp, 'net0', 8080, { attempts: 1 })).rejects.toThrow(
      /cannot open a connection to guest port 8080: .*ECONNREFUSED/,
    );
    expect(hmp.commands.map((c) => c.split(' ')[0])).toEqual(['hostfwd_add', 'hostfwd_remove']);
  });

  test('ports, protocols and netdev ids are checked before they reach HMP', () => {
    expect(parseGuestPort('22')).toBe(22);
    for (const bad of [null, '0', '65536', '-1', '22a', '1e3', ' 22'])
      expect(parseGuestPort(bad)).toBeInstanceOf(PortForwardError);
    expect(parseProtocol(null)).toBe('tcp');
    expect(parseProtocol('TCP')).toBe('tcp');
    expect((parseProtocol('udp') as PortForwardError).message).toBe(
      'port-forward over udp is not supported by virtkit yet; forward a tcp port',
    );
    expect((parseProtocol('sctp') as PortForwardError).message).toMatch(/tcp or udp, got "sctp"/);
    expect(hostForwardCommands('net-default', 40000, 22)).toEqual({
      add: 'hostfwd_add net-default tcp:127.0.0.1:40000-:22',
      remove: 'hostfwd_remove net-default tcp:127.0.0.1:40000',
    });
    expect(() => hostForwardCommands('net0 tcp:0.0.0.0:1-:22', 1, 2)).toThrow(/bad netdev id/);
  });
});
