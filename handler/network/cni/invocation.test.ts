import { networkConfigListFrom } from './conflist';
import {
  checkSupported,
  cniArgs,
  delPassesPrevResult,
  pluginEnv,
  pluginOrder,
  pluginStdin,
  withSbin,
  type Attachment,
} from './invocation';

const attachment: Attachment = {
  containerId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
  netns: '/run/netns/vk-00000000-111111111111',
  ifName: 'eth0',
  pod: { namespace: 'default', name: 'virt-launcher-vm-abcde', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' },
};

const list = networkConfigListFrom(
  {
    cniVersion: '1.0.0',
    name: 'podnet',
    plugins: [
      { type: 'bridge', name: 'ignored', cniVersion: '0.1.0', bridge: 'br0', prevResult: { stale: true } },
      { type: 'tuning', capabilities: { mac: true }, runtimeConfig: { fromFile: 1 } },
      { type: 'portmap', capabilities: { portMappings: true, bandwidth: false } },
    ],
  },
  'test',
);

describe('what a plugin is given', () => {
  it('passes CNI_ARGS as containerd does', () => {
    expect(cniArgs(attachment)).toBe(
      'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=virt-launcher-vm-abcde;' +
        'K8S_POD_INFRA_CONTAINER_ID=1b4e28ba-2fa1-11d2-883f-0016d3cca427;K8S_POD_UID=1b4e28ba-2fa1-11d2-883f-0016d3cca427',
    );
  });

  it('builds the environment from CNI variables and PATH only', () => {
    const env = pluginEnv('ADD', attachment, ['/usr/lib/cni', '/opt/cni/bin'], '/home/u/bin');
    expect(Object.keys(env).sort()).toEqual([
      'CNI_ARGS',
      'CNI_COMMAND',
      'CNI_CONTAINERID',
      'CNI_IFNAME',
      'CNI_NETNS',
      'CNI_PATH',
      'PATH',
    ]);
    expect(env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: attachment.containerId,
      CNI_NETNS: attachment.netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni:/opt/cni/bin',
    });
    expect(env.PATH.split(':')).toEqual(expect.arrayContaining(['/home/u/bin', '/usr/sbin', '/sbin']));
    expect(Object.keys(pluginEnv('VERSION', attachment, ['/usr/lib/cni'], undefined)).sort()).toEqual([
      'CNI_COMMAND',
      'CNI_PATH',
      'PATH',
    ]);
  });

  it('keeps PATH entries once and drops relative ones', () => {
    expect(
      withSbin('/usr/sbin:.:bin')
        .split(':')
        .filter((d) => d === '/usr/sbin'),
    ).toHaveLength(1);
    expect(withSbin('/usr/sbin:.:bin')).not.toMatch(/(^|:)(\.|bin)(:|$)/);
  });

  it("injects the list's name and version, chains prevResult, and gives runtimeConfig only for declared capabilities", () => {
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.1.0.2/24' }] };
    const caps = {
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
      mac: 'aa:bb:cc:dd:ee:ff',
      bandwidth: {},
    };
    const first = pluginStdin(list, 0, undefined, caps);
    expect(first).toEqual({ type: 'bridge', name: 'podnet', cniVersion: '1.0.0', bridge: 'br0' });
    expect(pluginStdin(list, 1, prev, caps)).toEqual({
      type: 'tuning',
      name: 'podnet',
      cniVersion: '1.0.0',
      capabilities: { mac: true },
      prevResult: prev,
      runtimeConfig: { mac: 'aa:bb:cc:dd:ee:ff' },
    });
    expect(pluginStdin(list, 2, prev, caps).runtimeConfig).toEqual({ portMappings: caps.portMappings });
    // Without capability arguments, a runtimeConfig written in the file stays.
    expect(pluginStdin(list, 1, undefined, {}).runtimeConfig).toEqual({ fromFile: 1 });
    expect(pluginStdin(list, 2, undefined, {})).not.toHaveProperty('runtimeConfig');
    // The list itself is not changed.
    expect(list.plugins[0]).toHaveProperty('prevResult', { stale: true });
  });

  it('runs DEL in reverse order, ADD and CHECK in order', () => {
    expect(pluginOrder(list, 'ADD')).toEqual([0, 1, 2]);
    expect(pluginOrder(list, 'CHECK')).toEqual([0, 1, 2]);
    expect(pluginOrder(list, 'DEL')).toEqual([2, 1, 0]);
  });

  it('knows which versions take prevResult on DEL and have CHECK', () => {
    const v = (cniVersion: string, disableCheck = false) =>
      networkConfigListFrom({ cniVersion, name: 'n', disableCheck, plugins: [{ type: 'bridge' }] }, 't');
    expect(delPassesPrevResult(v('0.3.1'))).toBe(false);
    expect(delPassesPrevResult(v('0.4.0'))).toBe(true);
    expect(checkSupported(v('0.3.1'))).toBe(false);
    expect(checkSupported(v('1.0.0'))).toBe(true);
    expect(checkSupported(v('1.0.0', true))).toBe(false);
  });
});
