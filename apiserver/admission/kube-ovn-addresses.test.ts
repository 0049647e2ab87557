import type { IP, IPPool, Subnet } from '../../api/kubeovn/v1';
import { admitRequest } from './admit';
import { kubeOvnAddressCauses, type KubeOvnLookup } from './kube-ovn-addresses';
import type { AdmissionRequest, AdmissionResponse, AdmissionReview } from './review';

const subnet: Subnet = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'Subnet',
  metadata: { name: 'tenant' },
  spec: {
    cidrBlock: '10.70.0.0/24',
    gateway: '10.70.0.1',
    excludeIps: ['10.70.0.2..10.70.0.9'],
    namespaces: ['apps'],
  },
};
const attachSubnet: Subnet = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'Subnet',
  metadata: { name: 'storage' },
  spec: { cidrBlock: '10.80.0.0/24', provider: 'stor.apps.ovn' },
};
const held = (name: string, address: string, sub = 'tenant'): IP => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  metadata: { name },
  spec: {
    podName: name.split('.')[0],
    namespace: 'apps',
    subnet: sub,
    v4IpAddress: address,
    macAddress: '00:00:00:aa:bb:cc',
  },
});

const pool = (name: string, ips: string[], sub = 'tenant', namespaces?: string[]): IPPool => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IPPool',
  metadata: { name },
  spec: { subnet: sub, ips, ...(namespaces ? { namespaces } : {}) },
});

function lookup(
  subnets: Subnet[] = [subnet, attachSubnet],
  ips: IP[] = [held('db.apps', '10.70.0.20')],
  pools: IPPool[] = [pool('web-pool', ['10.70.0.100..10.70.0.110'])],
): KubeOvnLookup & {
  calls: number;
} {
  const l = {
    calls: 0,
    subnets: () => {
      l.calls++;
      return Promise.resolve(subnets);
    },
    ips: () => Promise.resolve(ips),
    pools: () => Promise.resolve(pools),
  };
  return l;
}

function vm(name: string, annotations: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'apps' },
    spec: {
      runStrategy: 'Halted',
      template: {
        metadata: { annotations },
        spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } },
      },
    },
  };
}

function request(object: Record<string, unknown>, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    uid: 'u1',
    kind: { group: 'kubevirt.io', version: 'v1', kind: String(object.kind) },
    operation: 'CREATE',
    namespace: 'apps',
    name: (object.metadata as { name: string }).name,
    object,
    ...extra,
  };
}

const IP_KEY = 'ovn.kubernetes.io/ip_address';
const FIELD = `spec.template.metadata.annotations[${IP_KEY}]`;

describe('fixed Kube-OVN addresses at admission', () => {
  it.each([
    ['10.99.0.5', 'AddressOutOfRange', /outside Subnet tenant \(10\.70\.0\.0\/24\)'s usable addresses/],
    ['10.70.0.255', 'AddressOutOfRange', /outside/],
    ['10.70.0.4', 'AddressExcluded', /is in spec\.excludeIps of Subnet tenant/],
    ['10.70.0.1', 'AddressConflict', /is the gateway of Subnet tenant/],
    ['10.70.0.20', 'AddressConflict', /already allocated to db\.apps \(IP object\)/],
    ['ten.one', 'InvalidAddress', /is "ten\.one", which is not an IPv4 address/],
  ])('%s is refused with %s, naming the annotation', async (address, reason, text) => {
    const causes = await kubeOvnAddressCauses(request(vm('web', { [IP_KEY]: address })), lookup());
    expect(causes).toEqual([
      { type: 'FieldValueInvalid', field: FIELD, message: expect.stringMatching(text) },
    ]);
    expect(causes[0].message.startsWith(`${reason}: annotation ${IP_KEY}`)).toBe(true);
  });

  it('a free address inside the block passes; the VM may keep the address its own IP object holds', async () => {
    expect(await kubeOvnAddressCauses(request(vm('web', { [IP_KEY]: '10.70.0.50' })), lookup())).toEqual([]);
    expect(await kubeOvnAddressCauses(request(vm('db', { [IP_KEY]: '10.70.0.20' })), lookup())).toEqual([]);
  });

  it("a standalone VMI is checked on its own annotations; a VM's VMI is left to the controller", async () => {
    const vmi = (owner?: string) => ({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: {
        name: 'db',
        namespace: 'apps',
        annotations: { [IP_KEY]: '10.70.0.20' },
        ...(owner
          ? {
              ownerReferences: [
                {
                  apiVersion: 'kubevirt.io/v1',
                  kind: 'VirtualMachine',
                  name: owner,
                  uid: 'x',
                  controller: true,
                },
              ],
            }
          : {}),
      },
      spec: { domain: { devices: {} } },
    });
    expect(await kubeOvnAddressCauses(request(vmi('db')), lookup())).toEqual([]);
    expect(await kubeOvnAddressCauses(request(vmi()), lookup())).toEqual([]); // its own IP object db.apps
    // A VM's VMI is not checked again: a conflict found when it starts is the controller's to
    // report on the VMI (it then waits for the address).
    expect(await kubeOvnAddressCauses(request(vmi('web')), lookup())).toEqual([]);
    // A standalone VMI named db is not the VM db: the address is another owner's.
    const standalone = await kubeOvnAddressCauses(
      request(vmi(), {}),
      lookup(
        undefined,
        [held('db.apps', '10.70.0.20')].map((i) => ({ ...i, metadata: { name: 'other.apps' } })),
      ),
    );
    expect(standalone[0]).toMatchObject({ field: `metadata.annotations[${IP_KEY}]` });
  });

  it('a logical_switch naming a missing Subnet is refused on that annotation', async () => {
    const causes = await kubeOvnAddressCauses(
      request(vm('web', { 'ovn.kubernetes.io/logical_switch': 'nope', [IP_KEY]: '10.70.0.50' })),
      lookup(),
    );
    expect(causes).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.template.metadata.annotations[ovn.kubernetes.io/logical_switch]',
        message: expect.stringMatching(/^SubnetNotFound: .*Subnet "nope", which does not exist/),
      },
    ]);
  });

  it('an ip_pool naming a missing IPPool, a pool of another Subnet, or listing no IPv4 address is refused on ip_pool', async () => {
    const POOL_KEY = 'ovn.kubernetes.io/ip_pool';
    const field = `spec.template.metadata.annotations[${POOL_KEY}]`;
    const l = lookup(undefined, undefined, [
      pool('web-pool', ['10.70.0.100..10.70.0.110']),
      pool('stor-pool', ['10.80.0.10..10.80.0.20'], 'storage'),
    ]);
    expect(await kubeOvnAddressCauses(request(vm('web', { [POOL_KEY]: 'nope' })), l)).toEqual([
      {
        type: 'FieldValueInvalid',
        field,
        message: expect.stringMatching(/^IPPoolNotFound: .*IPPool "nope", which does not exist/),
      },
    ]);
    const mismatch = await kubeOvnAddressCauses(
      request(vm('web', { [POOL_KEY]: 'stor-pool', 'ovn.kubernetes.io/logical_switch': 'tenant' })),
      l,
    );
    expect(mismatch).toEqual([
      {
        type: 'FieldValueInvalid',
        field,
        message: expect.stringMatching(
          /^IPPoolMismatch: .*IPPool stor-pool of Subnet storage.*Subnet tenant/,
        ),
      },
    ]);
    expect(await kubeOvnAddressCauses(request(vm('web', { [POOL_KEY]: 'fd00::5' })), l)).toEqual([
      expect.objectContaining({
        field,
        message: expect.stringMatching(/^InvalidAddress: .*no IPv4 address/),
      }),
    ]);
    // A pool of the namespace's Subnet, and a list of addresses, pass.
    expect(await kubeOvnAddressCauses(request(vm('web', { [POOL_KEY]: 'web-pool' })), l)).toEqual([]);
    expect(
      await kubeOvnAddressCauses(request(vm('web', { [POOL_KEY]: '10.70.0.30,10.70.0.31' })), l),
    ).toEqual([]);
  });

  it("an attachment's fixed address is checked against its provider's Subnet", async () => {
    const key = 'stor.apps.ovn.kubernetes.io/ip_address';
    const causes = await kubeOvnAddressCauses(request(vm('web', { [key]: '10.70.0.50' })), lookup());
    expect(causes).toEqual([
      {
        type: 'FieldValueInvalid',
        field: `spec.template.metadata.annotations[${key}]`,
        message: expect.stringMatching(/^AddressOutOfRange: .*Subnet storage \(10\.80\.0\.0\/24\)/),
      },
    ]);
  });

  it('a bad MAC is refused on the mac_address annotation', async () => {
    const causes = await kubeOvnAddressCauses(
      request(vm('web', { 'ovn.kubernetes.io/mac_address': '01:00:00:00:00:01' })),
      lookup(),
    );
    expect(causes[0]).toMatchObject({
      field: 'spec.template.metadata.annotations[ovn.kubernetes.io/mac_address]',
      message: expect.stringMatching(/multicast MAC/),
    });
  });

  it('is not asked when nothing asks for an address, when the annotations did not change, or for a namespace no Subnet serves', async () => {
    const l = lookup();
    expect(await kubeOvnAddressCauses(request(vm('web', {})), l)).toEqual([]);
    const bad = vm('web', { [IP_KEY]: '10.99.0.5' });
    expect(await kubeOvnAddressCauses(request(bad, { operation: 'UPDATE', oldObject: bad }), l)).toEqual([]);
    expect(l.calls).toBe(0);
    const other = { ...bad, metadata: { name: 'web', namespace: 'elsewhere' } };
    expect(await kubeOvnAddressCauses(request(other, { namespace: 'elsewhere' }), l)).toEqual([]);
    // A changed annotation on update is checked.
    const before = vm('web', { [IP_KEY]: '10.70.0.50' });
    expect(
      await kubeOvnAddressCauses(request(bad, { operation: 'UPDATE', oldObject: before }), l),
    ).toHaveLength(1);
  });

  it('a full Subnet is left to the controller (the VM may wait for room)', async () => {
    const tiny: Subnet = { ...subnet, spec: { ...subnet.spec, cidrBlock: '10.70.0.0/30', excludeIps: [] } };
    const causes = await kubeOvnAddressCauses(
      request(vm('web', { 'ovn.kubernetes.io/logical_switch': 'tenant' })),
      lookup([tiny], [held('a.apps', '10.70.0.2')]),
    );
    expect(causes).toEqual([]);
  });

  it('the webhook refuses with every cause, and fails closed when the Subnets cannot be read', async () => {
    const review = (object: Record<string, unknown>): AdmissionReview =>
      ({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: request(object),
      }) as AdmissionReview;
    const allow = () => Promise.resolve(true);
    type Answered = { response?: AdmissionResponse };
    const answer = async (r: AdmissionReview, l: KubeOvnLookup) =>
      ((await admitRequest(r, new Set(), allow, l)) as Answered).response;
    const refused = await answer(review(vm('web', { [IP_KEY]: '10.70.0.4' })), lookup());
    expect(refused).toMatchObject({ allowed: false, status: { code: 422, reason: 'Invalid' } });
    expect(refused?.status?.message).toContain(`${FIELD}: AddressExcluded`);
    const broken: KubeOvnLookup = {
      subnets: () => Promise.reject(new Error('connection refused')),
      ips: () => Promise.resolve([]),
      pools: () => Promise.resolve([]),
    };
    const closed = await answer(review(vm('web', { [IP_KEY]: '10.70.0.50' })), broken);
    expect(closed).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(closed?.status?.message).toMatch(
      /could not check the Kube-OVN addresses against the Subnets: connection refused/,
    );
    const fine = await answer(review(vm('web', { [IP_KEY]: '10.70.0.50' })), lookup());
    expect(fine?.allowed).toBe(true);
  });
});
