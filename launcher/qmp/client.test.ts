import { QmpClient } from './client';
import { QmpCommandError, QmpDisconnectedError, QmpProtocolError, QmpTimeoutError } from './errors';
import { startFakeQmp, type FakeQmpServer } from './fake-server.test-helper';

describe('QmpClient against a scripted QMP peer', () => {
  let server: FakeQmpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('negotiates capabilities and reports the QEMU version from the greeting', async () => {
    server = await startFakeQmp(() => undefined);
    const client = await QmpClient.connect(server.socketPath);
    const peer = await server.peer;
    expect(peer.received.map((c) => c.execute)).toEqual(['qmp_capabilities']);
    expect(client.qemuVersion).toBe('7.2.22');
    client.close();
  });

  it('routes replies to their callers by id even when they arrive out of order', async () => {
    const held: Parameters<Parameters<typeof startFakeQmp>[0]>[0][] = [];
    server = await startFakeQmp((cmd, peer) => {
      held.push(cmd);
      if (held.length === 2) {
        // Answer the second command first.
        peer.reply(held[1]!, { which: held[1]!.execute });
        peer.reply(held[0]!, { which: held[0]!.execute });
      }
    });
    const client = await QmpClient.connect(server.socketPath);
    const [a, b] = await Promise.all([client.execute('query-status'), client.execute('query-name')]);
    expect(a).toEqual({ which: 'query-status' });
    expect(b).toEqual({ which: 'query-name' });
    client.close();
  });

  it('turns an error reply into a QmpCommandError with class, command and raw line', async () => {
    server = await startFakeQmp((cmd, peer) =>
      peer.fail(cmd, 'CommandNotFound', `The command ${cmd.execute} has not been found`),
    );
    const client = await QmpClient.connect(server.socketPath);
    const err = await client.execute('no-such-thing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpCommandError);
    const e = err as QmpCommandError;
    expect(e.errorClass).toBe('CommandNotFound');
    expect(e.command).toBe('no-such-thing');
    expect(e.raw).toContain('"CommandNotFound"');
    expect(e.message).toContain('no-such-thing');
    client.close();
  });

  it('passes arguments through and delivers events to subscribers', async () => {
    server = await startFakeQmp((cmd, peer) => {
      peer.event('STOP');
      peer.reply(cmd);
    });
    const client = await QmpClient.connect(server.socketPath);
    const events: string[] = [];
    client.onEvent((e) => events.push(e.event));
    await client.execute('stop', { foo: 1 });
    const peer = await server.peer;
    expect(peer.received[1]).toMatchObject({ execute: 'stop', arguments: { foo: 1 } });
    expect(events).toEqual(['STOP']);
    client.close();
  });

  it('execute-then-await-event catches an event that comes before the reply', async () => {
    server = await startFakeQmp((cmd, peer) => {
      if (cmd.execute === 'system_powerdown') {
        peer.event('POWERDOWN');
        peer.reply(cmd);
        setTimeout(() => peer.event('SHUTDOWN', { guest: true, reason: 'guest-shutdown' }), 20);
      }
    });
    const client = await QmpClient.connect(server.socketPath);
    const powerdown = await client.executeAndAwaitEvent('system_powerdown', undefined, 'POWERDOWN', 2000);
    expect(powerdown.event).toBe('POWERDOWN');
    const shutdown = await client.waitForEvent('SHUTDOWN', 2000);
    expect(shutdown.data).toEqual({ guest: true, reason: 'guest-shutdown' });
    client.close();
  });

  it('fails every pending call and event waiter when QEMU goes away', async () => {
    server = await startFakeQmp((cmd, peer) => {
      if (cmd.execute === 'hang-up') peer.hangUp();
    });
    const client = await QmpClient.connect(server.socketPath);
    const closed = new Promise<QmpDisconnectedError>((r) => client.onClose(r));
    const slow = client.execute('query-status');
    const event = client.waitForEvent('SHUTDOWN', 5000);
    const hang = client.execute('hang-up');
    await expect(slow).rejects.toBeInstanceOf(QmpDisconnectedError);
    await expect(event).rejects.toBeInstanceOf(QmpDisconnectedError);
    await expect(hang).rejects.toThrow(/while waiting for hang-up/);
    expect(await closed).toBeInstanceOf(QmpDisconnectedError);
    await expect(client.execute('after')).rejects.toBeInstanceOf(QmpDisconnectedError);
  });

  it('times out a command QEMU never answers', async () => {
    server = await startFakeQmp(() => undefined);
    const client = await QmpClient.connect(server.socketPath, { commandTimeoutMs: 100 });
    await expect(client.execute('query-status')).rejects.toBeInstanceOf(QmpTimeoutError);
    client.close();
  });

  it('drops a peer that speaks no QMP and says why', async () => {
    server = await startFakeQmp((_cmd, peer) => peer.sendRaw('this is not json\n'));
    const client = await QmpClient.connect(server.socketPath);
    const err = (await client.execute('query-status').catch((e: unknown) => e)) as QmpDisconnectedError;
    expect(err).toBeInstanceOf(QmpDisconnectedError);
    expect(err.cause).toBeInstanceOf(QmpProtocolError);
    expect(err.message).toContain('not JSON');
  });

  it('splits replies that arrive in pieces and several per chunk', async () => {
    server = await startFakeQmp((cmd, peer) => {
      const line = JSON.stringify({ return: { n: cmd.arguments?.n }, id: cmd.id }) + '\n';
      peer.sendRaw(line.slice(0, 5));
      setTimeout(
        () =>
          peer.sendRaw(
            line.slice(5) +
              JSON.stringify({ event: 'RESUME', timestamp: { seconds: 0, microseconds: 0 } }) +
              '\n',
          ),
        10,
      );
    });
    const client = await QmpClient.connect(server.socketPath);
    const resumed = client.waitForEvent('RESUME', 2000);
    expect(await client.execute('echo', { n: 7 })).toEqual({ n: 7 });
    await resumed;
    client.close();
  });
});
