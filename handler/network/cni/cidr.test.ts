import { cidrContains, cidrsOverlap, parseCidr, type Cidr } from './cidr';

const c = (t: string) => parseCidr(t) as Cidr;

describe('prefixes', () => {
  it('parses IPv4 and IPv6 prefixes and says what is wrong with others', () => {
    expect(parseCidr('10.244.0.0/24')).toEqual({
      address: '10.244.0.0',
      prefix: 24,
      family: 'ipv4',
      text: '10.244.0.0/24',
    });
    expect(parseCidr('fd00::/64')).toMatchObject({ family: 'ipv6', prefix: 64 });
    expect(parseCidr('10.244.0.0')).toMatch(/not in CIDR notation/);
    expect(parseCidr('10.244.0.0/33')).toMatch(/more than 32/);
    expect(parseCidr('host/24')).toMatch(/not an IP address/);
  });

  it('knows containment and overlap, nested either way, and families apart', () => {
    expect(cidrContains(c('10.244.0.0/24'), '10.244.0.9')).toBe(true);
    expect(cidrContains(c('10.244.0.0/24'), '10.244.1.9')).toBe(false);
    expect(cidrsOverlap(c('10.244.0.0/24'), c('10.0.0.0/8'))).toBe(true);
    expect(cidrsOverlap(c('10.0.0.0/8'), c('10.244.0.5/30'))).toBe(true);
    expect(cidrsOverlap(c('10.244.0.0/24'), c('10.244.1.0/24'))).toBe(false);
    expect(cidrsOverlap(c('fd00::/64'), c('fd00::1/128'))).toBe(true);
    expect(cidrsOverlap(c('fd00::/64'), c('10.0.0.0/8'))).toBe(false);
  });
});
