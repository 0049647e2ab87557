import {
  KVM_RESOURCE,
  leaseObject,
  microTime,
  nodeCapacity,
  nodeLabels,
  nodeMetadataApply,
  nodeStatusPatch,
  taintsWithoutStartup,
  type HostFacts,
} from './node-object';

const facts: HostFacts = {
  nodeName: 'n1',
  hostname: 'host-1',
  ip: '10.1.2.3',
  cpus: 4,
  memoryBytes: 8 * 2 ** 30,
  kvm: false,
  kvmReason: 'no /dev/kvm',
  tun: true,
  vhostNet: false,
  kernelVersion: '6.1.0',
  osImage: 'Debian',
  bootId: 'b',
  machineId: 'm',
  handlerVersion: '0.1.0',
};

describe('node object', () => {
  it('labels the node schedulable for VMs and names its host', () => {
    expect(nodeLabels(facts)).toMatchObject({
      'kubevirt.io/schedulable': 'true',
      'kubernetes.io/hostname': 'n1',
    });
  });

  it('advertises the KVM device only when KVM works', () => {
    expect(nodeCapacity(facts)).toEqual({
      cpu: '4',
      memory: '8388608Ki',
      pods: '110',
      'devices.kubevirt.io/tun': '1k',
    });
    expect(nodeCapacity({ ...facts, kvm: true })[KVM_RESOURCE]).toBe('1k');
  });

  it('posts Ready=True and keeps the transition time of an unchanged condition', () => {
    const first = nodeStatusPatch(facts, 't1') as {
      status: {
        conditions: { type: string; status: string; lastTransitionTime: string }[];
        addresses: unknown[];
      };
    };
    const ready = first.status.conditions.find((c) => c.type === 'Ready')!;
    expect(ready.status).toBe('True');
    expect(first.status.addresses).toContainEqual({ type: 'InternalIP', address: '10.1.2.3' });
    const second = nodeStatusPatch(facts, 't2', first.status.conditions) as typeof first;
    expect(second.status.conditions.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe('t1');
  });

  it('drops only the start-up taints', () => {
    const user = { key: 'team', value: 'a', effect: 'NoSchedule' };
    expect(
      taintsWithoutStartup([{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, user]),
    ).toEqual([user]);
    expect(taintsWithoutStartup([user])).toBeUndefined();
    expect(taintsWithoutStartup(undefined)).toBeUndefined();
  });

  it('writes lease renew times with microseconds', () => {
    expect(microTime(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02T03:04:05.678000Z');
    const lease = leaseObject('n1', 'uid-1', new Date(0)) as {
      metadata: { namespace: string };
      spec: { holderIdentity: string };
    };
    expect(lease.metadata.namespace).toBe('kube-node-lease');
    expect(lease.spec.holderIdentity).toBe('n1');
  });

  it('publishes the node API endpoint only when there is one (so applying without it removes it)', () => {
    expect(nodeMetadataApply(facts, 'https://127.0.0.1:8186')).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'n1',
        labels: nodeLabels(facts),
        annotations: { 'virtkit.io/handler-endpoint': 'https://127.0.0.1:8186' },
      },
    });
    expect(nodeMetadataApply(facts).metadata).not.toHaveProperty('annotations');
  });

  it('publishes the Kube-OVN tunnel endpoint beside the node API, each only when there is one', () => {
    expect(nodeMetadataApply(facts, 'https://127.0.0.1:8186', '10.1.2.3:4789').metadata).toMatchObject({
      annotations: {
        'virtkit.io/handler-endpoint': 'https://127.0.0.1:8186',
        'virtkit.io/kube-ovn-tunnel': '10.1.2.3:4789',
      },
    });
    expect(nodeMetadataApply(facts, undefined, '10.1.2.3:4789').metadata).toMatchObject({
      annotations: { 'virtkit.io/kube-ovn-tunnel': '10.1.2.3:4789' },
    });
  });
});
