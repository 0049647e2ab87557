import type { IP, IPPool, Subnet } from '../v1';
import { allocateAddress, ipPoolV4Usage, type AllocationRequest } from './allocate';
import { KubeOvnAddressError } from './errors';
import { addressScope, poolRequestOf, poolV4Ranges, type ScopeRequest } from './pools';
import { selectSubnet } from './select';

const subnet = (name: string, spec: NonNullable<Subnet['spec']>): Subnet => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'Subnet',
  metadata: { name },
  spec,
});
const WEB = subnet('web', {
  cidrBlock: '10.16.0.0/24',
  gateway: '10.16.0.1',
  excludeIps: ['10.16.0.102'],
  namespaces: ['shop', 'blog'],
});
const DB = subnet('db', { cidrBlock: '10.17.0.0/24' });

const pool = (
  name: string,
  ips: string[],
  opts: { subnet?: string; namespaces?: string[] } = {},
): IPPool => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IPPool',
  metadata: { name },
  spec: { subnet: opts.subnet ?? 'web', ips, ...(opts.namespaces ? { namespaces: opts.namespaces } : {}) },
});
const held = (name: string, address: string, sub = 'web'): IP => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  metadata: { name },
  spec: {
    subnet: sub,
    v4IpAddress: address,
    macAddress: `00:00:00:00:01:${name.length.toString(16).padStart(2, '0')}`,
  },
});

const SHOP = pool('shop-pool', ['10.16.0.100..10.16.0.103', '10.16.0.200/31'], { namespaces: ['shop'] });
const SPARE = pool('spare', ['10.16.0.2', '10.16.0.3']);
const POOLS = [SHOP, SPARE, pool('db-pool', ['10.17.0.50..10.17.0.60'], { subnet: 'db' })];

function allocate(
  namespace: string,
  annotations: Record<string, string> = {},
  ips: IP[] = [],
  over: Partial<AllocationRequest> = {},
): string {
  const sel = { provider: 'ovn', annotations, namespace, subnets: [WEB, DB], pools: POOLS };
  const s = selectSubnet(sel);
  if (!s) throw new Error('no subnet');
  const scope = addressScope({ ...sel, subnet: s } as ScopeRequest);
  return allocateAddress({
    subnet: s,
    ipName: 'vm1.' + namespace,
    ipField: 'annotation ovn.kubernetes.io/ip_address',
    macField: 'annotation ovn.kubernetes.io/mac_address',
    requestedIp: annotations['ovn.kubernetes.io/ip_address'],
    ips,
    scope,
    randomMac: () => '00:00:00:00:00:01',
    ...over,
  }).ip;
}

function failure(f: () => unknown): KubeOvnAddressError {
  try {
    f();
  } catch (e) {
    if (e instanceof KubeOvnAddressError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('Kube-OVN IP pools', () => {
  it("reads a pool's entries (address, CIDR, range) as sorted IPv4 ranges, skipping IPv6 and malformed ones", () => {
    expect(
      poolV4Ranges(pool('p', ['10.0.0.9', '10.0.0.0/30', '10.0.0.20..10.0.0.22', 'fd00::1', 'bad'])),
    ).toEqual([
      [0x0a000000n, 0x0a000003n],
      [0x0a000009n, 0x0a000009n],
      [0x0a000014n, 0x0a000016n],
    ]);
  });

  it('reads ip_pool as a pool name or an address list, and refuses anything else', () => {
    expect(poolRequestOf('ovn', { 'ovn.kubernetes.io/ip_pool': ' shop-pool ' })).toMatchObject({
      kind: 'pool',
      name: 'shop-pool',
    });
    expect(
      poolRequestOf('ovn', { 'ovn.kubernetes.io/ip_pool': '10.16.0.5, 10.16.0.6;fd00::1' }),
    ).toMatchObject({
      kind: 'list',
      addresses: ['10.16.0.5', '10.16.0.6', 'fd00::1'],
    });
    expect(poolRequestOf('blue.ns.ovn', { 'ovn.kubernetes.io/ip_pool': 'x' })).toBeUndefined();
    const e = failure(() => poolRequestOf('ovn', { 'ovn.kubernetes.io/ip_pool': 'a,b' }));
    expect(e.reason).toBe('InvalidAddress');
    expect(e.message).toMatch(
      /annotation ovn\.kubernetes\.io\/ip_pool is "a,b"; write the name of one IPPool/,
    );
  });

  it("a namespace bound to a pool takes only the pool's addresses, skipping the subnet's excluded ones", () => {
    expect(allocate('shop')).toBe('10.16.0.100');
    expect(allocate('shop', {}, [held('a', '10.16.0.100'), held('b', '10.16.0.101')])).toBe('10.16.0.103');
    const full = [held('a', '10.16.0.100'), held('b', '10.16.0.101'), held('c', '10.16.0.103')];
    expect(allocate('shop', {}, full)).toBe('10.16.0.200');
    full.push(held('d', '10.16.0.200'), held('e', '10.16.0.201'));
    const e = failure(() => allocate('shop', {}, full));
    expect(e.reason).toBe('NoAvailableAddress');
    expect(e.message).toContain(
      'IPPool shop-pool (bound to namespace shop) has no free address of Subnet web',
    );
    expect(e.message).toContain('10.16.0.100-10.16.0.103, 10.16.0.200-10.16.0.201');
  });

  it("another namespace of the subnet never gets a pool's address automatically", () => {
    // .2 and .3 are the spare pool's; .100-.103 and .200-.201 the shop pool's.
    expect(allocate('blog')).toBe('10.16.0.4');
    const tiny = subnet('web', { cidrBlock: '10.16.0.0/29', gateway: '10.16.0.1', namespaces: ['blog'] });
    const taken = [held('a', '10.16.0.4'), held('b', '10.16.0.5'), held('c', '10.16.0.6')];
    const e = failure(() => allocate('blog', {}, taken, { subnet: tiny }));
    expect(e.reason).toBe('NoAvailableAddress');
    expect(e.message).toContain('IPPools 10.16.0.2, 10.16.0.3, 10.16.0.100-10.16.0.103');
    // A fixed address is not limited by pools.
    expect(allocate('blog', { 'ovn.kubernetes.io/ip_address': '10.16.0.2' })).toBe('10.16.0.2');
  });

  it('ip_pool naming a pool picks its Subnet and only its addresses; naming a pool of another Subnet is refused', () => {
    expect(allocate('blog', { 'ovn.kubernetes.io/ip_pool': 'db-pool' })).toBe('10.17.0.50');
    expect(allocate('shop', { 'ovn.kubernetes.io/ip_pool': 'spare' })).toBe('10.16.0.2');
    const missing = failure(() => allocate('blog', { 'ovn.kubernetes.io/ip_pool': 'gone' }));
    expect(missing.reason).toBe('IPPoolNotFound');
    const other = failure(() =>
      allocate('blog', { 'ovn.kubernetes.io/ip_pool': 'db-pool', 'ovn.kubernetes.io/logical_switch': 'web' }),
    );
    expect(other.reason).toBe('IPPoolMismatch');
    expect(other.message).toContain(
      'names IPPool db-pool of Subnet db, but the interface takes its address from Subnet web',
    );
  });

  it('ip_pool listing addresses takes the first free one in list order, inside the subnet only', () => {
    const list = { 'ovn.kubernetes.io/ip_pool': '10.16.0.50,10.99.0.1,10.16.0.40' };
    expect(allocate('blog', list)).toBe('10.16.0.50');
    expect(allocate('blog', list, [held('a', '10.16.0.50')])).toBe('10.16.0.40');
    const e = failure(() => allocate('blog', list, [held('a', '10.16.0.50'), held('b', '10.16.0.40')]));
    expect(e.reason).toBe('NoAvailableAddress');
    expect(e.message).toContain('the addresses of annotation ovn.kubernetes.io/ip_pool has no free address');
  });

  it('a kept address stays while it is in scope, and moves into the pool once its namespace is bound to one', () => {
    const mine = held('vm1.blog', '10.16.0.4');
    expect(allocate('blog', {}, [mine])).toBe('10.16.0.4');
    const kept = held('vm1.shop', '10.16.0.4');
    expect(allocate('shop', {}, [kept])).toBe('10.16.0.100');
  });

  it("counts a pool's addresses in use and free, clipped to the subnet and without its reserved addresses", () => {
    // shop-pool: .100-.103 (.102 excluded) and .200-.201: 5 usable.
    expect(ipPoolV4Usage(SHOP, WEB, [])).toEqual({ using: 0, available: 5 });
    const ips = [
      held('a', '10.16.0.100'),
      held('b', '10.16.0.201'),
      held('c', '10.16.0.5'),
      held('d', '10.16.0.101', 'db'),
    ];
    expect(ipPoolV4Usage(SHOP, WEB, ips)).toEqual({ using: 2, available: 3 });
    // Entries outside the subnet, overlapping entries and the gateway do not count.
    const wide = pool('wide', ['10.16.0.0/30', '10.16.0.2..10.16.0.3', '10.99.0.0/24']);
    expect(ipPoolV4Usage(wide, WEB, [])).toEqual({ using: 0, available: 2 });
  });
});
