import * as dgram from 'dgram';
import type { DhcpLease } from './lease';
import {
  decodeDhcp,
  DhcpMessageType,
  DhcpOptionCode,
  encodeDhcp,
  getOption,
  ipv4ListOption,
  messageType,
  textOption,
  type DhcpMessage,
} from './packet';
import { defaultDestination, DhcpServer, DhcpServerError } from './server';

const MAC = '52:54:00:aa:bb:cc';
const lease: DhcpLease = {
  mac: MAC,
  ip: '10.0.2.2',
  prefixLength: 24,
  router: '10.0.2.1',
  dns: ['10.96.0.10'],
  searchDomains: ['cluster.local'],
  serverId: '10.0.2.1',
};

function discover(xid: number, mac = MAC): Buffer {
  return encodeDhcp({
    op: 1,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: mac,
    options: [{ code: DhcpOptionCode.MESSAGE_TYPE, data: Buffer.from([DhcpMessageType.DISCOVER]) }],
  });
}

/** A UDP socket on 127.0.0.1 that plays the guest: collects replies in order. */
async function guestSocket(): Promise<{
  socket: dgram.Socket;
  port: number;
  next: () => Promise<DhcpMessage>;
}> {
  const socket = dgram.createSocket('udp4');
  const queue: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  socket.on('message', (buf) => {
    const w = waiting.shift();
    if (w) w(buf);
    else queue.push(buf);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const next = () =>
    new Promise<Buffer>((resolve) => {
      const b = queue.shift();
      if (b) resolve(b);
      else waiting.push(resolve);
    }).then(decodeDhcp);
  return { socket, port: socket.address().port, next };
}

function send(socket: dgram.Socket, buf: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(buf, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
  );
}

describe('DhcpServer', () => {
  let guest: Awaited<ReturnType<typeof guestSocket>>;
  let server: DhcpServer | undefined;
  const logs: [string, string, object | undefined][] = [];

  beforeEach(async () => {
    logs.length = 0;
    guest = await guestSocket();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await new Promise<void>((resolve) => guest.socket.close(() => resolve()));
  });

  async function startServer(leases: readonly DhcpLease[] = [lease]): Promise<DhcpServer> {
    server = await DhcpServer.start({
      leases,
      bindAddress: '127.0.0.1',
      port: 0,
      log: (level, msg, fields) => logs.push([level, msg, fields]),
      destination: () => ({ address: '127.0.0.1', port: guest.port }),
    });
    return server;
  }

  it('answers a DISCOVER with an OFFER of the lease', async () => {
    const s = await startServer();
    expect(s.port).toBeGreaterThan(0);
    await send(guest.socket, discover(0x1234), s.port);
    const reply = await guest.next();
    expect(messageType(reply)).toBe(DhcpMessageType.OFFER);
    expect(reply.xid).toBe(0x1234);
    expect(reply.yiaddr).toBe('10.0.2.2');
    expect(reply.chaddr).toBe(MAC);
  });

  it("hands out the interface's dhcpOptions over UDP: NTP servers, TFTP server, boot file, private options", async () => {
    const s = await startServer([
      {
        ...lease,
        ntpServers: ['192.0.2.1', '192.0.2.2'],
        tftpServerName: 'tftp.example.com',
        bootFileName: 'pxelinux.0',
        privateOptions: [{ option: 240, value: 'extra' }],
      },
    ]);
    await send(guest.socket, discover(0x4242), s.port);
    const offer = await guest.next();
    expect(messageType(offer)).toBe(DhcpMessageType.OFFER);
    expect(ipv4ListOption(offer, DhcpOptionCode.NTP_SERVERS)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(textOption(offer, DhcpOptionCode.TFTP_SERVER_NAME)).toBe('tftp.example.com');
    expect(textOption(offer, DhcpOptionCode.BOOTFILE_NAME)).toBe('pxelinux.0');
    expect(getOption(offer, 240)).toEqual(Buffer.from('extra'));
  });

  it('warns when dhcpOptions do not fit in the largest message the client takes', async () => {
    const s = await startServer([
      {
        ...lease,
        privateOptions: [
          { option: 240, value: 'a'.repeat(250) },
          { option: 241, value: 'b'.repeat(250) },
        ],
      },
    ]);
    await send(guest.socket, discover(0x77), s.port);
    const offer = await guest.next();
    expect(getOption(offer, 240)).toBeDefined();
    expect(getOption(offer, 241)).toBeUndefined();
    expect(logs).toContainEqual([
      'warn',
      expect.stringMatching(/left out of a reply/),
      { mac: MAC, options: [241], maxMessageSize: 576 },
    ]);
  });

  it('refuses to start with a private option out of range', async () => {
    await expect(
      DhcpServer.start({
        leases: [{ ...lease, privateOptions: [{ option: 100, value: 'x' }] }],
        bindAddress: '127.0.0.1',
        port: 0,
      }),
    ).rejects.toThrow(/privateOptions\[0\]\.option 100 is not a private-use code from 224 to 254/);
  });

  it('drops garbage, logs it, and still answers the next DISCOVER', async () => {
    const s = await startServer();
    await send(guest.socket, Buffer.from('not a dhcp packet'), s.port);
    const truncated = discover(1).subarray(0, 200);
    await send(guest.socket, truncated, s.port);
    // An unknown MAC gets no reply; the known one after it does, so the first reply is for xid 2.
    await send(guest.socket, discover(0x99, '52:54:00:00:00:01'), s.port);
    await send(guest.socket, discover(2), s.port);
    const reply = await guest.next();
    expect(reply.xid).toBe(2);
    const warnings = logs.filter(([level]) => level === 'warn').map(([, , f]) => JSON.stringify(f));
    expect(warnings).toEqual([
      expect.stringMatching(/17 bytes, shorter than the 236-byte BOOTP header/),
      expect.stringMatching(/200 bytes, shorter/),
    ]);
  });

  it('serves the table given to updateLeases and refuses a bad one', async () => {
    const s = await startServer();
    s.updateLeases([{ ...lease, ip: '10.0.2.7' }]);
    expect(() => s.updateLeases([{ ...lease, prefixLength: 40 }])).toThrow(/prefixLength 40/);
    await send(guest.socket, discover(3), s.port);
    expect((await guest.next()).yiaddr).toBe('10.0.2.7');
  });

  it('refuses to start with lease problems', async () => {
    await expect(
      DhcpServer.start({ leases: [{ ...lease, mac: 'nope' }], bindAddress: '127.0.0.1', port: 0 }),
    ).rejects.toThrow(/refusing to start: lease "nope": mac "nope" is not a MAC address/);
  });

  it('rejects with a DhcpServerError naming address and port when the bind fails', async () => {
    const err = await DhcpServer.start({ leases: [lease], bindAddress: '192.0.2.1', port: 6767 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DhcpServerError);
    expect((err as DhcpServerError).message).toMatch(/192\.0\.2\.1:6767/);
    expect((err as DhcpServerError).code).toBe('EADDRNOTAVAIL');
  });

  it('close resolves and can be called twice', async () => {
    const s = await startServer();
    await s.close();
    await s.close();
  });
});

describe('defaultDestination', () => {
  const reply = (type: number, extra: Partial<DhcpMessage> = {}): DhcpMessage => ({
    ...decodeDhcp(discover(1)),
    op: 2,
    options: [{ code: DhcpOptionCode.MESSAGE_TYPE, data: Buffer.from([type]) }],
    ...extra,
  });

  it('unicasts to the offered address on port 68', () => {
    expect(defaultDestination(reply(DhcpMessageType.OFFER, { yiaddr: '10.0.2.2' }), lease)).toEqual({
      address: '10.0.2.2',
      port: 68,
    });
  });

  it('broadcasts a NAK, answers INFORM at ciaddr, and a relayed request to the relay', () => {
    expect(defaultDestination(reply(DhcpMessageType.NAK), lease)).toEqual({
      address: '255.255.255.255',
      port: 68,
    });
    expect(defaultDestination(reply(DhcpMessageType.ACK, { ciaddr: '10.0.2.2' }), lease)).toEqual({
      address: '10.0.2.2',
      port: 68,
    });
    expect(
      defaultDestination(reply(DhcpMessageType.OFFER, { giaddr: '10.1.0.1', yiaddr: '10.0.2.2' })),
    ).toEqual({ address: '10.1.0.1', port: 67 });
  });
});
