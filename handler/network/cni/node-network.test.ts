import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { HostNetwork } from './host-networks';
import { ensureNodeNetwork, nodeNetworkFile, readNodeNetwork } from './node-network';

let tmp: string;
let claimsDir: string;
const host: HostNetwork[] = [{ cidr: '10.244.0.1/24', dev: 'cni0', what: 'address' }];
const hostNetworks = (): Promise<HostNetwork[]> => Promise.resolve(host);
const node = (name: string, podCidr?: string) =>
  ensureNodeNetwork({
    stateDir: path.join(tmp, name),
    claimsDir,
    hostNetworks,
    ...(podCidr ? { podCidr } : {}),
  });

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-nodenet-'));
  claimsDir = path.join(tmp, 'claims');
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("a handler's node network", () => {
  it('handlers on one machine get their own free /24 and bridge, even when they start together', async () => {
    const [a, b, c] = await Promise.all([node('a'), node('b'), node('c')]);
    const ranges = [a.podCidr, b.podCidr, c.podCidr];
    expect(new Set(ranges).size).toBe(3);
    expect(ranges).not.toContain('10.244.0.0/24'); // the host uses it
    expect(ranges.every((r) => /^10\.244\.\d+\.0\/24$/.test(r))).toBe(true);
    expect(new Set([a.bridge, b.bridge, c.bridge]).size).toBe(3);
    const conf = JSON.parse(fs.readFileSync(a.configFile, 'utf8')) as {
      plugins: { bridge?: string; ipam?: { ranges: { subnet: string }[][] } }[];
    };
    expect(conf.plugins[0].bridge).toBe(a.bridge);
    expect(conf.plugins[0].ipam?.ranges[0][0].subnet).toBe(a.podCidr);
  });

  it('a restart keeps the recorded choice; a different --pod-cidr then is refused with the fix', async () => {
    const first = await node('a');
    expect(readNodeNetwork(path.join(tmp, 'a'))).toEqual({ podCidr: first.podCidr, bridge: first.bridge });
    // /run was wiped (a reboot): the claim is made again.
    fs.rmSync(claimsDir, { recursive: true });
    expect(await node('a')).toEqual(first);
    await expect(node('a', '10.250.0.0/24')).rejects.toThrow(
      `--pod-cidr 10.250.0.0/24: this node's pods already use ${first.podCidr}`,
    );
  });

  it('--pod-cidr is used as given, and refused when another handler holds it or it is malformed', async () => {
    expect((await node('a', '10.250.7.0/24')).podCidr).toBe('10.250.7.0/24');
    await expect(node('b', '10.250.7.0/24')).rejects.toThrow(/another handler on this machine uses it/);
    await expect(node('c', '10.250.7.0')).rejects.toThrow(/--pod-cidr 10.250.7.0: is not in CIDR notation/);
    await expect(node('d', '10.244.0.0/24')).rejects.toThrow(/overlaps what the host uses already/);
    expect(fs.existsSync(nodeNetworkFile(path.join(tmp, 'd')))).toBe(false);
  });

  it('a handler stopped with no pods holds no range: another takes it, and it takes a new one when back', async () => {
    const a = await node('a', '10.250.9.0/24');
    const old = new Date(Date.now() - 600_000);
    for (const f of fs.readdirSync(claimsDir)) {
      const file = path.join(claimsDir, f);
      const claim = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(file, JSON.stringify({ ...claim, pid: 4194303, startTicks: '1' }));
      fs.utimesSync(file, old, old);
    }
    expect((await node('b', a.podCidr)).podCidr).toBe(a.podCidr);
    const back = await node('a');
    expect(back.podCidr).not.toBe(a.podCidr);
    expect(readNodeNetwork(path.join(tmp, 'a'))?.podCidr).toBe(back.podCidr);
    expect(fs.readFileSync(back.configFile, 'utf8')).toContain(back.podCidr);
    // A running handler's claim stands however old it is.
    for (const f of fs.readdirSync(claimsDir)) fs.utimesSync(path.join(claimsDir, f), old, old);
    await expect(node('c', back.podCidr)).rejects.toThrow(/another handler on this machine uses it/);
  });

  it("a stale claim (its handler's state dir is gone) is taken over", async () => {
    const a = await node('a', '10.250.8.0/24');
    fs.rmSync(path.join(tmp, 'a'), { recursive: true });
    const old = new Date(Date.now() - 600_000);
    for (const f of fs.readdirSync(claimsDir)) fs.utimesSync(path.join(claimsDir, f), old, old);
    expect((await node('b', a.podCidr)).podCidr).toBe(a.podCidr);
  });
});
