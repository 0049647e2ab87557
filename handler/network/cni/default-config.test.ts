import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCidr } from './cidr';
import { loadDefaultNetwork } from './conf-dir';
import { DEFAULT_CONFIG_FILE, defaultNetworkConfig, defaultNetworkList } from './default-config';
import { ensureDefaultNetworkConfig } from './default-config-writer';
import { CniConfigError } from './errors';
import { cidrClashes, type HostNetwork } from './host-networks';

const host: HostNetwork[] = [
  { cidr: '192.0.2.2/24', dev: 'eth0', what: 'address' },
  { cidr: '192.0.2.0/24', dev: 'eth0', what: 'route' },
  { cidr: '10.244.0.1/24', dev: 'virtkit0', what: 'address' },
  { cidr: '127.0.0.1/8', dev: 'lo', what: 'address' },
];

describe("virtkit's default network", () => {
  it('is a bridge with gateway, masquerade and host-local IPAM on the pod CIDR, then portmap', () => {
    expect(defaultNetworkConfig({ ipamDataDir: '/var/lib/virtkit/cni/ipam' })).toEqual({
      cniVersion: '1.0.0',
      name: 'virtkit',
      plugins: [
        {
          type: 'bridge',
          bridge: 'virtkit0',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.244.0.0/24' }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: '/var/lib/virtkit/cni/ipam',
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    });
  });

  it('takes another name, bridge, CIDR (IPv6 too) and MTU, and is a valid list', () => {
    const list = defaultNetworkList({
      ipamDataDir: '/d',
      name: 'n2',
      bridge: 'vkbr1',
      podCidr: 'fd00:10::/64',
      mtu: 1400,
    });
    expect(list.name).toBe('n2');
    expect(list.plugins[0]).toMatchObject({
      bridge: 'vkbr1',
      mtu: 1400,
      ipam: { ranges: [[{ subnet: 'fd00:10::/64' }]], routes: [{ dst: '::/0' }] },
    });
  });

  it('gathers every bad option', () => {
    try {
      defaultNetworkConfig({
        ipamDataDir: 'relative',
        bridge: 'a-bridge-name-too-long',
        podCidr: '10.0.0.0/31',
        mtu: 10,
      });
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(CniConfigError);
      expect((e as CniConfigError).problems.map((p) => p.path)).toEqual([
        'podCidr',
        'bridge',
        'ipamDataDir',
        'mtu',
      ]);
    }
    expect(() => defaultNetworkConfig({ ipamDataDir: '/d', podCidr: '10.0.0.300/24' })).toThrow(
      /podCidr "10.0.0.300\/24": has "10.0.0.300", not an IP address/,
    );
  });

  it("finds a pod CIDR that clashes with the host's addresses or routes, but not with its own bridge", () => {
    const clash = (c: string) =>
      cidrClashes(parseCidr(c) as Exclude<ReturnType<typeof parseCidr>, string>, host, 'virtkit0');
    expect(clash('10.244.0.0/24')).toEqual([]);
    expect(clash('192.0.2.128/25').map((h) => h.what)).toEqual(['address', 'route']);
    expect(clash('192.0.0.0/16')).toHaveLength(2);
    expect(clash('127.1.0.0/16').map((h) => h.dev)).toEqual(['lo']);
  });

  describe('writer', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-cni-default-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('writes the default network into an empty directory, and never over an existing configuration', async () => {
      const confDir = path.join(dir, 'net.d');
      const o = { confDir, ipamDataDir: path.join(dir, 'ipam'), hostNetworks: async () => host };
      expect(await ensureDefaultNetworkConfig(o)).toEqual({
        file: path.join(confDir, DEFAULT_CONFIG_FILE),
        written: true,
      });
      expect(loadDefaultNetwork(confDir).name).toBe('virtkit');
      expect(fs.existsSync(path.join(dir, 'ipam'))).toBe(true);
      expect(await ensureDefaultNetworkConfig({ ...o, podCidr: '10.99.0.0/24' })).toEqual({
        file: path.join(confDir, DEFAULT_CONFIG_FILE),
        written: false,
      });
      fs.rmSync(path.join(confDir, DEFAULT_CONFIG_FILE));
      fs.writeFileSync(path.join(confDir, '05-mine.conflist'), '{}');
      expect((await ensureDefaultNetworkConfig(o)).written).toBe(false);
    });

    it('refuses a pod CIDR the host uses, writing nothing', async () => {
      const confDir = path.join(dir, 'net.d');
      await expect(
        ensureDefaultNetworkConfig({
          confDir,
          ipamDataDir: path.join(dir, 'ipam'),
          podCidr: '192.0.2.0/24',
          hostNetworks: async () => host,
        }),
      ).rejects.toThrow(
        /podCidr "192.0.2.0\/24": overlaps what the host uses already: 192.0.2.2\/24 \(address on eth0\)/,
      );
      expect(fs.existsSync(confDir)).toBe(false);
    });
  });
});
