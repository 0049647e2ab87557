import { QgaClient } from './client';
import { QgaCommandError, QgaDisconnectedError, QgaTimeoutError, QgaUnavailableError } from './errors';
import { politeAgent, startFakeAgent, type FakeAgent } from './fake-agent.test-helper';
import type { QgaOsInfo } from './protocol';

describe('QgaClient against a scripted guest agent', () => {
  let agent: FakeAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  it('resynchronises with 0xFF and a random id before the first command, then reads the OS info', async () => {
    agent = await startFakeAgent();
    const client = await QgaClient.connect(agent.socketPath, 1000);
    const os = await client.execute<QgaOsInfo>('guest-get-osinfo');
    expect(os['pretty-name']).toBe('Test OS 1.2');
    const peer = agent.peers[0]!;
    expect(peer.received.map((r) => r.execute)).toEqual(['guest-sync-delimited', 'guest-get-osinfo']);
    expect(peer.sentinels).toBe(1);
    expect(typeof peer.received[0]!.arguments?.id).toBe('number');
    client.close();
  });

  it('skips leftovers of an earlier client (stale replies, half lines) until its own echo', async () => {
    agent = await startFakeAgent((req, peer) => {
      if (req.execute === 'guest-sync-delimited') {
        // Stale: a whole old reply, an old sync echo with another id, and half a line.
        peer.sendRaw('{"return": {"old": true}}\n');
        peer.sendRaw(Buffer.concat([Buffer.from([0xff]), Buffer.from('{"return": 17}\n{"return": {"hal')]));
      }
      politeAgent(req, peer);
    });
    const client = await QgaClient.connect(agent.socketPath, 1000);
    await client.sync();
    expect(await client.execute('guest-get-host-name')).toEqual({ 'host-name': 'vm-1' });
    client.close();
  });

  it('uses a different sync id every time', async () => {
    agent = await startFakeAgent();
    const a = await QgaClient.connect(agent.socketPath, 1000);
    await a.sync();
    await a.sync();
    const ids = agent.peers[0]!.received.map((r) => r.arguments?.id);
    expect(ids[0]).not.toEqual(ids[1]);
    a.close();
  });

  it('times out with QgaTimeoutError when no agent answers, and resyncs before the next command', async () => {
    let silent = true;
    agent = await startFakeAgent((req, peer) => {
      if (!silent) politeAgent(req, peer);
    });
    const client = await QgaClient.connect(agent.socketPath, 200);
    const err = await client.execute('guest-ping').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QgaTimeoutError);
    expect((err as QgaTimeoutError).message).toContain(agent.socketPath);
    expect((err as QgaTimeoutError).command).toBe('guest-sync-delimited');
    silent = false;
    await expect(client.execute('guest-ping')).resolves.toEqual({});
    const names = agent.peers[0]!.received.map((r) => r.execute);
    expect(names).toEqual(['guest-sync-delimited', 'guest-sync-delimited', 'guest-ping']);
    client.close();
  });

  it('turns an error answer into QgaCommandError with the class and command', async () => {
    agent = await startFakeAgent();
    const client = await QgaClient.connect(agent.socketPath, 1000);
    const err = await client.execute('guest-frobnicate').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QgaCommandError);
    const e = err as QgaCommandError;
    expect(e.errorClass).toBe('CommandNotFound');
    expect(e.command).toBe('guest-frobnicate');
    expect(e.raw).toContain('CommandNotFound');
    client.close();
  });

  it('fails a pending command with QgaDisconnectedError when the socket closes', async () => {
    agent = await startFakeAgent((req, peer) => {
      if (req.execute === 'guest-sync-delimited') politeAgent(req, peer);
      else peer.hangUp();
    });
    const client = await QgaClient.connect(agent.socketPath, 2000);
    const err = await client.execute('guest-get-osinfo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QgaDisconnectedError);
    expect(client.closed).toBe(true);
  });

  it('reports a missing socket as QgaUnavailableError naming the path', async () => {
    const err = await QgaClient.connect('/nonexistent/virtkit/qga.sock', 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QgaUnavailableError);
    expect((err as Error).message).toContain('/nonexistent/virtkit/qga.sock');
  });

  it('treats silence after guest-shutdown as accepted and an error answer as a failure', async () => {
    agent = await startFakeAgent((req, peer) => {
      if (req.execute === 'guest-shutdown' && req.arguments?.mode === 'reboot') return; // no answer on success
      politeAgent(req, peer);
    });
    const client = await QgaClient.connect(agent.socketPath, 1000);
    await expect(client.executeNoReply('guest-shutdown', { mode: 'reboot' }, 100)).resolves.toBeUndefined();
    await expect(client.executeNoReply('guest-shutdown', { mode: 'bogus' }, 500)).rejects.toBeInstanceOf(
      QgaCommandError,
    );
    client.close();
  });
});
