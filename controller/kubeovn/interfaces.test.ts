import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { kubeOvnInterfaces, kubeOvnProviderOf, nadRefOf, type NadRef } from './interfaces';

type Networks = NonNullable<VirtualMachineInstance['spec']['networks']>;

function vmi(networks?: Networks): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'v', namespace: 'apps' },
    spec: { domain: { devices: {} }, ...(networks ? { networks } : {}) },
  };
}

/** NADs by `<namespace>/<name>`: their configs run through kubeOvnProviderOf, as the IPAM does. */
function nads(configs: Record<string, unknown>): {
  lookup: (ref: NadRef) => Promise<string | undefined>;
  asked: string[];
} {
  const asked: string[] = [];
  return {
    asked,
    lookup: (ref) => {
      asked.push(`${ref.namespace}/${ref.name}`);
      const key = `${ref.namespace}/${ref.name}`;
      return Promise.resolve(key in configs ? kubeOvnProviderOf(configs[key], ref) : undefined);
    },
  };
}

const KUBE_OVN = JSON.stringify({ cniVersion: '0.3.1', type: 'kube-ovn', server_socket: '/run/x.sock' });
const BRIDGE = JSON.stringify({ cniVersion: '0.3.1', type: 'bridge', bridge: 'br0' });

describe('nadRefOf', () => {
  test("a bare name is in the VMI's namespace; namespace/name elsewhere", () => {
    expect(nadRefOf('blue', 'apps')).toEqual({ namespace: 'apps', name: 'blue' });
    expect(nadRefOf('infra/blue', 'apps')).toEqual({ namespace: 'infra', name: 'blue' });
  });
});

describe('kubeOvnProviderOf', () => {
  const ref = { namespace: 'apps', name: 'blue' };

  test('a single kube-ovn plugin without a provider is <nad>.<ns>.ovn', () => {
    expect(kubeOvnProviderOf(KUBE_OVN, ref)).toBe('blue.apps.ovn');
    expect(kubeOvnProviderOf(JSON.stringify({ type: 'kube-ovn', provider: '' }), ref)).toBe('blue.apps.ovn');
  });

  test("the config's provider when it names one", () => {
    expect(kubeOvnProviderOf(JSON.stringify({ type: 'kube-ovn', provider: 'custom.infra.ovn' }), ref)).toBe(
      'custom.infra.ovn',
    );
  });

  test('a plugin list: its first plugin decides', () => {
    const list = (...plugins: object[]) => JSON.stringify({ cniVersion: '0.3.1', name: 'x', plugins });
    expect(
      kubeOvnProviderOf(list({ type: 'kube-ovn', provider: 'p.apps.ovn' }, { type: 'tuning' }), ref),
    ).toBe('p.apps.ovn');
    expect(kubeOvnProviderOf(list({ type: 'kube-ovn' }), ref)).toBe('blue.apps.ovn');
    expect(kubeOvnProviderOf(list({ type: 'bridge' }, { type: 'kube-ovn' }), ref)).toBeUndefined();
    expect(kubeOvnProviderOf(list(), ref)).toBeUndefined();
  });

  test.each([
    ['another CNI type', BRIDGE],
    ['malformed JSON', '{"type": "kube-ovn"'],
    ['not a string', { type: 'kube-ovn' }],
    ['missing', undefined],
    ['JSON null', 'null'],
    ['a JSON string', '"kube-ovn"'],
  ])('%s is not kube-ovn', (_what, config) => {
    expect(kubeOvnProviderOf(config, ref)).toBeUndefined();
  });
});

describe('kubeOvnInterfaces', () => {
  test("the pod network is provider ovn; a VMI without networks still has the pod's interface", async () => {
    const n = nads({});
    expect(await kubeOvnInterfaces(vmi([{ name: 'default', pod: {} }]), n.lookup)).toEqual([
      { provider: 'ovn', network: 'default' },
    ]);
    expect(await kubeOvnInterfaces(vmi(), n.lookup)).toEqual([{ provider: 'ovn', network: 'default' }]);
    expect(n.asked).toEqual([]);
  });

  test("kube-ovn Multus networks join, other CNIs' and missing NADs do not", async () => {
    const n = nads({ 'apps/blue': KUBE_OVN, 'infra/red': KUBE_OVN, 'apps/plain': BRIDGE });
    const out = await kubeOvnInterfaces(
      vmi([
        { name: 'main', pod: {} },
        { name: 'b', multus: { networkName: 'blue' } },
        { name: 'r', multus: { networkName: 'infra/red' } },
        { name: 'p', multus: { networkName: 'plain' } },
        { name: 'm', multus: { networkName: 'missing' } },
      ]),
      n.lookup,
    );
    expect(out).toEqual([
      { provider: 'ovn', network: 'main' },
      { provider: 'blue.apps.ovn', network: 'b' },
      { provider: 'red.infra.ovn', network: 'r' },
    ]);
    expect(n.asked).toEqual(['apps/blue', 'infra/red', 'apps/plain', 'apps/missing']);
  });

  test("a VMI with only Multus networks still has the pod's own interface", async () => {
    const n = nads({ 'apps/blue': KUBE_OVN });
    expect(await kubeOvnInterfaces(vmi([{ name: 'b', multus: { networkName: 'blue' } }]), n.lookup)).toEqual([
      { provider: 'ovn', network: 'default' },
      { provider: 'blue.apps.ovn', network: 'b' },
    ]);
  });

  test("a Multus default network replaces the pod's interface", async () => {
    const bridgeDefault = nads({ 'apps/plain': BRIDGE });
    expect(
      await kubeOvnInterfaces(
        vmi([{ name: 'd', multus: { networkName: 'plain', default: true } }]),
        bridgeDefault.lookup,
      ),
    ).toEqual([]);
    const ovnDefault = nads({ 'apps/blue': KUBE_OVN });
    expect(
      await kubeOvnInterfaces(
        vmi([{ name: 'd', multus: { networkName: 'blue', default: true } }]),
        ovnDefault.lookup,
      ),
    ).toEqual([{ provider: 'blue.apps.ovn', network: 'd' }]);
  });
});
