import type { VirtualMachineInstance } from '../api/kubevirt/v1';
import { userNetworkingNotices } from './launch-notices';

const vmi = (interfaces: NonNullable<VirtualMachineInstance['spec']['domain']['devices']['interfaces']>) =>
  ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm', namespace: 'default' },
    spec: { domain: { devices: { interfaces } } },
  }) as VirtualMachineInstance;

describe('virtkit launch networking notices', () => {
  it('says which interfaces run on QEMU user-mode networking, and nothing when none does', () => {
    const v = vmi([{ name: 'default', masquerade: {} }]);
    expect(userNetworkingNotices(v, [])).toEqual([]);
    const lines = userNetworkingNotices(v, ['default']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^virtkit launch: interface default uses QEMU user-mode networking/);
  });

  it('names the dhcpOptions a user-mode interface does not get, with their field', () => {
    const v = vmi([
      {
        name: 'default',
        masquerade: {},
        dhcpOptions: { bootFileName: 'pxe.0', ntpServers: ['192.0.2.1'], privateOptions: [] },
      },
      { name: 'tapped', bridge: {}, dhcpOptions: { bootFileName: 'x' } },
      { name: 'plain', masquerade: {}, dhcpOptions: {} },
    ]);
    const lines = userNetworkingNotices(v, ['default', 'plain']);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      "virtkit launch: spec.domain.devices.interfaces[0].dhcpOptions (bootFileName, ntpServers) of interface default are not sent: QEMU's user-mode DHCP server answers here; the launcher's DHCP server sends them on a node (virtkit up)",
    );
  });
});
