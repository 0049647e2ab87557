import { cidrContains, parseAddress, parseAddressOrRange, parseCidr } from './ip-address';

describe('parseAddress', () => {
  it.each([
    ['10.16.0.1', 4, 0x0a100001n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['fd00::1', 6, (0xfd00n << 112n) | 1n],
    ['::', 6, 0n],
    ['2001:db8:0:0:0:0:0:1', 6, (0x20010db8n << 96n) | 1n],
    ['::ffff:10.0.0.1', 6, (0xffffn << 32n) | 0x0a000001n],
  ])('reads %s', (text, family, value) => {
    expect(parseAddress(text)).toEqual({ family, value });
  });

  it.each([
    '10.16.0',
    '10.16.0.256',
    '010.1.1.1',
    '1.2.3.4.5',
    'fd00:::1',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    'fd00::g',
    'fe80::1%eth0',
    '',
  ])('refuses %s', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('computes the block bounds and membership', () => {
    const cidr = parseCidr('10.16.0.0/16');
    expect(cidr).toMatchObject({ family: 4, prefix: 16, first: 0x0a100000n, last: 0x0a10ffffn });
    expect(cidrContains(cidr!, parseAddress('10.16.255.254')!)).toBe(true);
    expect(cidrContains(cidr!, parseAddress('10.17.0.1')!)).toBe(false);
    expect(cidrContains(cidr!, parseAddress('fd00::1')!)).toBe(false);
    expect(parseCidr('fd00:10:16::/64')).toMatchObject({ family: 6, prefix: 64 });
  });

  it.each(['10.16.0.0', '10.16.0.0/33', 'fd00::/129', '10.16.0.0/a', '10.16.0.0/016'])(
    'refuses %s',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});

describe('parseAddressOrRange', () => {
  it('reads addresses and ranges and explains bad ones', () => {
    expect(parseAddressOrRange('10.0.0.5')).toMatchObject({ kind: 'address' });
    expect(parseAddressOrRange('10.0.0.5..10.0.0.9')).toMatchObject({ kind: 'range' });
    expect(parseAddressOrRange('10.0.0.9..10.0.0.5')).toEqual({
      problem: 'ends before it starts (put the lower address first)',
    });
    expect(parseAddressOrRange('10.0.0.1..fd00::1')).toEqual({ problem: 'mixes IPv4 and IPv6 in one range' });
    expect(parseAddressOrRange('10.0.0.1-10.0.0.5')).toEqual({ problem: 'is not an IP address' });
  });
});
