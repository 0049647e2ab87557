/**
 * The controller's Kube-OVN IPAM (controller/kubeovn/ipam.ts) against the shared real API server
 * with the Kube-OVN and Multus CRDs: a namespace's Subnet gives the lowest free address and an IP
 * object `<vm>.<ns>` records it; a VM's next VMI gets the same address and MAC back; a fixed
 * address comes from `ovn.kubernetes.io/ip_address`, a taken one is an AddressConflict that
 * writes nothing; a kube-ovn NetworkAttachmentDefinition gets its provider's annotations and its
 * own IP object; gc() releases the addresses of owners that are gone and writes Subnet status;
 * switched off, it does nothing.
 */
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { IP, IPPool, Subnet } from '../../api/kubeovn/v1';
import { KubeOvnAddressError } from '../../api/kubeovn/ipam';
import { runningKubeOvnController } from '../../controller/kubeovn/detect';
import { KubeOvnIpam } from '../../controller/kubeovn/ipam';
import {
  KUBE_OVN_IPPOOLS,
  KUBE_OVN_IPS,
  KUBE_OVN_SUBNETS,
  KUBE_OVN_VLANS,
  NETWORK_ATTACHMENT_DEFINITIONS,
  PODS,
  type KubeClient,
} from '../../kube';
import { createNamespace, deleteNamespace, sharedClient } from './support/api';
import { eventually } from './support/eventually';

const RUN = `${process.pid % 100000}`;
const NS = `it-kovn-ipam-${RUN}`;
const SUBNET = `it-ipam-${RUN}`;
const ATTACH_SUBNET = `it-ipam-blue-${RUN}`;
const OCTET = 100 + (process.pid % 100);
const CIDR = `10.252.${OCTET}.0/24`;
const ATTACH_CIDR = `10.253.${OCTET}.0/24`;
const at = (host: number) => `10.252.${OCTET}.${host}`;
const attachAt = (host: number) => `10.253.${OCTET}.${host}`;
const BLUE_PROVIDER = `blue.${NS}.ovn`;
const VLAN_SUBNET = `it-ipam-vlan-${RUN}`;
const VLAN = `it-ipam-v100-${RUN}`;
const POOL = `it-ipam-pool-${RUN}`;
const POOLED_NS = `${NS}-p`;
const POOLED_SUBNET = `it-ipam-pooled-${RUN}`;
const POOLED_POOL = `it-ipam-nspool-${RUN}`;
const pooledAt = (host: number) => `10.251.${OCTET}.${host}`;

let client: KubeClient;
const subnetsToDelete: string[] = [];

/** MACs 00:00:00:00:00:01, :02, ... in order, so each allocation's fresh MAC is known. */
function counterMac(): () => string {
  let n = 0;
  return () => {
    n++;
    return `00:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
  };
}

function vmiOf(
  name: string,
  opts: {
    vm?: string;
    uid?: string;
    annotations?: Record<string, string>;
    blue?: boolean;
    namespace?: string;
  } = {},
): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name,
      namespace: opts.namespace ?? NS,
      uid: opts.uid ?? `${name}-uid`,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.vm
        ? {
            ownerReferences: [
              {
                apiVersion: 'kubevirt.io/v1',
                kind: 'VirtualMachine',
                name: opts.vm,
                uid: `${opts.vm}-vm-uid`,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      domain: { devices: {} },
      networks: [
        { name: 'default', pod: {} },
        ...(opts.blue ? [{ name: 'blue', multus: { networkName: 'blue' } }] : []),
      ],
    },
  };
}

async function getIp(name: string): Promise<IP | undefined> {
  return client.getIfExists<IP>(KUBE_OVN_IPS, undefined, name);
}

async function createSubnet(name: string, spec: NonNullable<Subnet['spec']>): Promise<void> {
  await client.create<Subnet>(KUBE_OVN_SUBNETS, undefined, {
    apiVersion: 'kubeovn.io/v1',
    kind: 'Subnet',
    metadata: { name },
    spec,
  });
  subnetsToDelete.push(name);
}

async function ipNamesOfRun(): Promise<string[]> {
  const all = (await client.list<IP>(KUBE_OVN_IPS)).items;
  return all
    .map((i) => i.metadata?.name ?? '')
    .filter((n) => n.includes(`.${NS}`))
    .sort();
}

beforeAll(async () => {
  client = await sharedClient();
  // Right after the global setup the CRDs' storage may still be initializing (HTTP 429).
  for (const rt of [KUBE_OVN_IPS, KUBE_OVN_SUBNETS, KUBE_OVN_IPPOOLS])
    await eventually(`${rt.plural}.kubeovn.io served`, async () => (await client.list(rt)).items);
  await eventually(
    'network-attachment-definitions served',
    async () => (await client.list(NETWORK_ATTACHMENT_DEFINITIONS, 'default')).items,
  );
  await createNamespace(client, NS);
  await createSubnet(SUBNET, {
    cidrBlock: CIDR,
    gateway: at(1),
    namespaces: [NS],
    excludeIps: [`${at(2)}..${at(4)}`, at(7)],
    natOutgoing: true,
    mtu: 1400,
  });
  await createSubnet(ATTACH_SUBNET, { cidrBlock: ATTACH_CIDR, provider: BLUE_PROVIDER });
  await client.create(NETWORK_ATTACHMENT_DEFINITIONS, NS, {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: 'blue', namespace: NS },
    spec: {
      config: JSON.stringify({
        cniVersion: '0.3.1',
        type: 'kube-ovn',
        server_socket: '/run/openvswitch/kube-ovn-daemon.sock',
        provider: BLUE_PROVIDER,
      }),
    },
  });
});

afterAll(async () => {
  if (!client) return;
  for (const n of await ipNamesOfRun().catch(() => [])) {
    await client.delete(KUBE_OVN_IPS, undefined, n).catch(() => undefined);
  }
  for (const p of [POOL, POOLED_POOL])
    await client.delete(KUBE_OVN_IPPOOLS, undefined, p).catch(() => undefined);
  for (const s of subnetsToDelete) await client.delete(KUBE_OVN_SUBNETS, undefined, s).catch(() => undefined);
  await client.delete(KUBE_OVN_VLANS, undefined, VLAN).catch(() => undefined);
  await deleteNamespace(client, NS);
});

describe('KubeOvnIpam against the real API server', () => {
  test('a namespace Subnet gives the lowest free address and an IP object <vm>.<ns> records it', async () => {
    const ipam = new KubeOvnIpam(client, { randomMac: counterMac() });
    const out = await ipam.podAnnotations(vmiOf('alpha-x1', { vm: 'alpha' }), {});
    // .1 gateway, .2-.4 excluded: .5 is the lowest free address.
    expect(out).toEqual({
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/ip_address': at(5),
      'ovn.kubernetes.io/mac_address': '00:00:00:00:00:01',
      'ovn.kubernetes.io/cidr': CIDR,
      'ovn.kubernetes.io/gateway': at(1),
      'ovn.kubernetes.io/logical_switch': SUBNET,
      'ovn.kubernetes.io/pod_nic_type': 'veth-pair',
      'ovn.kubernetes.io/nat_outgoing': 'true',
      'ovn.kubernetes.io/mtu': '1400',
    });
    const ip = await getIp(`alpha.${NS}`);
    expect(ip?.spec).toMatchObject({
      podName: 'alpha',
      namespace: NS,
      subnet: SUBNET,
      v4IpAddress: at(5),
      ipAddress: at(5),
      macAddress: '00:00:00:00:00:01',
      podType: 'VirtualMachine',
    });
    expect(ip?.metadata?.labels).toMatchObject({
      'ovn.kubernetes.io/subnet': SUBNET,
      'app.kubernetes.io/managed-by': 'virtkit-controller',
    });
    expect(ip?.metadata?.annotations?.['virtkit.io/ip-owner-kind']).toBe('VirtualMachine');

    // The next VM skips .5 (taken) and .7 (excluded)... .6 first.
    const beta = await ipam.podAnnotations(vmiOf('beta-x1', { vm: 'beta' }), {});
    expect(beta['ovn.kubernetes.io/ip_address']).toBe(at(6));
    expect((await getIp(`beta.${NS}`))?.spec?.v4IpAddress).toBe(at(6));
    const gamma = await ipam.podAnnotations(vmiOf('gamma-x1', { vm: 'gamma' }), {});
    expect(gamma['ovn.kubernetes.io/ip_address']).toBe(at(8));
  });

  test("a VM's next VMI gets the same address and MAC back, not the lowest free one", async () => {
    // Free .5 (alpha's): beta's next VMI must still get .6, and its MAC, although the fresh
    // MACs this IPAM makes are new ones.
    await client.delete(KUBE_OVN_IPS, undefined, `alpha.${NS}`);
    const before = await getIp(`beta.${NS}`);
    const ipam = new KubeOvnIpam(client, { randomMac: () => '00:00:00:aa:bb:cc' });
    const out = await ipam.podAnnotations(vmiOf('beta-x2', { vm: 'beta', uid: 'another-uid' }), {});
    expect(out['ovn.kubernetes.io/ip_address']).toBe(at(6));
    expect(out['ovn.kubernetes.io/mac_address']).toBe(before?.spec?.macAddress);
    const after = await getIp(`beta.${NS}`);
    expect(after?.spec?.v4IpAddress).toBe(at(6));
    expect(after?.spec?.macAddress).toBe(before?.spec?.macAddress);
    // Nothing changed, so nothing was written.
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    // A new VM gets the freed .5.
    const delta = await ipam.podAnnotations(vmiOf('delta-x1', { vm: 'delta' }), {});
    expect(delta['ovn.kubernetes.io/ip_address']).toBe(at(5));
  });

  test('a fixed address from ovn.kubernetes.io/ip_address', async () => {
    const ipam = new KubeOvnIpam(client, { randomMac: counterMac() });
    const ann = {
      'ovn.kubernetes.io/ip_address': at(30),
      'ovn.kubernetes.io/mac_address': '02:00:00:00:00:30',
    };
    const out = await ipam.podAnnotations(vmiOf('fixed-x1', { vm: 'fixed', annotations: ann }), ann);
    expect(out['ovn.kubernetes.io/ip_address']).toBe(at(30));
    expect(out['ovn.kubernetes.io/mac_address']).toBe('02:00:00:00:00:30');
    expect((await getIp(`fixed.${NS}`))?.spec).toMatchObject({
      v4IpAddress: at(30),
      macAddress: '02:00:00:00:00:30',
    });
  });

  test("an address another VM's IP object holds is an AddressConflict and nothing is written", async () => {
    const ipam = new KubeOvnIpam(client, { randomMac: counterMac() });
    const ann = { 'ovn.kubernetes.io/ip_address': at(30) };
    const err = await ipam.podAnnotations(vmiOf('thief-x1', { vm: 'thief', annotations: ann }), ann).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeOvnAddressError);
    expect((err as KubeOvnAddressError).reason).toBe('AddressConflict');
    expect((err as KubeOvnAddressError).message).toContain(`fixed.${NS}`);
    expect(await getIp(`thief.${NS}`)).toBeUndefined();
    expect((await getIp(`fixed.${NS}`))?.spec?.podName).toBe('fixed');
  });

  test("a kube-ovn NetworkAttachmentDefinition gets its provider's annotations and its own IP object", async () => {
    const ipam = new KubeOvnIpam(client, { randomMac: counterMac() });
    const out = await ipam.podAnnotations(vmiOf('multi-x1', { vm: 'multi', blue: true }), {});
    expect(out[`${BLUE_PROVIDER}.kubernetes.io/ip_address`]).toBe(attachAt(2));
    expect(out[`${BLUE_PROVIDER}.kubernetes.io/cidr`]).toBe(ATTACH_CIDR);
    expect(out[`${BLUE_PROVIDER}.kubernetes.io/gateway`]).toBe(attachAt(1));
    expect(out[`${BLUE_PROVIDER}.kubernetes.io/logical_switch`]).toBe(ATTACH_SUBNET);
    expect(out[`${BLUE_PROVIDER}.kubernetes.io/allocated`]).toBe('true');
    expect(out[`${BLUE_PROVIDER}.kubernetes.io/nat_outgoing`]).toBeUndefined();
    // The pod's own interface is still the namespace subnet's.
    expect(out['ovn.kubernetes.io/logical_switch']).toBe(SUBNET);
    const attach = await getIp(`multi.${NS}.${BLUE_PROVIDER}`);
    expect(attach?.spec).toMatchObject({
      podName: 'multi',
      namespace: NS,
      subnet: ATTACH_SUBNET,
      v4IpAddress: attachAt(2),
      macAddress: out[`${BLUE_PROVIDER}.kubernetes.io/mac_address`],
    });
    expect((await getIp(`multi.${NS}`))?.spec?.subnet).toBe(SUBNET);
    expect(out['ovn.kubernetes.io/mac_address']).not.toBe(out[`${BLUE_PROVIDER}.kubernetes.io/mac_address`]);
  });

  test('a standalone VMI owns its own IP object', async () => {
    const ipam = new KubeOvnIpam(client, { randomMac: counterMac() });
    await ipam.podAnnotations(vmiOf('loner'), {});
    const ip = await getIp(`loner.${NS}`);
    expect(ip?.spec?.podName).toBe('loner');
    expect(ip?.spec?.podType).toBe('');
    expect(ip?.metadata?.annotations?.['virtkit.io/ip-owner-kind']).toBe('VirtualMachineInstance');
  });

  test("a VLAN subnet: a missing Vlan is InvalidSubnet and writes nothing; the Vlan's ID and provider network once it exists", async () => {
    await createSubnet(VLAN_SUBNET, { cidrBlock: `10.254.${OCTET}.0/24`, vlan: VLAN });
    const ipam = new KubeOvnIpam(client, { randomMac: counterMac() });
    const ann = { 'ovn.kubernetes.io/logical_switch': VLAN_SUBNET };
    const err = await ipam.podAnnotations(vmiOf('under-x1', { vm: 'under', annotations: ann }), ann).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as KubeOvnAddressError).reason).toBe('InvalidSubnet');
    expect((err as KubeOvnAddressError).message).toContain(VLAN);
    expect(await getIp(`under.${NS}`)).toBeUndefined();
    await client.create(KUBE_OVN_VLANS, undefined, {
      apiVersion: 'kubeovn.io/v1',
      kind: 'Vlan',
      metadata: { name: VLAN },
      spec: { id: 100, provider: 'physnet1' },
    });
    const out = await ipam.podAnnotations(vmiOf('under-x1', { vm: 'under', annotations: ann }), ann);
    expect(out).toMatchObject({
      'ovn.kubernetes.io/logical_switch': VLAN_SUBNET,
      'ovn.kubernetes.io/ip_address': `10.254.${OCTET}.2`,
      'ovn.kubernetes.io/vlan_id': '100',
      'ovn.kubernetes.io/provider_network': 'physnet1',
    });
    expect((await getIp(`under.${NS}`))?.spec?.subnet).toBe(VLAN_SUBNET);
  });

  test('gc() deletes the IP objects of owners that are gone, keeps the rest and writes Subnet status', async () => {
    // A foreign IP object (not virtkit's) in the subnet: never collected, but counted.
    await client.create<IP>(KUBE_OVN_IPS, undefined, {
      apiVersion: 'kubeovn.io/v1',
      kind: 'IP',
      metadata: { name: `foreign.${NS}` },
      spec: { podName: 'foreign', namespace: NS, subnet: SUBNET, v4IpAddress: at(40), ipAddress: at(40) },
    });
    const ipam = new KubeOvnIpam(client);
    const gone = new Set(['fixed', 'loner', 'foreign']);
    const asked: string[] = [];
    await ipam.gc((o) => {
      if (o.namespace !== NS) return true; // other suites' objects are not ours to judge
      asked.push(`${o.kind}/${o.name}`);
      return !gone.has(o.name);
    });
    expect(asked).toEqual(expect.arrayContaining(['VirtualMachine/fixed', 'VirtualMachineInstance/loner']));
    expect(asked).not.toContain(expect.stringContaining('foreign'));
    expect(await ipNamesOfRun()).toEqual(
      [
        `beta.${NS}`,
        `delta.${NS}`,
        `foreign.${NS}`,
        `gamma.${NS}`,
        `multi.${NS}`,
        `multi.${NS}.${BLUE_PROVIDER}`,
        `under.${NS}`,
      ].sort(),
    );
    // SUBNET: beta .6, delta .5, gamma .8, multi .9, foreign .40 = 5 in use; 254 usable less
    // the gateway, .2-.4 and .7 (5) less those 5 = 244 available.
    const s = await client.get<Subnet>(KUBE_OVN_SUBNETS, undefined, SUBNET);
    expect(s.status).toMatchObject({ v4usingIPs: 5, v4availableIPs: 244 });
    const blue = await client.get<Subnet>(KUBE_OVN_SUBNETS, undefined, ATTACH_SUBNET);
    expect(blue.status).toMatchObject({ v4usingIPs: 1, v4availableIPs: 254 - 1 - 1 });
    // The spec is untouched by the status write.
    expect(s.spec?.excludeIps).toEqual([`${at(2)}..${at(4)}`, at(7)]);
    // Level-triggered: a second run with nothing gone changes nothing.
    await ipam.gc(() => true);
    const again = await client.get<Subnet>(KUBE_OVN_SUBNETS, undefined, SUBNET);
    expect(again.metadata?.resourceVersion).toBe(s.metadata?.resourceVersion);
  });

  test("IPPools: ip_pool takes the named pool's addresses, a bound namespace only its pools', others never a pool's; gc writes pool status", async () => {
    const createPool = (name: string, spec: NonNullable<IPPool['spec']>) =>
      client.create<IPPool>(KUBE_OVN_IPPOOLS, undefined, {
        apiVersion: 'kubeovn.io/v1',
        kind: 'IPPool',
        metadata: { name },
        spec,
      });
    // SUBNET holds .5, .6, .8, .9 and .40 (.7 excluded): .10 is the lowest free address.
    await createPool(POOL, { subnet: SUBNET, ips: [at(10), at(100)] });
    const ipam = new KubeOvnIpam(client, { randomMac: counterMac() });
    // A VM without ip_pool skips the pool's free .10.
    const plain = await ipam.podAnnotations(vmiOf('plain-x1', { vm: 'plain' }), {});
    expect(plain['ovn.kubernetes.io/ip_address']).toBe(at(11));
    const ask = { 'ovn.kubernetes.io/ip_pool': POOL };
    const first = await ipam.podAnnotations(vmiOf('pa-x1', { vm: 'pa', annotations: ask }), ask);
    expect(first['ovn.kubernetes.io/ip_address']).toBe(at(10));
    expect(first['ovn.kubernetes.io/logical_switch']).toBe(SUBNET);
    const second = await ipam.podAnnotations(vmiOf('pb-x1', { vm: 'pb', annotations: ask }), ask);
    expect(second['ovn.kubernetes.io/ip_address']).toBe(at(100));
    const full = await ipam.podAnnotations(vmiOf('pc-x1', { vm: 'pc', annotations: ask }), ask).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((full as KubeOvnAddressError).reason).toBe('NoAvailableAddress');
    expect((full as KubeOvnAddressError).message).toContain(`IPPool ${POOL} has no free address`);
    expect(await getIp(`pc.${NS}`)).toBeUndefined();
    // A missing pool is named.
    const missing = { 'ovn.kubernetes.io/ip_pool': 'no-such-pool' };
    const gone = await ipam.podAnnotations(vmiOf('pd-x1', { vm: 'pd', annotations: missing }), missing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((gone as KubeOvnAddressError).reason).toBe('IPPoolNotFound');

    // A namespace bound to a pool takes only its addresses (.2 and .3 are free but not pooled).
    await createSubnet(POOLED_SUBNET, { cidrBlock: `10.251.${OCTET}.0/24`, namespaces: [POOLED_NS] });
    await createPool(POOLED_POOL, {
      subnet: POOLED_SUBNET,
      ips: [`${pooledAt(50)}..${pooledAt(52)}`],
      namespaces: [POOLED_NS],
    });
    const bound = await ipam.podAnnotations(vmiOf('pe-x1', { vm: 'pe', namespace: POOLED_NS }), {});
    expect(bound['ovn.kubernetes.io/logical_switch']).toBe(POOLED_SUBNET);
    expect(bound['ovn.kubernetes.io/ip_address']).toBe(pooledAt(50));

    await ipam.gc((o) => o.namespace !== NS || o.name !== 'never');
    const status = async (name: string) =>
      (await client.get<IPPool>(KUBE_OVN_IPPOOLS, undefined, name)).status;
    expect(await status(POOL)).toMatchObject({ v4UsingIPs: 2, v4AvailableIPs: 0 });
    expect(await status(POOLED_POOL)).toMatchObject({ v4UsingIPs: 1, v4AvailableIPs: 2 });
  });

  test('a running pod labelled app=kube-ovn-controller (the real Kube-OVN) makes it step aside until that pod goes', async () => {
    const ipam = new KubeOvnIpam(client, {
      randomMac: counterMac(),
      detectRealKubeOvn: () => runningKubeOvnController(client),
    });
    expect(await ipam.detect()).toBe(false);
    expect(ipam.enabled).toBe(true);
    await client.create(PODS, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kube-ovn-controller-0', namespace: NS, labels: { app: 'kube-ovn-controller' } },
      spec: { containers: [{ name: 'kube-ovn-controller', image: 'kubeovn/kube-ovn:v1.14.0' }] },
    });
    // Pending (not scheduled): not running yet, so virtkit still allocates.
    expect(await ipam.detect()).toBe(false);
    expect(ipam.enabled).toBe(true);
    // Playing its kubelet (the scheduler may write the pod meanwhile: a conflict is tried again).
    await eventually('the Kube-OVN controller pod Running', async () => {
      const pod = await client.get<{ status?: Record<string, unknown> }>(PODS, NS, 'kube-ovn-controller-0');
      await client.updateStatus(PODS, NS, 'kube-ovn-controller-0', {
        ...pod,
        status: { ...pod.status, phase: 'Running' },
      });
      return true;
    });
    expect(await ipam.detect()).toBe(true);
    expect(ipam.enabled).toBe(false);
    expect(ipam.deferredTo).toBe(`${NS}/kube-ovn-controller-0`);
    expect(await ipam.podAnnotations(vmiOf('real-x1', { vm: 'real' }), {})).toEqual({});
    expect(await getIp(`real.${NS}`)).toBeUndefined();
    const before = await ipNamesOfRun();
    await ipam.gc(() => false);
    expect(await ipNamesOfRun()).toEqual(before);
    await client.delete(PODS, NS, 'kube-ovn-controller-0', { gracePeriodSeconds: 0 });
    await eventually('the Kube-OVN controller pod gone', async () =>
      (await client.getIfExists(PODS, NS, 'kube-ovn-controller-0')) ? undefined : true,
    );
    expect(await ipam.detect()).toBe(true);
    expect(ipam.enabled).toBe(true);
    expect(
      (await ipam.podAnnotations(vmiOf('real-x1', { vm: 'real' }), {}))['ovn.kubernetes.io/ip_address'],
    ).toBeDefined();
  });

  test('switched off, it allocates nothing and collects nothing', async () => {
    const ipam = new KubeOvnIpam(client, { enabled: false });
    expect(ipam.enabled).toBe(false);
    expect(await ipam.podAnnotations(vmiOf('off-x1', { vm: 'off' }), {})).toEqual({});
    expect(await getIp(`off.${NS}`)).toBeUndefined();
    const before = await ipNamesOfRun();
    await ipam.gc(() => false);
    expect(await ipNamesOfRun()).toEqual(before);
  });
});
