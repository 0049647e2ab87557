import { checkLease, checkLeases, dhcpAnswer, omittedOptions, type DhcpLease } from './lease';
import {
  decodeDhcp,
  DhcpMessageType,
  DhcpOptionCode,
  encodeDhcp,
  getOption,
  messageType,
  type DhcpMessage,
} from './packet';

const MAC = '52:54:00:12:34:56';

const lease: DhcpLease = {
  mac: MAC,
  ip: '10.0.2.2',
  prefixLength: 24,
  router: '10.0.2.1',
  dns: ['10.96.0.10', 'fd00::10'],
  searchDomains: ['default.svc.cluster.local', 'svc.cluster.local'],
  domainName: 'default.svc.cluster.local',
  hostname: 'vm1',
  mtu: 1450,
  serverId: '10.0.2.1',
  routes: [
    { destination: '0.0.0.0', prefixLength: 0, gateway: '10.0.2.1' },
    { destination: '10.96.0.0', prefixLength: 12, gateway: '10.0.2.1' },
  ],
};

function request(type: number, extra: Partial<DhcpMessage> = {}, options: DhcpMessage['options'] = []) {
  const msg: DhcpMessage = {
    op: 1,
    htype: 1,
    hlen: 6,
    hops: 1,
    xid: 0xcafe0001,
    secs: 5,
    flags: 0x8000,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: MAC,
    options: [{ code: DhcpOptionCode.MESSAGE_TYPE, data: Buffer.from([type]) }, ...options],
    ...extra,
  };
  return msg;
}

const ip = (s: string) => Buffer.from(s.split('.').map(Number));
const requested = (s: string) => ({ code: DhcpOptionCode.REQUESTED_IP, data: ip(s) });
const server = (s: string) => ({ code: DhcpOptionCode.SERVER_ID, data: ip(s) });

/** Label-encoded "default.svc.cluster.local" then "svc.cluster.local", no compression. */
const SEARCH_119 = [
  7, ...Buffer.from('default'), 3, ...Buffer.from('svc'), 7, ...Buffer.from('cluster'), 5, ...Buffer.from('local'), 0,
  3, ...Buffer.from('svc'), 7, ...Buffer.from('cluster'), 5, ...Buffer.from('local'), 0,
]; // prettier-ignore

/** 0.0.0.0/0 via 10.0.2.1, 10.96.0.0/12 via 10.0.2.1. */
const ROUTES_121 = [0, 10, 0, 2, 1, 12, 10, 96, 10, 0, 2, 1];

describe('dhcpAnswer', () => {
  it('OFFERs the lease to a DISCOVER with every configured option, byte for byte', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.DISCOVER), [lease]);
    expect(reply).toBeDefined();
    const { options, ...head } = reply!;
    expect(head).toEqual({
      op: 2,
      htype: 1,
      hlen: 6,
      hops: 0,
      xid: 0xcafe0001,
      secs: 0,
      flags: 0x8000,
      ciaddr: '0.0.0.0',
      yiaddr: '10.0.2.2',
      siaddr: '0.0.0.0',
      giaddr: '0.0.0.0',
      chaddr: MAC,
    });
    expect(options.map((o) => [o.code, [...o.data]])).toEqual([
      [53, [DhcpMessageType.OFFER]],
      [54, [10, 0, 2, 1]],
      [51, [0xff, 0xff, 0xff, 0xff]],
      [1, [255, 255, 255, 0]],
      [3, [10, 0, 2, 1]],
      [6, [10, 96, 0, 10]],
      [15, [...Buffer.from('default.svc.cluster.local')]],
      [12, [...Buffer.from('vm1')]],
      [26, [0x05, 0xaa]],
      [119, SEARCH_119],
      [121, ROUTES_121],
    ]);
  });

  it('adds the default route via the router to option 121 when the routes lack one', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.DISCOVER), [
      { ...lease, routes: [{ destination: '10.96.0.0', prefixLength: 12, gateway: '10.0.2.1' }] },
    ]);
    expect([...getOption(reply!, 121)!]).toEqual(ROUTES_121);
  });

  it('leaves out options that are not configured, and sends 58/59 for a finite lease', () => {
    const minimal: DhcpLease = {
      mac: MAC,
      ip: '192.168.1.5',
      prefixLength: 32,
      dns: ['fd00::1'],
      searchDomains: [],
      serverId: '169.254.1.1',
      leaseSeconds: 3600,
    };
    const reply = dhcpAnswer(request(DhcpMessageType.DISCOVER), new Map([[MAC, minimal]]))!;
    expect(reply.options.map((o) => [o.code, [...o.data]])).toEqual([
      [53, [2]],
      [54, [169, 254, 1, 1]],
      [51, [0, 0, 0x0e, 0x10]],
      [58, [0, 0, 0x07, 0x08]],
      [59, [0, 0, 0x0c, 0x4e]],
      [1, [255, 255, 255, 255]],
    ]);
  });

  it('ACKs a REQUEST for the lease address naming this server', () => {
    const reply = dhcpAnswer(
      request(DhcpMessageType.REQUEST, {}, [requested('10.0.2.2'), server('10.0.2.1')]),
      [lease],
    )!;
    expect(messageType(reply)).toBe(DhcpMessageType.ACK);
    expect(reply.yiaddr).toBe('10.0.2.2');
    expect([...getOption(reply, 121)!]).toEqual(ROUTES_121);
  });

  it('ACKs a renewal that gives its address in ciaddr', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.REQUEST, { ciaddr: '10.0.2.2', flags: 0 }), [lease])!;
    expect(messageType(reply)).toBe(DhcpMessageType.ACK);
    expect(reply.ciaddr).toBe('10.0.2.2');
    expect(reply.yiaddr).toBe('10.0.2.2');
  });

  it('NAKs a REQUEST for another address (INIT-REBOOT, no server id)', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.REQUEST, {}, [requested('10.0.2.99')]), [lease])!;
    expect(messageType(reply)).toBe(DhcpMessageType.NAK);
    expect(reply.yiaddr).toBe('0.0.0.0');
    expect(reply.options.map((o) => o.code)).toEqual([53, 54, 56]);
    expect(getOption(reply, 56)!.toString()).toContain('10.0.2.99');
  });

  it('NAKs a REQUEST to this server for an address that is not the lease', () => {
    const reply = dhcpAnswer(
      request(DhcpMessageType.REQUEST, {}, [requested('10.0.2.3'), server('10.0.2.1')]),
      [lease],
    )!;
    expect(messageType(reply)).toBe(DhcpMessageType.NAK);
  });

  it('stays silent to a REQUEST that chose another server', () => {
    expect(
      dhcpAnswer(request(DhcpMessageType.REQUEST, {}, [requested('10.0.2.2'), server('10.0.2.254')]), [
        lease,
      ]),
    ).toBeUndefined();
  });

  it('stays silent to a MAC it has no lease for', () => {
    expect(
      dhcpAnswer(request(DhcpMessageType.DISCOVER, { chaddr: '52:54:00:00:00:01' }), [lease]),
    ).toBeUndefined();
  });

  it('matches the MAC whatever the case of the table', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.DISCOVER), [{ ...lease, mac: MAC.toUpperCase() }]);
    expect(reply?.yiaddr).toBe('10.0.2.2');
  });

  it('answers INFORM with an ACK without address or lease time', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.INFORM, { ciaddr: '10.0.2.2' }), [lease])!;
    expect(messageType(reply)).toBe(DhcpMessageType.ACK);
    expect(reply.yiaddr).toBe('0.0.0.0');
    expect(reply.ciaddr).toBe('10.0.2.2');
    expect(getOption(reply, 51)).toBeUndefined();
    expect([...getOption(reply, 1)!]).toEqual([255, 255, 255, 0]);
  });

  it.each([
    ['RELEASE', DhcpMessageType.RELEASE],
    ['DECLINE', DhcpMessageType.DECLINE],
  ])('does not answer %s', (_name, type) => {
    expect(dhcpAnswer(request(type, { ciaddr: '10.0.2.2' }), [lease])).toBeUndefined();
  });

  it('answers only Ethernet BOOTREQUESTs', () => {
    expect(dhcpAnswer(request(DhcpMessageType.DISCOVER, { op: 2 }), [lease])).toBeUndefined();
    expect(dhcpAnswer(request(DhcpMessageType.DISCOVER, { htype: 6 }), [lease])).toBeUndefined();
    expect(dhcpAnswer(request(DhcpMessageType.DISCOVER, { options: [] }), [lease])).toBeUndefined();
  });
});

describe('checkLease', () => {
  it('accepts a sound lease', () => {
    expect(checkLease(lease)).toEqual([]);
    expect(checkLeases([lease])).toEqual([]);
  });

  it('names each bad field and its value', () => {
    const problems = checkLease({
      ...lease,
      mac: '52:54:00:12:34',
      ip: '10.0.2.256',
      prefixLength: 33,
      router: 'gateway',
      mtu: 67,
      hostname: 'x'.repeat(64),
      searchDomains: ['ok.local', 'bad_label.local', 'a..b'],
      dns: ['10.0.0.1', 'not-an-ip'],
      routes: [{ destination: '10.96.0.1', prefixLength: 12, gateway: '10.0.2.1' }],
    });
    const expected = [
      /mac "52:54:00:12:34" is not a MAC address/,
      /ip "10.0.2.256" is not a dotted-quad IPv4 address/,
      /prefixLength 33 is not an integer from 0 to 32/,
      /router "gateway" is not a dotted-quad/,
      /dns\[1\] "not-an-ip" is not an IP address/,
      /searchDomains\[1\] "bad_label.local" has the label "bad_label"/,
      /searchDomains\[2\] "a..b" has the label "".*may not be empty/,
      /hostname "x{64}" has a label of 64 characters, more than 63/,
      /mtu 67 is not an integer from 68 to 65535/,
      /routes\[0\].destination "10.96.0.1\/12" has bits set past its prefix length/,
    ];
    for (const re of expected) expect(problems).toContainEqual(expect.stringMatching(re));
    expect(problems).toHaveLength(expected.length);
  });

  it('refuses a multicast MAC and duplicate MACs or addresses in a table', () => {
    expect(checkLease({ ...lease, mac: '01:00:5e:00:00:01' })).toEqual([
      expect.stringMatching(/is a multicast address/),
    ]);
    expect(checkLeases([lease, { ...lease, mac: MAC.toUpperCase() }])).toEqual([
      expect.stringMatching(/same mac "52:54:00:12:34:56"/),
      expect.stringMatching(/same ip "10.0.2.2"/),
    ]);
  });
});

describe("KubeVirt's dhcpOptions in the answers", () => {
  const withOptions: DhcpLease = {
    ...lease,
    tftpServerName: 'tftp.example.com',
    bootFileName: 'pxelinux.0',
    ntpServers: ['192.0.2.1', '192.0.2.2'],
    privateOptions: [
      { option: 240, value: 'extra' },
      { option: 254, value: '' },
    ],
  };
  const PRL = (...codes: number[]) => ({
    code: DhcpOptionCode.PARAMETER_REQUEST_LIST,
    data: Buffer.from(codes),
  });

  it('OFFER, ACK and the INFORM answer carry 42, 66, 67 and the private options, though option 55 asks for none of them', () => {
    const discover = request(DhcpMessageType.DISCOVER, {}, [PRL(1, 3, 6)]);
    const ack = request(DhcpMessageType.REQUEST, {}, [requested('10.0.2.2'), PRL(1, 3, 6)]);
    const inform = request(DhcpMessageType.INFORM, { ciaddr: '10.0.2.2' }, [PRL(1)]);
    for (const req of [discover, ack, inform]) {
      const reply = dhcpAnswer(req, [withOptions])!;
      expect([DhcpMessageType.OFFER, DhcpMessageType.ACK]).toContain(messageType(reply));
      expect([...getOption(reply, 42)!]).toEqual([192, 0, 2, 1, 192, 0, 2, 2]);
      expect(getOption(reply, 66)!.toString()).toBe('tftp.example.com');
      expect(getOption(reply, 67)!.toString()).toBe('pxelinux.0');
      expect(getOption(reply, 240)!.toString()).toBe('extra');
      // An empty value is a zero-length option, as KubeVirt sends it.
      expect(getOption(reply, 254)).toEqual(Buffer.alloc(0));
      // They survive the codec.
      expect(getOption(decodeDhcp(encodeDhcp(reply)), 66)!.toString()).toBe('tftp.example.com');
    }
  });

  it('sends nothing extra for empty names and lists, and none of it in a NAK', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.DISCOVER), [
      { ...lease, tftpServerName: '', bootFileName: '', ntpServers: [], privateOptions: [] },
    ])!;
    for (const code of [42, 66, 67]) expect(getOption(reply, code)).toBeUndefined();
    const nak = dhcpAnswer(request(DhcpMessageType.REQUEST, {}, [requested('10.0.2.9')]), [withOptions])!;
    expect(messageType(nak)).toBe(DhcpMessageType.NAK);
    for (const code of [42, 66, 67, 240]) expect(getOption(nak, code)).toBeUndefined();
  });

  it('text is sent as UTF-8 bytes', () => {
    const reply = dhcpAnswer(request(DhcpMessageType.DISCOVER), [{ ...lease, bootFileName: 'bööt' }])!;
    expect(getOption(reply, 67)).toEqual(Buffer.from('bööt', 'utf8'));
  });

  it('checkLease refuses bad NTP servers, private codes out of range or repeated, and values past 255 bytes', () => {
    const problems = checkLease({
      ...lease,
      tftpServerName: 't'.repeat(256),
      bootFileName: 'é'.repeat(128),
      ntpServers: ['192.0.2.1', 'ntp.example.com', ...Array(63).fill('192.0.2.3')],
      privateOptions: [
        { option: 240, value: 'a' },
        { option: 223, value: 'b' },
        { option: 240, value: 'c' },
        { option: 250, value: 'x'.repeat(300) },
      ],
    });
    const expected = [
      /tftpServerName "t+" is 256 bytes long; a DHCP option carries at most 255/,
      /bootFileName "é+" is 256 bytes long/,
      /ntpServers\[1\] "ntp.example.com" is not a dotted-quad IPv4 address/,
      /ntpServers 65 addresses are more than option 42 holds \(at most 63\)/,
      /privateOptions\[1\].option 223 is not a private-use code from 224 to 254/,
      /privateOptions\[2\].option 240 repeats privateOptions\[0\]/,
      /privateOptions\[3\].value "x+" is 300 bytes long/,
    ];
    for (const re of expected) expect(problems).toContainEqual(expect.stringMatching(re));
    expect(problems).toHaveLength(expected.length);
    expect(checkLease(withOptions)).toEqual([]);
  });

  it("never outgrows the client's maximum message size: dhcpOptions that do not fit are left out, each tried in turn", () => {
    const big: DhcpLease = {
      ...lease,
      ntpServers: ['192.0.2.1'],
      privateOptions: [
        { option: 240, value: 'a'.repeat(150) },
        { option: 241, value: 'b'.repeat(150) },
        { option: 242, value: 'small' },
      ],
    };
    const discover = request(DhcpMessageType.DISCOVER);
    const reply = dhcpAnswer(discover, [big])!;
    // 576 bytes with the IP and UDP headers leave 307 for options: the lease's own take 131, then
    // 42 (6), 240 (152) and 242 (7) fit and 241 (152) does not.
    expect(encodeDhcp(reply).length + 28).toBeLessThanOrEqual(576);
    expect(getOption(reply, 42)).toBeDefined();
    expect(getOption(reply, 242)!.toString()).toBe('small');
    expect(omittedOptions(reply, big)).toEqual([241]);
    // A client that takes 1500 bytes (option 57) gets them all.
    const size = Buffer.alloc(2);
    size.writeUInt16BE(1500);
    const roomy = dhcpAnswer(request(DhcpMessageType.DISCOVER, {}, [{ code: 57, data: size }]), [big])!;
    expect(omittedOptions(roomy, big)).toEqual([]);
    expect(getOption(roomy, 241)!.length).toBe(150);
    // Option 57 below 576 counts as 576.
    size.writeUInt16BE(300);
    const tiny = dhcpAnswer(request(DhcpMessageType.DISCOVER, {}, [{ code: 57, data: size }]), [big])!;
    expect(omittedOptions(tiny, big)).toEqual([241]);
  });
});
