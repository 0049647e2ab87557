import { QgaClient } from './client';
import { politeAgent, startFakeAgent, type FakeAgent } from './fake-agent.test-helper';
import { toGuestFilesystems, toGuestUsers, toSupportedCommands } from './protocol';
import { agentDetails, fsFreeze, fsThaw, guestFilesystems, guestUsers } from './queries';

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
