import {
  clientHostname,
  decodeDhcp,
  DhcpMessageType,
  DhcpOptionCode,
  DhcpPacketError,
  encodeDhcp,
  getOption,
  ipv4ListOption,
  maxMessageSize,
  messageType,
  optionsLength,
  parameterRequestList,
  requestedIp,
  serverId,
  textOption,
  type DhcpMessage,
} from './packet';

/** A DISCOVER laid out byte by byte from RFC 2131's figure 1, without the encoder. */
function handBuiltDiscover(): Buffer {
  const b = Buffer.alloc(236);
  b[0] = 1; // op BOOTREQUEST
  b[1] = 1; // htype Ethernet
  b[2] = 6; // hlen
  b[3] = 0; // hops
  b.set([0xde, 0xad, 0xbe, 0xef], 4); // xid
  b.set([0x00, 0x03], 8); // secs 3
  b.set([0x80, 0x00], 10); // flags: BROADCAST
  // ciaddr, yiaddr, siaddr 0.0.0.0; giaddr 10.0.0.9
  b.set([10, 0, 0, 9], 24);
  b.set([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef], 28); // chaddr
  b.write('ignored-server-name', 44, 'ascii'); // sname
  const options = [
    99, 130, 83, 99, // magic cookie
    53, 1, 1, // DHCPDISCOVER
    0, // a pad
    50, 4, 10, 0, 2, 2, // requested IP
    55, 4, 1, 3, 6, 121, // parameter request list
    12, 5, ...Buffer.from('guest'), // hostname
    255, // end
    0, 0, 0, 0, // trailing pad
  ]; // prettier-ignore
  return Buffer.concat([b, Buffer.from(options)]);
}

const offer: DhcpMessage = {
  op: 2,
  htype: 1,
  hlen: 6,
  hops: 0,
  xid: 0x01020304,
  secs: 0,
  flags: 0x8000,
  ciaddr: '0.0.0.0',
  yiaddr: '10.0.2.2',
  siaddr: '0.0.0.0',
  giaddr: '0.0.0.0',
  chaddr: '52:54:00:ab:cd:ef',
  options: [
    { code: DhcpOptionCode.MESSAGE_TYPE, data: Buffer.from([DhcpMessageType.OFFER]) },
    { code: DhcpOptionCode.SERVER_ID, data: Buffer.from([10, 0, 2, 1]) },
    { code: DhcpOptionCode.SUBNET_MASK, data: Buffer.from([255, 255, 255, 0]) },
  ],
};

describe('decodeDhcp', () => {
  it('reads a hand-built DISCOVER field by field', () => {
    const msg = decodeDhcp(handBuiltDiscover());
    expect(msg).toEqual({
      op: 1,
      htype: 1,
      hlen: 6,
      hops: 0,
      xid: 0xdeadbeef,
      secs: 3,
      flags: 0x8000,
      ciaddr: '0.0.0.0',
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: '10.0.0.9',
      chaddr: '52:54:00:ab:cd:ef',
      options: [
        { code: 53, data: Buffer.from([1]) },
        { code: 50, data: Buffer.from([10, 0, 2, 2]) },
        { code: 55, data: Buffer.from([1, 3, 6, 121]) },
        { code: 12, data: Buffer.from('guest') },
      ],
    });
    expect(messageType(msg)).toBe(DhcpMessageType.DISCOVER);
    expect(requestedIp(msg)).toBe('10.0.2.2');
    expect(serverId(msg)).toBeUndefined();
    expect(parameterRequestList(msg)).toEqual([1, 3, 6, 121]);
    expect(clientHostname(msg)).toBe('guest');
  });

  it('joins split instances of one option (RFC 3396) and accepts a list without END', () => {
    const buf = handBuiltDiscover().subarray(0, 240);
    const withSplit = Buffer.concat([buf, Buffer.from([53, 1, 3, 12, 2, 0x61, 0x62, 12, 1, 0x63])]);
    const msg = decodeDhcp(withSplit);
    expect(clientHostname(msg)).toBe('abc');
    expect(messageType(msg)).toBe(DhcpMessageType.REQUEST);
  });

  const bad: [string, () => Buffer, RegExp][] = [
    ['a packet shorter than the header', () => Buffer.alloc(100), /100 bytes, shorter than the 236-byte/],
    [
      'an op that is neither request nor reply',
      () => {
        const b = handBuiltDiscover();
        b[0] = 7;
        return b;
      },
      /op is 7, neither BOOTREQUEST/,
    ],
    [
      'hlen over 16',
      () => {
        const b = handBuiltDiscover();
        b[2] = 17;
        return b;
      },
      /hlen is 17, more than the 16 bytes/,
    ],
    [
      'a wrong magic cookie',
      () => {
        const b = handBuiltDiscover();
        b[236] = 1;
        return b;
      },
      /magic cookie is 1\.130\.83\.99, not 99\.130\.83\.99/,
    ],
    [
      'an option longer than what remains',
      () => Buffer.concat([handBuiltDiscover().subarray(0, 240), Buffer.from([53, 1, 1, 12, 10, 0x61])]),
      /option 12 is truncated: it claims 10 bytes but only 1 remain.*at byte 243/,
    ],
    [
      'an option without its length byte',
      () => Buffer.concat([handBuiltDiscover().subarray(0, 240), Buffer.from([53, 1, 1, 12])]),
      /option 12 is truncated: the packet ends before its length byte/,
    ],
    [
      'a message type of the wrong length',
      () => Buffer.concat([handBuiltDiscover().subarray(0, 240), Buffer.from([53, 2, 1, 1, 255])]),
      /option 53 \(message type\) has length 2, expected 1/,
    ],
  ];
  it.each(bad)('rejects %s with a DhcpPacketError', (_name, build, message) => {
    let caught: unknown;
    try {
      decodeDhcp(build());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DhcpPacketError);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('encodeDhcp', () => {
  it('round-trips through decodeDhcp', () => {
    expect(decodeDhcp(encodeDhcp(offer))).toEqual(offer);
  });

  it('lays out header, cookie, options and END, padded to 300 bytes', () => {
    const buf = encodeDhcp(offer);
    expect(buf.length).toBe(300);
    expect([...buf.subarray(0, 4)]).toEqual([2, 1, 6, 0]);
    expect(buf.readUInt32BE(4)).toBe(0x01020304);
    expect(buf.readUInt16BE(10)).toBe(0x8000);
    expect([...buf.subarray(16, 20)]).toEqual([10, 0, 2, 2]);
    expect([...buf.subarray(28, 44)]).toEqual([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, ...Array(10).fill(0)]);
    expect(buf.subarray(44, 236).every((b) => b === 0)).toBe(true); // sname and file
    expect([...buf.subarray(236, 240)]).toEqual([99, 130, 83, 99]);
    expect([...buf.subarray(240, 256)]).toEqual([53, 1, 2, 54, 4, 10, 0, 2, 1, 1, 4, 255, 255, 255, 0, 255]);
    expect(buf.subarray(256).every((b) => b === 0)).toBe(true);
  });

  it('splits an option longer than 255 bytes into consecutive instances', () => {
    const long = Buffer.alloc(300, 7);
    const buf = encodeDhcp({ ...offer, options: [{ code: 121, data: long }] });
    expect([buf[240], buf[241]]).toEqual([121, 255]);
    expect([buf[240 + 257], buf[240 + 258]]).toEqual([121, 45]);
    expect(getOption(decodeDhcp(buf), 121)).toEqual(long);
  });

  it('refuses fields it cannot encode', () => {
    expect(() => encodeDhcp({ ...offer, yiaddr: '10.0.2' })).toThrow(/yiaddr "10.0.2" is not a dotted-quad/);
    expect(() => encodeDhcp({ ...offer, chaddr: 'zz:54:00:ab:cd:ef' })).toThrow(DhcpPacketError);
    expect(() => encodeDhcp({ ...offer, options: [{ code: 255, data: Buffer.alloc(1) }] })).toThrow(
      /option code 255/,
    );
  });
});

describe("KubeVirt's dhcpOptions on the wire", () => {
  it('round-trips 42 as 4-byte addresses, 66 and 67 as text, a private option as raw bytes', () => {
    const buf = encodeDhcp({
      ...offer,
      options: [
        { code: DhcpOptionCode.NTP_SERVERS, data: Buffer.from([192, 0, 2, 1, 192, 0, 2, 2]) },
        { code: DhcpOptionCode.TFTP_SERVER_NAME, data: Buffer.from('tftp.example.com') },
        { code: DhcpOptionCode.BOOTFILE_NAME, data: Buffer.from('pxelinux.0') },
        { code: 240, data: Buffer.from('extra é', 'utf8') },
      ],
    });
    // 42, length 8, the two addresses: no text, no separators.
    expect([...buf.subarray(240, 250)]).toEqual([42, 8, 192, 0, 2, 1, 192, 0, 2, 2]);
    // 66, length 16, the name's bytes without a terminating NUL.
    expect([buf[250], buf[251]]).toEqual([66, 16]);
    expect(buf.subarray(252, 268).toString()).toBe('tftp.example.com');
    const back = decodeDhcp(buf);
    expect(ipv4ListOption(back, 42)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(textOption(back, 66)).toBe('tftp.example.com');
    expect(textOption(back, 67)).toBe('pxelinux.0');
    expect(getOption(back, 240)).toEqual(Buffer.from('extra é', 'utf8'));
    expect(textOption(back, 240)).toBe('extra é');
  });

  it('reads a garbled address list as absent', () => {
    const msg = { ...offer, options: [{ code: 42, data: Buffer.from([1, 2, 3]) }] };
    expect(ipv4ListOption(msg, 42)).toBeUndefined();
    expect(ipv4ListOption(offer, 42)).toBeUndefined();
  });

  it('optionsLength counts code and length bytes per instance; maxMessageSize never goes below 576', () => {
    const opts = [
      { code: 53, data: Buffer.from([2]) },
      { code: 240, data: Buffer.alloc(0) },
      { code: 121, data: Buffer.alloc(300) },
    ];
    expect(optionsLength(opts)).toBe(3 + 2 + 304);
    const buf = encodeDhcp({ ...offer, options: opts });
    expect(buf.length).toBe(240 + optionsLength(opts) + 1);
    const size = (n: number) => {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(n);
      return { ...offer, options: [{ code: 57, data: b }] };
    };
    expect(maxMessageSize(offer)).toBe(576);
    expect(maxMessageSize(size(1500))).toBe(1500);
    expect(maxMessageSize(size(200))).toBe(576);
  });
});
