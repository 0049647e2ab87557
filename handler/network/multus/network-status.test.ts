import type { AttachmentStatus, PodNetworkStatus } from '../cni/pod-network';
import { parseCniResult } from '../cni/result';
import { networkStatusAnnotation, networkStatusEntries } from './network-status';

function attachment(
  name: string,
  ifName: string,
  ips: string[],
  mac: string | undefined,
  isDefault: boolean,
  dns: object = {},
): AttachmentStatus {
  const result = parseCniResult({ cniVersion: '1.0.0', interfaces: [], ips: [], dns });
  return {
    name,
    networkName: name.replace('/', '-'),
    ifName,
    default: isDefault,
    interfaces: [],
    ips,
    ...(mac ? { mac } : {}),
    result,
  };
}

describe('networkStatusEntries', () => {
  it("one entry per attachment in ADD order, Multus's fields, default only on eth0", () => {
    const attachments = [
      attachment('virtkit', 'eth0', ['10.244.0.5'], '0a:58:0a:f4:00:05', true, {
        nameservers: ['10.96.0.10'],
      }),
      attachment('rt-multus/br-static-a', 'pod3f2a91c0', ['10.200.0.10'], '02:00:00:00:00:01', false),
      attachment('rt-multus/no-ipam', 'net2', [], undefined, false),
    ];
    const status = { attachments } as unknown as PodNetworkStatus;
    const entries = networkStatusEntries(status);
    expect(entries).toEqual([
      {
        name: 'virtkit',
        interface: 'eth0',
        ips: ['10.244.0.5'],
        mac: '0a:58:0a:f4:00:05',
        default: true,
        dns: { nameservers: ['10.96.0.10'] },
      },
      {
        name: 'rt-multus/br-static-a',
        interface: 'pod3f2a91c0',
        ips: ['10.200.0.10'],
        mac: '02:00:00:00:00:01',
        dns: {},
      },
      { name: 'rt-multus/no-ipam', interface: 'net2', dns: {} },
    ]);
    expect(JSON.parse(networkStatusAnnotation(entries))).toEqual(entries);
  });
});
