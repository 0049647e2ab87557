import { QgaClient } from './client';
import { politeAgent, startFakeAgent, type FakeAgent } from './fake-agent.test-helper';
import { toGuestFilesystems, toGuestUsers, toSupportedCommands } from './protocol';
import {
  agentDetails,
  fsFreeze,
  fsFreezeOrUndo,
  FsFreezeFailedError,
  fsThaw,
  guestFilesystems,
  guestUsers,
} from './queries';

describe("the agent's answers in KubeVirt's names (pure)", () => {
  it('users, filesystems and commands', () => {
    expect(
      toGuestUsers([
        { user: 'root', 'login-time': 1700000000.5 },
        { user: 'bob', domain: 'CORP' },
        { domain: 'x' },
      ]),
    ).toEqual([
      { userName: 'root', loginTime: 1700000000.5 },
      { userName: 'bob', domain: 'CORP' },
    ]);
    expect(
      toGuestFilesystems([
        { name: 'vda1', mountpoint: '/', type: 'ext4', 'used-bytes': 10, 'total-bytes': 100 },
        { name: 'proc', mountpoint: '/proc', type: 'proc' },
      ]),
    ).toEqual([
      { diskName: 'vda1', mountPoint: '/', fileSystemType: 'ext4', usedBytes: 10, totalBytes: 100 },
      { diskName: 'proc', mountPoint: '/proc', fileSystemType: 'proc', usedBytes: 0, totalBytes: 0 },
    ]);
    expect(
      toSupportedCommands({
        version: '8.2.0',
        supported_commands: [
          { name: 'guest-ping', enabled: true },
          { name: 'guest-exec', enabled: false },
          {},
        ],
      }),
    ).toEqual([{ name: 'guest-ping', enabled: true }, { name: 'guest-exec' }]);
    expect(toGuestUsers(undefined)).toEqual([]);
    expect(toGuestFilesystems('nonsense' as never)).toEqual([]);
  });
});

describe('asking the agent', () => {
  let agent: FakeAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  const rich: typeof politeAgent = (req, peer) => {
    switch (req.execute) {
      case 'guest-info':
        return peer.reply({ version: '8.2.0', supported_commands: [{ name: 'guest-ping', enabled: true }] });
      case 'guest-get-users':
        return peer.reply([{ user: 'root', 'login-time': 1.5 }]);
      case 'guest-get-fsinfo':
        return peer.reply([
          { name: 'vda1', mountpoint: '/', type: 'ext4', 'used-bytes': 1, 'total-bytes': 2 },
        ]);
      case 'guest-fsfreeze-freeze':
        return peer.reply(2);
      case 'guest-fsfreeze-thaw':
        return peer.reply(2);
      default:
        return politeAgent(req, peer);
    }
  };

  it('reads version, commands, users and filesystems; a frozen agent is only asked what it answers', async () => {
    agent = await startFakeAgent(rich);
    const c = await QgaClient.connect(agent.socketPath, 500);
    try {
      expect(await agentDetails(c)).toEqual({
        version: '8.2.0',
        supportedCommands: [{ name: 'guest-ping', enabled: true }],
        users: [{ userName: 'root', loginTime: 1.5 }],
        filesystems: [
          { diskName: 'vda1', mountPoint: '/', fileSystemType: 'ext4', usedBytes: 1, totalBytes: 2 },
        ],
      });
      const before = agent.peers[0].received.length;
      expect(await agentDetails(c, { frozen: true })).toMatchObject({ users: [], filesystems: [] });
      expect(agent.peers[0].received.slice(before).map((r) => r.execute)).toEqual(['guest-info']);
      expect(await guestUsers(c)).toEqual([{ userName: 'root', loginTime: 1.5 }]);
      expect(await guestFilesystems(c)).toHaveLength(1);
      expect(await fsFreeze(c)).toBe(2);
      expect(await fsThaw(c)).toBe(2);
    } finally {
      c.close();
    }
  });

  it('leaves out what the agent does not have (as KubeVirt does), but not a broken answer', async () => {
    agent = await startFakeAgent(politeAgent);
    const c = await QgaClient.connect(agent.socketPath, 500);
    try {
      expect(await agentDetails(c)).toEqual({ supportedCommands: [], users: [], filesystems: [] });
      await expect(fsFreeze(c)).rejects.toThrow(/guest-fsfreeze-freeze failed \(CommandNotFound\)/);
    } finally {
      c.close();
    }
  });
});

describe('a freeze that fails leaves nothing frozen (fsFreezeOrUndo)', () => {
  let agent: FakeAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  /**
   * A qemu-ga whose freeze goes part-way: the first filesystem froze, FIFREEZE failed on the
   * next, and the agent stays in frozen state (refusing all but sync, ping, status and thaw).
   * `cleansUp`: it thaws by itself before answering (what newer agents do); `thaw`: how a thaw
   * is answered.
   */
  function partialFreezer(o: { cleansUp?: boolean; thaw?: 'ok' | 'fail' } = {}) {
    const state = { frozen: false, thawsSent: 0 };
    const script: typeof politeAgent = (req, peer) => {
      const allowed = ['guest-sync-delimited', 'guest-ping', 'guest-fsfreeze-status', 'guest-fsfreeze-thaw'];
      if (state.frozen && !allowed.includes(req.execute))
        return peer.fail(
          'CommandNotFound',
          `Command ${req.execute} has been disabled: the agent is in frozen state`,
        );
      switch (req.execute) {
        case 'guest-fsfreeze-freeze':
          state.frozen = !o.cleansUp;
          return peer.fail('GenericError', 'failed to freeze /mnt/data: Input/output error');
        case 'guest-fsfreeze-status':
          return peer.reply(state.frozen ? 'frozen' : 'thawed');
        case 'guest-fsfreeze-thaw':
          state.thawsSent++;
          if (o.thaw === 'fail')
            return peer.fail('GenericError', 'failed to thaw /: Device or resource busy');
          state.frozen = false;
          return peer.reply(1);
        default:
          return politeAgent(req, peer);
      }
    };
    return { state, script };
  }

  const commands = (a: FakeAgent): string[] =>
    a.peers.flatMap((p) => p.received.map((r) => r.execute)).filter((c) => c !== 'guest-sync-delimited');

  async function freezeWith(a: FakeAgent, timeoutMs = 500): Promise<FsFreezeFailedError | number> {
    const c = await QgaClient.connect(a.socketPath, 500);
    try {
      return await fsFreezeOrUndo(c, timeoutMs);
    } catch (err) {
      if (err instanceof FsFreezeFailedError) return err;
      throw err;
    } finally {
      c.close();
    }
  }

  it('a freeze that succeeds is all that is asked', async () => {
    agent = await startFakeAgent((req, peer) =>
      req.execute === 'guest-fsfreeze-freeze' ? peer.reply(2) : politeAgent(req, peer),
    );
    expect(await freezeWith(agent)).toBe(2);
    expect(commands(agent)).toEqual(['guest-fsfreeze-freeze']);
  });

  it('an agent left in frozen state by its failed freeze is thawed, and the error says so', async () => {
    const fake = partialFreezer();
    agent = await startFakeAgent(fake.script);
    const err = await freezeWith(agent);
    expect(err).toBeInstanceOf(FsFreezeFailedError);
    const failed = err as FsFreezeFailedError;
    expect(failed.mayBeFrozen).toBe(false);
    expect(failed.message).toBe(
      "the guest agent failed to freeze the guest's filesystems (guest-fsfreeze-freeze: GenericError: failed to freeze /mnt/data: Input/output error); the filesystems it had frozen were thawed again",
    );
    expect(commands(agent)).toEqual([
      'guest-fsfreeze-freeze',
      'guest-fsfreeze-status',
      'guest-fsfreeze-thaw',
    ]);
    expect(fake.state).toEqual({ frozen: false, thawsSent: 1 });
  });

  it('an agent that cleaned up by itself is not thawed again (the thaw hook would run once more)', async () => {
    const fake = partialFreezer({ cleansUp: true });
    agent = await startFakeAgent(fake.script);
    const err = (await freezeWith(agent)) as FsFreezeFailedError;
    expect(err.mayBeFrozen).toBe(false);
    expect(err.message).toMatch(/Input\/output error\); the agent left nothing frozen$/);
    expect(commands(agent)).toEqual(['guest-fsfreeze-freeze', 'guest-fsfreeze-status']);
    expect(fake.state.thawsSent).toBe(0);
  });

  it('a thaw that fails too: the guest may be frozen, and both failures are told', async () => {
    const fake = partialFreezer({ thaw: 'fail' });
    agent = await startFakeAgent(fake.script);
    const err = (await freezeWith(agent)) as FsFreezeFailedError;
    expect(err.mayBeFrozen).toBe(true);
    expect(err.message).toContain('failed to freeze /mnt/data: Input/output error');
    expect(err.message).toContain('thawing the filesystems it froze failed too');
    expect(err.message).toContain('failed to thaw /: Device or resource busy');
    expect(fake.state).toEqual({ frozen: true, thawsSent: 1 });
  });

  it('a freeze that goes unanswered is not followed by questions; the guest may be frozen', async () => {
    agent = await startFakeAgent((req, peer) =>
      req.execute === 'guest-fsfreeze-freeze' ? undefined : politeAgent(req, peer),
    );
    const err = (await freezeWith(agent, 200)) as FsFreezeFailedError;
    expect(err).toBeInstanceOf(FsFreezeFailedError);
    expect(err.mayBeFrozen).toBe(true);
    expect(err.message).toMatch(
      /^freezing the guest's filesystems failed: .*no answer to guest-fsfreeze-freeze/,
    );
    expect(commands(agent)).toEqual(['guest-fsfreeze-freeze']);
  });
});
