import * as pulumi from '@pulumi/pulumi';
import { recordRegistrations, valueOf } from './testing/mocks';
import { Preference } from './preference';
import { MultusNetwork } from './multus-network';
import { KubeOvnSubnet } from './kubeovn-subnet';
import { VirtualMachineRestore, VirtualMachineSnapshot } from './snapshot';
import { DataVolume } from './data-volume';
import { Install } from './install';
import { crds } from '../api';

const registered = recordRegistrations();

const vmRef = { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' };

describe('virtkit:index:Preference', () => {
  it('creates a cluster preference and refuses a namespace for it', async () => {
    const p = new Preference('linux', { cluster: true, spec: { devices: { preferredDiskBus: 'virtio' } } });
    expect(p.kind).toBe('VirtualMachineClusterPreference');
    expect(await valueOf(p.manifest)).toMatchObject({ metadata: { name: 'linux' } });
    expect(() => new Preference('scoped', { cluster: true, namespace: 'x', spec: {} })).toThrow(
      /virtkit:index:Preference "scoped"[\s\S]*namespace: VirtualMachineClusterPreference is cluster-scoped/,
    );
  });
});

describe('virtkit:index:MultusNetwork', () => {
  it('serialises an object config to JSON and names the network namespace/name', async () => {
    const net = new MultusNetwork('vlan100', {
      namespace: 'vms',
      config: { cniVersion: '0.3.1', type: 'bridge', bridge: 'br1', vlan: 100 },
    });
    const m = await valueOf(net.manifest);
    expect(JSON.parse((m.spec as { config: string }).config)).toMatchObject({ type: 'bridge', vlan: 100 });
    expect(await valueOf(net.networkName)).toBe('vms/vlan100');
  });

  it('rejects a config that is not JSON, naming the field', () => {
    expect(() => new MultusNetwork('broken', { config: '{not json' })).toThrow(
      /virtkit:index:MultusNetwork "broken"[\s\S]*spec\.config/,
    );
  });

  it('accepts a config that arrives later', async () => {
    const net = new MultusNetwork('late', {
      config: pulumi.output({ cniVersion: '0.3.1', type: 'macvlan', master: 'eth0' }),
    });
    expect(await valueOf(net.manifest)).toMatchObject({
      spec: { config: expect.stringContaining('macvlan') },
    });
  });
});

describe('virtkit:index:KubeOvnSubnet', () => {
  it('waits for the Ready condition', async () => {
    const s = new KubeOvnSubnet('blue', { spec: { cidrBlock: '10.66.0.0/24', protocol: 'IPv4' } });
    expect((await valueOf(s.manifest)).metadata.annotations).toEqual({
      'pulumi.com/waitFor': 'condition=Ready',
      'pulumi.com/timeoutSeconds': '300',
    });
  });
});

describe('virtkit:index:VirtualMachineSnapshot and VirtualMachineRestore', () => {
  it('snapshot waits for readyToUse, restore for complete', async () => {
    const snap = new VirtualMachineSnapshot('web-snap', { spec: { source: vmRef } });
    expect((await valueOf(snap.manifest)).metadata.annotations?.['pulumi.com/waitFor']).toBe(
      'jsonpath={.status.readyToUse}=true',
    );
    const restore = new VirtualMachineRestore('web-restore', {
      await: { timeoutSeconds: 90 },
      spec: { target: vmRef, virtualMachineSnapshotName: snap.objectName },
    });
    expect((await valueOf(restore.manifest)).metadata.annotations).toEqual({
      'pulumi.com/waitFor': 'jsonpath={.status.complete}=true',
      'pulumi.com/timeoutSeconds': '90',
    });
    expect((await valueOf(restore.manifest)).spec).toMatchObject({ virtualMachineSnapshotName: 'web-snap' });
  });

  it('rejects a snapshot without a source, naming the field', () => {
    expect(() => new VirtualMachineSnapshot('nosource', { spec: {} as never })).toThrow(
      /virtkit:index:VirtualMachineSnapshot "nosource"[\s\S]*spec/,
    );
  });
});

describe('virtkit:index:DataVolume', () => {
  it('waits for phase Succeeded, 30 minutes by default', async () => {
    const dv = new DataVolume('root', {
      spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } },
    });
    expect((await valueOf(dv.manifest)).metadata.annotations).toEqual({
      'pulumi.com/waitFor': 'jsonpath={.status.phase}=Succeeded',
      'pulumi.com/timeoutSeconds': '1800',
    });
  });
});

describe('virtkit:index:Install', () => {
  it('creates one CustomResourceDefinition child per virtkit kind, named from the component', async () => {
    const install = new Install('virtkit');
    const expected = crds().map((c) => c.metadata.name);
    expect(install.crdNames).toEqual(expected);
    expect(expected).toContain('virtualmachines.kubevirt.io');
    await valueOf(install.crds['virtualmachines.kubevirt.io'].metadata);
    const children = registered.filter(
      (r) => r.type === 'kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition',
    );
    expect(children.map((c) => c.name)).toEqual(expect.arrayContaining(expected.map((n) => `virtkit-${n}`)));
  });

  it('adds the Multus and Kube-OVN CRDs on request', () => {
    const install = new Install('with-networks', { withNetworkCrds: true });
    expect(install.crdNames).toContain('network-attachment-definitions.k8s.cni.cncf.io');
    expect(install.crdNames).toContain('subnets.kubeovn.io');
  });
});
