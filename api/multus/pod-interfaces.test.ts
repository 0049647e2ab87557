import { createHash } from 'crypto';
import {
  hashedPodInterfaceName,
  MULTUS_DEFAULT_NETWORK_ANNOTATION,
  MULTUS_NETWORKS_ANNOTATION,
  multusAnnotations,
  nadReference,
  podInterfaceNames,
} from './pod-interfaces';

describe("a VMI's networks as pod interfaces and Multus annotations", () => {
  const networks = [
    { name: 'default', pod: {} },
    { name: 'blue', multus: { networkName: 'shop/br-blue' } },
    { name: 'green', multus: { networkName: 'br-green' } },
  ];

  it('eth0 for the pod network, pod + 8 hex digits of the network name hash for Multus networks', () => {
    const hash = createHash('sha256').update('blue').digest('hex');
    expect(hashedPodInterfaceName('blue')).toBe(`pod${hash.slice(0, 8)}`);
    expect(podInterfaceNames(networks)).toEqual(
      new Map([
        ['default', 'eth0'],
        ['blue', hashedPodInterfaceName('blue')],
        ['green', hashedPodInterfaceName('green')],
      ]),
    );
    // Names fit the kernel's 15 characters with KubeVirt's k6t- bridge prefix.
    expect(`k6t-${hashedPodInterfaceName('blue')}`.length).toBeLessThanOrEqual(15);
    // A Multus network marked default takes eth0.
    expect(
      podInterfaceNames([{ name: 'main', multus: { networkName: 'ovn', default: true } }]).get('main'),
    ).toBe('eth0');
  });

  it("the networks annotation lists the secondary networks in spec order with the VMI's namespace by default", () => {
    const a = multusAnnotations(networks, 'shop', new Map([['green', '02:00:00:00:00:01']]));
    expect(JSON.parse(a[MULTUS_NETWORKS_ANNOTATION])).toEqual([
      { name: 'br-blue', namespace: 'shop', interface: hashedPodInterfaceName('blue') },
      {
        name: 'br-green',
        namespace: 'shop',
        interface: hashedPodInterfaceName('green'),
        mac: '02:00:00:00:00:01',
      },
    ]);
    expect(a[MULTUS_DEFAULT_NETWORK_ANNOTATION]).toBeUndefined();
    expect(multusAnnotations([{ name: 'default', pod: {} }], 'shop')).toEqual({});
  });

  it('a default Multus network becomes the default-network annotation instead', () => {
    const a = multusAnnotations(
      [{ name: 'main', multus: { networkName: 'infra/ovn', default: true } }],
      'shop',
    );
    expect(a).toEqual({ [MULTUS_DEFAULT_NETWORK_ANNOTATION]: 'infra/ovn' });
  });

  it('nadReference: name or namespace/name', () => {
    expect(nadReference('br', 'shop')).toEqual({ namespace: 'shop', name: 'br' });
    expect(nadReference('infra/br', 'shop')).toEqual({ namespace: 'infra', name: 'br' });
  });
});
