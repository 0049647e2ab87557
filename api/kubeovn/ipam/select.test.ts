import type { Subnet } from '../v1';
import { KubeOvnAddressError } from './errors';
import { allocationAnnotations, renderIpObject } from './ip-object';
import { attachmentProvider, ipObjectName, kubeOvnAnnotationKey, OVN_PROVIDER } from './keys';
import { selectSubnet, type SubnetSelection } from './select';

function subnet(name: string, spec: NonNullable<Subnet['spec']>, deleting = false): Subnet {
  return {
    apiVersion: 'kubeovn.io/v1',
    kind: 'Subnet',
    metadata: { name, ...(deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
    spec,
  };
}

const DEFAULT = subnet('ovn-default', { cidrBlock: '10.16.0.0/16', default: true });
const TEAM = subnet('team', { cidrBlock: '10.20.0.0/24', namespaces: ['other', 'apps'] });
const NAMED = subnet('named', { cidrBlock: '10.30.0.0/24' });
const BLUE = subnet('blue-net', { cidrBlock: '10.40.0.0/24', provider: 'blue.apps.ovn' });

const pick = (over: Partial<SubnetSelection>) =>
  selectSubnet({ provider: OVN_PROVIDER, annotations: {}, namespace: 'apps', subnets: [], ...over })?.metadata
    ?.name;

function selectError(over: Partial<SubnetSelection>): KubeOvnAddressError {
  try {
    pick(over);
  } catch (e) {
    if (e instanceof KubeOvnAddressError) return e;
    throw e;
  }
  throw new Error('selectSubnet did not throw');
}

describe('keys', () => {
  test('providers, annotation keys and IP object names as Kube-OVN spells them', () => {
    expect(attachmentProvider('blue', 'apps')).toBe('blue.apps.ovn');
    expect(kubeOvnAnnotationKey('ovn', 'ip_address')).toBe('ovn.kubernetes.io/ip_address');
    expect(kubeOvnAnnotationKey('blue.apps.ovn', 'logical_switch')).toBe(
      'blue.apps.ovn.kubernetes.io/logical_switch',
    );
    expect(ipObjectName('vm1', 'apps', OVN_PROVIDER)).toBe('vm1.apps');
    expect(ipObjectName('vm1', 'apps', 'blue.apps.ovn')).toBe('vm1.apps.blue.apps.ovn');
  });
});

describe('selectSubnet: the default network', () => {
  const all = [DEFAULT, TEAM, NAMED, BLUE];

  test("the pod's logical_switch annotation wins", () => {
    expect(pick({ subnets: all, annotations: { 'ovn.kubernetes.io/logical_switch': ' named ' } })).toBe(
      'named',
    );
  });

  test('a named Subnet that does not exist is SubnetNotFound naming it and the annotation', () => {
    const e = selectError({ subnets: all, annotations: { 'ovn.kubernetes.io/logical_switch': 'nope' } });
    expect(e.reason).toBe('SubnetNotFound');
    expect(e.message).toContain('"nope"');
    expect(e.message).toContain('ovn.kubernetes.io/logical_switch');
  });

  test("another provider's logical_switch does not count for the default network", () => {
    expect(
      pick({ subnets: all, annotations: { 'blue.apps.ovn.kubernetes.io/logical_switch': 'named' } }),
    ).toBe('team');
  });

  test('then a Subnet whose spec.namespaces lists the namespace, before the default one', () => {
    expect(pick({ subnets: all })).toBe('team');
    expect(pick({ subnets: all, namespace: 'elsewhere' })).toBe('ovn-default');
  });

  test('of several namespace Subnets the first by name, whatever the list order', () => {
    const zeta = subnet('zeta', { cidrBlock: '10.50.0.0/24', namespaces: ['apps'] });
    const alpha = subnet('alpha', { cidrBlock: '10.51.0.0/24', namespaces: ['apps'] });
    expect(pick({ subnets: [zeta, alpha, DEFAULT] })).toBe('alpha');
    expect(pick({ subnets: [alpha, zeta, DEFAULT] })).toBe('alpha');
  });

  test("an attachment's Subnet listing the namespace, or marked default, is not the pod's", () => {
    const attachNs = subnet('attach-ns', {
      cidrBlock: '10.60.0.0/24',
      namespaces: ['apps'],
      provider: 'x.apps.ovn',
    });
    const attachDefault = subnet('attach-default', {
      cidrBlock: '10.61.0.0/24',
      default: true,
      provider: 'x.apps.ovn',
    });
    expect(pick({ subnets: [attachNs, attachDefault, DEFAULT] })).toBe('ovn-default');
    expect(pick({ subnets: [attachNs, attachDefault] })).toBeUndefined();
  });

  test('a Subnet being deleted is not chosen', () => {
    const going = subnet('going', { cidrBlock: '10.70.0.0/24', namespaces: ['apps'] }, true);
    expect(pick({ subnets: [going, DEFAULT] })).toBe('ovn-default');
  });

  test('no subnet for the namespace and no default: Kube-OVN does not manage the pod network', () => {
    expect(pick({ subnets: [NAMED, BLUE] })).toBeUndefined();
    expect(pick({ subnets: [] })).toBeUndefined();
  });
});

describe('selectSubnet: an attachment', () => {
  const all = [DEFAULT, TEAM, NAMED, BLUE];
  const blue = { provider: 'blue.apps.ovn' };

  test("the attachment's logical_switch annotation wins", () => {
    expect(
      pick({ ...blue, subnets: all, annotations: { 'blue.apps.ovn.kubernetes.io/logical_switch': 'named' } }),
    ).toBe('named');
    expect(
      selectError({
        ...blue,
        subnets: all,
        annotations: { 'blue.apps.ovn.kubernetes.io/logical_switch': 'gone' },
      }).reason,
    ).toBe('SubnetNotFound');
  });

  test('then the Subnet whose spec.provider is the provider (first by name)', () => {
    expect(pick({ ...blue, subnets: all })).toBe('blue-net');
    const another = subnet('a-blue', { cidrBlock: '10.41.0.0/24', provider: 'blue.apps.ovn' });
    expect(pick({ ...blue, subnets: [...all, another] })).toBe('a-blue');
  });

  test("then the pod's default subnet", () => {
    expect(pick({ ...blue, subnets: [DEFAULT, TEAM] })).toBe('team');
    expect(pick({ ...blue, subnets: [DEFAULT], namespace: 'x' })).toBe('ovn-default');
  });

  test('none at all is SubnetNotFound naming the provider', () => {
    const e = selectError({ ...blue, subnets: [NAMED] });
    expect(e.reason).toBe('SubnetNotFound');
    expect(e.message).toContain('spec.provider: blue.apps.ovn');
  });
});

describe('what is written for an allocation', () => {
  const a = {
    subnet: 'team',
    ip: '10.20.0.5',
    mac: '00:00:00:12:34:56',
    cidr: '10.20.0.0/24',
    gateway: '10.20.0.1',
    prefix: 24,
  };

  test("a VM's IP object", () => {
    expect(renderIpObject('vm1.apps', { kind: 'VirtualMachine', name: 'vm1', namespace: 'apps' }, a)).toEqual(
      {
        apiVersion: 'kubeovn.io/v1',
        kind: 'IP',
        metadata: {
          name: 'vm1.apps',
          labels: {
            'ovn.kubernetes.io/subnet': 'team',
            'app.kubernetes.io/managed-by': 'virtkit-controller',
          },
          annotations: { 'virtkit.io/ip-owner-kind': 'VirtualMachine' },
        },
        spec: {
          podName: 'vm1',
          namespace: 'apps',
          subnet: 'team',
          attachSubnets: [],
          nodeName: '',
          ipAddress: '10.20.0.5',
          v4IpAddress: '10.20.0.5',
          v6IpAddress: '',
          attachIps: [],
          macAddress: '00:00:00:12:34:56',
          attachMacs: [],
          containerID: '',
          podType: 'VirtualMachine',
        },
      },
    );
    const standalone = renderIpObject(
      'v.apps',
      { kind: 'VirtualMachineInstance', name: 'v', namespace: 'apps' },
      a,
    );
    expect(standalone.spec?.podType).toBe('');
    expect(standalone.metadata?.annotations).toEqual({
      'virtkit.io/ip-owner-kind': 'VirtualMachineInstance',
    });
  });

  test("the provider's pod annotations; nat_outgoing, mtu and the underlay only when set", () => {
    expect(allocationAnnotations('ovn', a, TEAM)).toEqual({
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/ip_address': '10.20.0.5',
      'ovn.kubernetes.io/mac_address': '00:00:00:12:34:56',
      'ovn.kubernetes.io/cidr': '10.20.0.0/24',
      'ovn.kubernetes.io/gateway': '10.20.0.1',
      'ovn.kubernetes.io/logical_switch': 'team',
      'ovn.kubernetes.io/pod_nic_type': 'veth-pair',
    });
    const vlan = subnet('v', { cidrBlock: '10.20.0.0/24', natOutgoing: true, mtu: 1400, vlan: 'v100' });
    expect(
      allocationAnnotations('blue.apps.ovn', a, vlan, { vlanId: 100, providerNetwork: 'physnet' }),
    ).toMatchObject({
      'blue.apps.ovn.kubernetes.io/ip_address': '10.20.0.5',
      'blue.apps.ovn.kubernetes.io/nat_outgoing': 'true',
      'blue.apps.ovn.kubernetes.io/mtu': '1400',
      'blue.apps.ovn.kubernetes.io/vlan_id': '100',
      'blue.apps.ovn.kubernetes.io/provider_network': 'physnet',
    });
    const off = subnet('o', { cidrBlock: '10.20.0.0/24', natOutgoing: false, mtu: 0 });
    const keys = Object.keys(allocationAnnotations('ovn', a, off));
    expect(keys).not.toContain('ovn.kubernetes.io/nat_outgoing');
    expect(keys).not.toContain('ovn.kubernetes.io/mtu');
  });
});
