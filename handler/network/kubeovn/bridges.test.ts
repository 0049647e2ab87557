import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  kubeOvnBridgesLeft,
  kubeOvnUplinksLeft,
  recordedKubeOvnBridges,
  recordKubeOvnBridges,
  releaseKubeOvnDataPlane,
} from './bridges';
import { kubeOvnPaths } from './paths';

let stateDir: string;
beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-kubeovn-bridges-'));
});
afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

const bridge = (name: string) => ({ bridge: name, subnet: 's', cidr: '10.66.0.0/24', gateway: '10.66.0.1' });

describe('Kube-OVN bridge records', () => {
  it('records each bridge once, lists them, and release forgets bridges that do not exist', async () => {
    recordKubeOvnBridges(stateDir, [bridge('vko0000000b'), bridge('vko0000000a')]);
    recordKubeOvnBridges(stateDir, [bridge('vko0000000a')]);
    expect(recordedKubeOvnBridges(stateDir)).toEqual(['vko0000000a', 'vko0000000b']);
    // These names are not links on this machine.
    expect(kubeOvnBridgesLeft(stateDir)).toEqual([]);
    // A tuning backup a DEL in a vanished namespace left behind goes with the release too.
    const tuning = kubeOvnPaths(stateDir).tuningDataDir;
    fs.mkdirSync(tuning, { recursive: true });
    fs.writeFileSync(path.join(tuning, 'uid_eth0.json'), '{}');
    expect(await releaseKubeOvnDataPlane(stateDir)).toEqual({
      removed: [],
      uplinksRemoved: [],
      tunnelsRemoved: [],
      errors: [],
    });
    expect(recordedKubeOvnBridges(stateDir)).toEqual([]);
    expect(fs.existsSync(tuning)).toBe(false);
  });

  it('records a VLAN bridge like a Subnet bridge; its uplink follows from its name', async () => {
    recordKubeOvnBridges(stateDir, [
      { ...bridge('vkvl0000000c'), underlay: { vlanId: 100, providerNetwork: 'physnet' } },
    ]);
    expect(recordedKubeOvnBridges(stateDir)).toEqual(['vkvl0000000c']);
    expect(
      JSON.parse(fs.readFileSync(path.join(kubeOvnPaths(stateDir).bridgesDir, 'vkvl0000000c.json'), 'utf8')),
    ).toEqual(expect.objectContaining({ underlay: { vlanId: 100, providerNetwork: 'physnet' } }));
    // Neither vkvl0000000c nor vkvu0000000c is a link on this machine.
    expect(kubeOvnUplinksLeft(stateDir)).toEqual([]);
    expect(await releaseKubeOvnDataPlane(stateDir)).toEqual({
      removed: [],
      uplinksRemoved: [],
      tunnelsRemoved: [],
      errors: [],
    });
    expect(recordedKubeOvnBridges(stateDir)).toEqual([]);
  });

  it('refuses a name that is not a Kube-OVN bridge, so release never deletes another link', () => {
    expect(() => recordKubeOvnBridges(stateDir, [bridge('eth0')])).toThrow(/not a Kube-OVN bridge name/);
    expect(recordedKubeOvnBridges(stateDir)).toEqual([]);
  });

  it('nothing recorded is nothing to release', async () => {
    expect(recordedKubeOvnBridges(path.join(stateDir, 'none'))).toEqual([]);
    expect(await releaseKubeOvnDataPlane(path.join(stateDir, 'none'))).toEqual({
      removed: [],
      uplinksRemoved: [],
      tunnelsRemoved: [],
      errors: [],
    });
  });
});
