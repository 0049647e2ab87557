import { startFakeAgent, politeAgent, type FakeAgent } from './fake-agent.test-helper';
import { GuestAgentMonitor } from './monitor';
import { toGuestInterfaces, toGuestOsInfo, type GuestInfo } from './protocol';

describe('GuestAgentMonitor', () => {
  let agent: FakeAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  it('reports the OS info, host name and time zone of an answering agent', async () => {
    agent = await startFakeAgent();
    const changes: GuestInfo[] = [];
    const m = new GuestAgentMonitor({
      socketPath: agent.socketPath,
      timeoutMs: 500,
      onChange: (i) => changes.push(i),
    });
    const info = await m.poll();
    expect(info).toMatchObject({
      connected: true,
      hostname: 'vm-1',
      timezone: { zone: 'UTC', offsetSeconds: 0 },
      osInfo: {
        id: 'testos',
        name: 'Test OS',
        prettyName: 'Test OS 1.2',
        version: '1.2 (Tiny)',
        versionId: '1.2',
        kernelRelease: '6.1.0-test',
        kernelVersion: '#1 SMP',
        machine: 'x86_64',
      },
    });
    expect(m.info()).toBe(info);
    expect(changes).toHaveLength(1);
    // A second identical answer is no change.
    await m.poll();
    expect(changes).toHaveLength(1);
    // One connection per poll, closed afterwards.
    expect(agent.peers).toHaveLength(2);
  });

  it("keeps the guest's network interfaces from guest-network-get-interfaces", async () => {
    agent = await startFakeAgent();
    const m = new GuestAgentMonitor({ socketPath: agent.socketPath, timeoutMs: 500 });
    const info = await m.poll();
    expect(agent.peers[0]!.received.map((r) => r.execute)).toContain('guest-network-get-interfaces');
    expect(info.interfaces).toEqual([
      {
        name: 'lo',
        mac: '00:00:00:00:00:00',
        ipAddresses: [{ type: 'ipv4', address: '127.0.0.1', prefix: 8 }],
      },
      {
        name: 'eth0',
        mac: '02:ab:cd:00:00:01',
        ipAddresses: [
          { type: 'ipv4', address: '10.0.2.2', prefix: 24 },
          { type: 'ipv6', address: 'fe80::ab:cdff:fe00:1', prefix: 64 },
        ],
      },
    ]);
  });

  it('reports a change when only the guest addresses changed', async () => {
    let address = '10.0.2.2';
    agent = await startFakeAgent((req, peer) =>
      req.execute === 'guest-network-get-interfaces'
        ? peer.reply([
            {
              name: 'eth0',
              'hardware-address': '02:ab:cd:00:00:01',
              'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': address, prefix: 24 }],
            },
          ])
        : politeAgent(req, peer),
    );
    const changes: GuestInfo[] = [];
    const m = new GuestAgentMonitor({
      socketPath: agent.socketPath,
      timeoutMs: 500,
      onChange: (i) => changes.push(i),
    });
    await m.poll();
    await m.poll();
    expect(changes).toHaveLength(1);
    address = '10.0.2.3';
    await m.poll();
    expect(changes).toHaveLength(2);
    expect(changes[1]!.interfaces?.[0]?.ipAddresses[0]?.address).toBe('10.0.2.3');
  });

  it('stays connected, without interfaces, when the agent lacks guest-network-get-interfaces', async () => {
    agent = await startFakeAgent((req, peer) =>
      req.execute === 'guest-network-get-interfaces'
        ? peer.fail('CommandNotFound', 'disabled')
        : politeAgent(req, peer),
    );
    const m = new GuestAgentMonitor({ socketPath: agent.socketPath, timeoutMs: 500 });
    const info = await m.poll();
    expect(info.connected).toBe(true);
    expect(info.interfaces).toBeUndefined();
  });

  it('stays connected when the agent lacks host name and time zone', async () => {
    agent = await startFakeAgent((req, peer) =>
      req.execute === 'guest-get-host-name' || req.execute === 'guest-get-timezone'
        ? peer.fail('CommandNotFound', 'disabled')
        : politeAgent(req, peer),
    );
    const m = new GuestAgentMonitor({ socketPath: agent.socketPath, timeoutMs: 500 });
    const info = await m.poll();
    expect(info.connected).toBe(true);
    expect(info.hostname).toBeUndefined();
    expect(info.timezone).toBeUndefined();
  });

  it('answers connected: false when nothing answers, and flips when the agent goes away', async () => {
    let silent = false;
    agent = await startFakeAgent((req, peer) => {
      if (!silent) politeAgent(req, peer);
    });
    const changes: boolean[] = [];
    const m = new GuestAgentMonitor({
      socketPath: agent.socketPath,
      timeoutMs: 200,
      onChange: (i) => changes.push(i.connected),
    });
    expect(m.info()).toEqual({ connected: false });
    expect((await m.poll()).connected).toBe(true);
    silent = true;
    const gone = await m.poll();
    expect(gone.connected).toBe(false);
    expect(gone.osInfo).toBeUndefined();
    expect(changes).toEqual([true, false]);
  });

  it('answers connected: false when the socket does not exist', async () => {
    const m = new GuestAgentMonitor({ socketPath: '/nonexistent/virtkit/qga.sock', timeoutMs: 200 });
    expect((await m.poll()).connected).toBe(false);
  });

  it('polls on its own after start() and forgets the agent on stop()', async () => {
    agent = await startFakeAgent();
    const seen: boolean[] = [];
    const m = new GuestAgentMonitor({
      socketPath: agent.socketPath,
      timeoutMs: 500,
      onChange: (i) => seen.push(i.connected),
    });
    const connected = new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (m.info().connected) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    m.start();
    await connected;
    m.stop();
    expect(m.info()).toEqual({ connected: false });
    expect(seen).toEqual([true, false]);
  });

  it('does not ask while canAsk() says no, keeping the last answer', async () => {
    agent = await startFakeAgent();
    let may = true;
    const m = new GuestAgentMonitor({
      socketPath: agent.socketPath,
      timeoutMs: 500,
      bootIntervalMs: 10,
      intervalMs: 10,
      canAsk: () => may,
    });
    await m.poll();
    may = false;
    const before = agent.peers.length;
    m.start();
    await new Promise((r) => setTimeout(r, 100));
    m.stop();
    expect(agent.peers.length).toBe(before);
  });

  it('does not ask a question once a freeze that held the client made canAsk() say no', async () => {
    const asked: string[] = [];
    agent = await startFakeAgent((req, peer) => {
      asked.push(req.execute);
      politeAgent(req, peer);
    });
    let frozen = false;
    const m = new GuestAgentMonitor({ socketPath: agent.socketPath, timeoutMs: 500, canAsk: () => !frozen });
    await m.poll();
    expect(m.info().connected).toBe(true);
    asked.length = 0;
    // The freeze holds the one client; the poll, started meanwhile, waits for it.
    let release!: () => void;
    const freeze = m.withClient(
      () =>
        new Promise<void>((resolve) => {
          release = () => {
            frozen = true;
            resolve();
          };
        }),
    );
    const poll = m.poll();
    await new Promise((r) => setTimeout(r, 50));
    release();
    await freeze;
    // A frozen agent refuses the poll's questions: none is asked, the last answer stays.
    const kept = await poll;
    expect(kept.connected).toBe(true);
    expect(kept.interfaces?.map((i) => i.name)).toEqual(['lo', 'eth0']);
    expect(asked).toEqual([]);
    expect(m.info().connected).toBe(true);
  });
});

describe('toGuestOsInfo', () => {
  it('renames QAPI members to KubeVirt names and drops empty ones', () => {
    expect(
      toGuestOsInfo({
        'pretty-name': 'X 1',
        'version-id': '1',
        'variant-id': '',
        'kernel-release': '6.1',
        machine: 'aarch64',
      }),
    ).toEqual({ prettyName: 'X 1', versionId: '1', kernelRelease: '6.1', machine: 'aarch64' });
  });
});

describe('toGuestInterfaces', () => {
  it('drops nameless entries and unusable addresses, lower-cases MACs', () => {
    expect(
      toGuestInterfaces([
        { 'hardware-address': 'aa:bb:cc:dd:ee:ff' },
        {
          name: 'eth1',
          'hardware-address': 'AA:BB:CC:DD:EE:FF',
          'ip-addresses': [
            { 'ip-address-type': 'ipv6', 'ip-address': 'fd00::5' },
            { 'ip-address-type': 'ipx', 'ip-address': 'x' },
            { 'ip-address-type': 'ipv4' },
          ],
        },
        { name: 'tun0' },
      ]),
    ).toEqual([
      { name: 'eth1', mac: 'aa:bb:cc:dd:ee:ff', ipAddresses: [{ type: 'ipv6', address: 'fd00::5' }] },
      { name: 'tun0', ipAddresses: [] },
    ]);
    expect(toGuestInterfaces(undefined)).toEqual([]);
  });
});
