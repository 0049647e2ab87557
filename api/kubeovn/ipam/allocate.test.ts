import type { IP, Subnet } from '../v1';
import { allocateAddress, subnetV4Block, subnetV4Usage, type AllocationRequest } from './allocate';
import { KubeOvnAddressError, type KubeOvnAddressReason } from './errors';

function subnet(spec: NonNullable<Subnet['spec']>, name = 'web'): Subnet {
  return { apiVersion: 'kubeovn.io/v1', kind: 'Subnet', metadata: { name }, spec };
}

function ipObject(
  name: string,
  address: string,
  opts: { subnet?: string; mac?: string; legacy?: boolean } = {},
): IP {
  return {
    apiVersion: 'kubeovn.io/v1',
    kind: 'IP',
    metadata: { name },
    spec: {
      subnet: opts.subnet ?? 'web',
      ...(opts.legacy ? { ipAddress: address } : { v4IpAddress: address, ipAddress: address }),
      ...(opts.mac ? { macAddress: opts.mac } : {}),
    },
  };
}

const WEB = subnet({
  cidrBlock: '10.16.0.0/24',
  gateway: '10.16.0.1',
  excludeIps: ['10.16.0.2..10.16.0.4', '10.16.0.7'],
});

function macs(...list: string[]): () => string {
  let i = 0;
  return () => list[Math.min(i++, list.length - 1)];
}

function req(over: Partial<AllocationRequest> = {}): AllocationRequest {
  return {
    subnet: WEB,
    ipName: 'vm1.ns',
    ipField: 'annotation ovn.kubernetes.io/ip_address',
    macField: 'annotation ovn.kubernetes.io/mac_address',
    ips: [],
    randomMac: macs('00:00:00:00:00:01'),
    ...over,
  };
}

function failure(r: AllocationRequest): KubeOvnAddressError {
  try {
    allocateAddress(r);
  } catch (e) {
    if (e instanceof KubeOvnAddressError) return e;
    throw e;
  }
  throw new Error('allocateAddress did not throw');
}

function expectFailure(r: AllocationRequest, reason: KubeOvnAddressReason, ...inMessage: string[]): void {
  const e = failure(r);
  expect(e.reason).toBe(reason);
  expect(e.name).toBe('KubeOvnAddressError');
  for (const m of inMessage) expect(e.message).toContain(m);
}

describe('subnetV4Block', () => {
  test('reads the IPv4 block of a dual-stack subnet, its gateway and excluded ranges', () => {
    const b = subnetV4Block(
      subnet({
        cidrBlock: 'fd00:10:16::/64,10.16.0.5/24',
        gateway: 'fd00:10:16::1,10.16.0.254',
        excludeIps: ['10.16.0.10', ' 10.16.0.20..10.16.0.30 ', 'fd00:10:16::5', 'junk'],
      }),
    );
    expect(b.cidr).toBe('10.16.0.0/24'); // normalized to the network address
    expect(b.prefix).toBe(24);
    expect(b.gateway).toBe(0x0a1000fen);
    expect(b.excluded).toEqual([
      [0x0a10000an, 0x0a10000an],
      [0x0a100014n, 0x0a10001en],
    ]);
  });

  test('the gateway defaults to the first address', () => {
    expect(subnetV4Block(subnet({ cidrBlock: '10.16.0.0/24' })).gateway).toBe(0x0a100001n);
  });

  test.each([
    ['fd00::/64', 'no IPv4 block'],
    ['', 'no IPv4 block'],
    ['10.16.0.0/31', 'no room for pods'],
    ['10.16.0.4/32', 'no room for pods'],
  ])('refuses cidrBlock %j as InvalidSubnet', (cidrBlock, words) => {
    let err: unknown;
    try {
      subnetV4Block(subnet({ cidrBlock }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeOvnAddressError);
    expect((err as KubeOvnAddressError).reason).toBe('InvalidSubnet');
    expect((err as KubeOvnAddressError).message).toContain(words);
  });

  test('an IPv6-only subnet cannot be allocated from', () => {
    expectFailure(req({ subnet: subnet({ cidrBlock: 'fd00::/64' }) }), 'InvalidSubnet', 'Subnet web');
  });
});

describe('allocateAddress: lowest free address', () => {
  test('skips network address, gateway, excluded single addresses and ranges, and taken addresses', () => {
    expect(allocateAddress(req())).toEqual({
      subnet: 'web',
      ip: '10.16.0.5',
      mac: '00:00:00:00:00:01',
      cidr: '10.16.0.0/24',
      gateway: '10.16.0.1',
      prefix: 24,
    });
    const a = allocateAddress(
      req({ ips: [ipObject('a.ns', '10.16.0.5'), ipObject('b.ns', '10.16.0.6', { legacy: true })] }),
    );
    expect(a.ip).toBe('10.16.0.8'); // .7 is excluded
  });

  test('a gateway that is not the first address: the first address is allocatable', () => {
    const s = subnet({ cidrBlock: '10.16.0.0/24', gateway: '10.16.0.254' });
    expect(allocateAddress(req({ subnet: s })).ip).toBe('10.16.0.1');
    expect(allocateAddress(req({ subnet: s })).gateway).toBe('10.16.0.254');
  });

  test("other subnets' IP objects do not take addresses here", () => {
    expect(allocateAddress(req({ ips: [ipObject('x.ns', '10.16.0.5', { subnet: 'other' })] })).ip).toBe(
      '10.16.0.5',
    );
  });

  test('a full subnet is NoAvailableAddress', () => {
    // /29: .1 gateway, .2..6 usable; .7 broadcast.
    const small = subnet({ cidrBlock: '10.16.0.0/29', excludeIps: ['10.16.0.2..10.16.0.3'] });
    const ips = [ipObject('a.ns', '10.16.0.4'), ipObject('b.ns', '10.16.0.5')];
    expect(allocateAddress(req({ subnet: small, ips })).ip).toBe('10.16.0.6');
    expectFailure(
      req({ subnet: small, ips: [...ips, ipObject('c.ns', '10.16.0.6')] }),
      'NoAvailableAddress',
      'Subnet web (10.16.0.0/29) has no free address',
    );
  });

  test('the broadcast address is never given', () => {
    const tiny = subnet({ cidrBlock: '10.16.0.0/30' }); // .1 gateway, .2 usable, .3 broadcast
    expect(allocateAddress(req({ subnet: tiny })).ip).toBe('10.16.0.2');
    expectFailure(req({ subnet: tiny, ips: [ipObject('a.ns', '10.16.0.2')] }), 'NoAvailableAddress');
  });
});

describe('allocateAddress: sticky', () => {
  test('an IP object of the same name keeps its address and MAC', () => {
    const mine = ipObject('vm1.ns', '10.16.0.50', { mac: '00:00:00:ab:cd:ef' });
    const a = allocateAddress(req({ ips: [mine], randomMac: macs('00:00:00:00:00:99') }));
    expect(a.ip).toBe('10.16.0.50');
    expect(a.mac).toBe('00:00:00:ab:cd:ef');
  });

  test('a kept address that became excluded, the gateway, or another subnet is given up for the lowest free', () => {
    const excluded = ipObject('vm1.ns', '10.16.0.7', { mac: '00:00:00:ab:cd:ef' });
    const a = allocateAddress(req({ ips: [excluded] }));
    expect(a.ip).toBe('10.16.0.5');
    expect(a.mac).toBe('00:00:00:ab:cd:ef'); // the MAC stays
    expect(allocateAddress(req({ ips: [ipObject('vm1.ns', '10.16.0.1')] })).ip).toBe('10.16.0.5');
    expect(allocateAddress(req({ ips: [ipObject('vm1.ns', '10.16.0.50', { subnet: 'old' })] })).ip).toBe(
      '10.16.0.5',
    );
    expect(allocateAddress(req({ ips: [ipObject('vm1.ns', '10.17.0.50')] })).ip).toBe('10.16.0.5');
  });

  test('a kept address another IP object also holds is given up', () => {
    const ips = [ipObject('vm1.ns', '10.16.0.50'), ipObject('other.ns', '10.16.0.50')];
    expect(allocateAddress(req({ ips })).ip).toBe('10.16.0.5');
  });

  test('a kept MAC another IP object holds is replaced by a fresh one', () => {
    const ips = [
      ipObject('vm1.ns', '10.16.0.50', { mac: '00:00:00:ab:cd:ef' }),
      ipObject('o.ns', '10.16.0.51', { mac: '00:00:00:AB:CD:EF' }),
    ];
    expect(allocateAddress(req({ ips, randomMac: macs('00:00:00:00:00:02') })).mac).toBe('00:00:00:00:00:02');
  });

  test('a fresh MAC that is in use is drawn again', () => {
    const ips = [ipObject('o.ns', '10.16.0.51', { mac: '00:00:00:00:00:01' })];
    expect(allocateAddress(req({ ips, randomMac: macs('00:00:00:00:00:01', '00:00:00:00:00:02') })).mac).toBe(
      '00:00:00:00:00:02',
    );
  });
});

describe('allocateAddress: a fixed address', () => {
  test('is given when free, even over the kept one', () => {
    const ips = [ipObject('vm1.ns', '10.16.0.50', { mac: '00:00:00:ab:cd:ef' })];
    const a = allocateAddress(req({ ips, requestedIp: ' 10.16.0.9 ' }));
    expect(a.ip).toBe('10.16.0.9');
    expect(a.mac).toBe('00:00:00:ab:cd:ef');
  });

  test('of a dual-stack request, the IPv4 one', () => {
    expect(allocateAddress(req({ requestedIp: 'fd00::9,10.16.0.9' })).ip).toBe('10.16.0.9');
  });

  test('may be the address this interface already holds', () => {
    const ips = [ipObject('vm1.ns', '10.16.0.9')];
    expect(allocateAddress(req({ ips, requestedIp: '10.16.0.9' })).ip).toBe('10.16.0.9');
  });

  test.each(['fd00::9', 'banana', '10.16.0.256', '10.16.0.9/24'])('%j is InvalidAddress', (requestedIp) => {
    expectFailure(
      req({ requestedIp }),
      'InvalidAddress',
      'annotation ovn.kubernetes.io/ip_address',
      'not an IPv4',
    );
  });

  test.each([
    ['10.17.0.9', 'outside'],
    ['10.16.0.0', 'network address'],
    ['10.16.0.255', 'broadcast address'],
  ])('%s (%s) is AddressOutOfRange', (requestedIp) => {
    expectFailure(req({ requestedIp }), 'AddressOutOfRange', requestedIp, '10.16.0.1-10.16.0.254');
  });

  test('the gateway is AddressConflict', () => {
    expectFailure(req({ requestedIp: '10.16.0.1' }), 'AddressConflict', 'gateway');
  });

  test.each(['10.16.0.2', '10.16.0.3', '10.16.0.4', '10.16.0.7'])(
    '%s in excludeIps is AddressExcluded',
    (ip) => {
      expectFailure(req({ requestedIp: ip }), 'AddressExcluded', ip, 'excludeIps', '10.16.0.2..10.16.0.4');
    },
  );

  test('just outside an excluded range is fine', () => {
    expect(allocateAddress(req({ requestedIp: '10.16.0.5' })).ip).toBe('10.16.0.5');
    expect(allocateAddress(req({ requestedIp: '10.16.0.6' })).ip).toBe('10.16.0.6');
  });

  test('held by another IP object is AddressConflict naming it', () => {
    const ips = [ipObject('other.ns', '10.16.0.9')];
    expectFailure(req({ ips, requestedIp: '10.16.0.9' }), 'AddressConflict', 'other.ns');
    // ... also when that IP object only has the legacy ipAddress field
    expectFailure(
      req({ ips: [ipObject('old.ns', '10.16.0.9', { legacy: true })], requestedIp: '10.16.0.9' }),
      'AddressConflict',
      'old.ns',
    );
  });
});

describe('allocateAddress: a fixed MAC', () => {
  test('is normalized to lower case with colons', () => {
    expect(allocateAddress(req({ requestedMac: '02-AB-00-00-00-01' })).mac).toBe('02:ab:00:00:00:01');
  });

  test.each(['02:ab:00:00:00', 'zz:00:00:00:00:00', '0200.0000.0001'])(
    '%j is InvalidAddress',
    (requestedMac) => {
      expectFailure(
        req({ requestedMac }),
        'InvalidAddress',
        'annotation ovn.kubernetes.io/mac_address',
        'not a MAC',
      );
    },
  );

  test('a multicast MAC is InvalidAddress', () => {
    expectFailure(req({ requestedMac: '01:00:5e:00:00:01' }), 'InvalidAddress', 'multicast');
  });

  test('held by another IP object (any case) is AddressConflict', () => {
    const ips = [ipObject('other.ns', '10.16.0.9', { mac: '02:AB:00:00:00:01' })];
    expectFailure(req({ ips, requestedMac: '02:ab:00:00:00:01' }), 'AddressConflict', 'other.ns');
  });

  test('held by this interface is fine', () => {
    const ips = [ipObject('vm1.ns', '10.16.0.9', { mac: '02:ab:00:00:00:01' })];
    expect(allocateAddress(req({ ips, requestedMac: '02:AB:00:00:00:01' })).mac).toBe('02:ab:00:00:00:01');
  });
});

describe('subnetV4Usage', () => {
  test('a fresh /24: 253 usable less the gateway', () => {
    expect(subnetV4Usage(subnet({ cidrBlock: '10.16.0.0/24' }), [])).toEqual({ using: 0, available: 253 });
  });

  test('overlapping and nested excluded ranges count once', () => {
    const s = subnet({
      cidrBlock: '10.16.0.0/24',
      excludeIps: [
        '10.16.0.10..10.16.0.20',
        '10.16.0.15..10.16.0.30',
        '10.16.0.12',
        '10.16.0.25..10.16.0.26',
      ],
    });
    // gateway .1 + .10..30 (21) = 22 reserved
    expect(subnetV4Usage(s, [])).toEqual({ using: 0, available: 254 - 22 });
  });

  test('the gateway inside excludeIps is reserved once, outside it once too', () => {
    const inside = subnet({
      cidrBlock: '10.16.0.0/24',
      gateway: '10.16.0.1',
      excludeIps: ['10.16.0.1..10.16.0.4'],
    });
    expect(subnetV4Usage(inside, [])).toEqual({ using: 0, available: 254 - 4 });
    const outside = subnet({
      cidrBlock: '10.16.0.0/24',
      gateway: '10.16.0.1',
      excludeIps: ['10.16.0.2..10.16.0.4'],
    });
    expect(subnetV4Usage(outside, [])).toEqual({ using: 0, available: 254 - 4 });
    const apart = subnet({
      cidrBlock: '10.16.0.0/24',
      gateway: '10.16.0.254',
      excludeIps: ['10.16.0.2..10.16.0.4'],
    });
    expect(subnetV4Usage(apart, [])).toEqual({ using: 0, available: 254 - 4 });
  });

  test('excluded ranges reaching outside the block are clipped to it', () => {
    const s = subnet({
      cidrBlock: '10.16.0.0/24',
      excludeIps: ['10.15.255.0..10.16.0.3', '10.16.0.250..10.16.1.20'],
    });
    // .1 gateway, .2, .3 and .250..254 = 8 reserved
    expect(subnetV4Usage(s, [])).toEqual({ using: 0, available: 254 - 8 });
  });

  test('allocated addresses: free ones count against available, excluded ones do not twice', () => {
    const ips = [
      ipObject('a.ns', '10.16.0.5'),
      ipObject('b.ns', '10.16.0.6', { legacy: true }),
      ipObject('c.ns', '10.16.0.3'), // excluded (fixed before the exclusion)
      ipObject('d.ns', '10.16.0.5'), // duplicate address: one address
      ipObject('e.ns', '10.16.0.9', { subnet: 'other' }),
    ];
    // reserved: .1, .2..4, .7 = 5; 254 - 5 = 249; .5 and .6 taken
    expect(subnetV4Usage(WEB, ips)).toEqual({ using: 3, available: 247 });
  });

  test('an IP object outside the block is not an address of the subnet', () => {
    const ips = [
      ipObject('a.ns', '10.16.0.5'),
      ipObject('stray.ns', '10.99.0.5'),
      ipObject('net.ns', '10.16.0.0'),
    ];
    expect(subnetV4Usage(WEB, ips)).toEqual({ using: 1, available: 248 });
  });

  test('what allocateAddress gives is what subnetV4Usage counts', () => {
    const small = subnet({
      cidrBlock: '10.16.0.0/28',
      excludeIps: ['10.16.0.2..10.16.0.5', '10.16.0.4..10.16.0.8'],
    });
    const ips: IP[] = [];
    let usage = subnetV4Usage(small, ips);
    expect(usage).toEqual({ using: 0, available: 14 - 8 });
    for (let n = 0; usage.available > 0; n++) {
      const a = allocateAddress(req({ subnet: small, ipName: `vm${n}.ns`, ips }));
      ips.push(ipObject(`vm${n}.ns`, a.ip));
      usage = subnetV4Usage(small, ips);
      expect(usage.using).toBe(n + 1);
    }
    expect(ips.map((i) => i.spec?.v4IpAddress)).toEqual([
      '10.16.0.9',
      '10.16.0.10',
      '10.16.0.11',
      '10.16.0.12',
      '10.16.0.13',
      '10.16.0.14',
    ]);
    expectFailure(req({ subnet: small, ipName: 'late.ns', ips }), 'NoAvailableAddress');
  });
});
