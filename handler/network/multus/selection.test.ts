import { NetworkSelectionError } from './errors';
import { parseDefaultNetworkSelection, parseNetworkSelections } from './selection';

function problem(f: () => unknown): NetworkSelectionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NetworkSelectionError);
    return e as NetworkSelectionError;
  }
  throw new Error('no error');
}

describe('parseNetworkSelections (k8s.v1.cni.cncf.io/networks)', () => {
  it('reads the JSON form: namespace defaults to the pod, interfaces to net<position>', () => {
    expect(
      parseNetworkSelections(
        JSON.stringify([
          { name: 'br-static-a', namespace: 'rt-multus', interface: 'pod3f2a91c0' },
          { name: 'br-b', mac: '02:00:00:00:00:01', ips: ['10.1.1.5/24'] },
          { name: 'br-c' },
        ]),
        'vms',
      ),
    ).toEqual([
      { namespace: 'rt-multus', name: 'br-static-a', interface: 'pod3f2a91c0' },
      { namespace: 'vms', name: 'br-b', interface: 'net2', mac: '02:00:00:00:00:01', ips: ['10.1.1.5/24'] },
      { namespace: 'vms', name: 'br-c', interface: 'net3' },
    ]);
  });

  it('reads the short text form, with and without namespace and interface', () => {
    expect(parseNetworkSelections(' other/br-a@eth5 , br-b,  x/br-c ', 'vms')).toEqual([
      { namespace: 'other', name: 'br-a', interface: 'eth5' },
      { namespace: 'vms', name: 'br-b', interface: 'net2' },
      { namespace: 'x', name: 'br-c', interface: 'net3' },
    ]);
  });

  it('no annotation, or an empty one, selects nothing', () => {
    expect(parseNetworkSelections(undefined, 'vms')).toEqual([]);
    expect(parseNetworkSelections('  ', 'vms')).toEqual([]);
    expect(parseNetworkSelections('[]', 'vms')).toEqual([]);
  });

  it('malformed JSON names the annotation and the JSON error', () => {
    const e = problem(() => parseNetworkSelections('[{"name": "a"', 'vms'));
    expect(e.reason).toBe('InvalidNetworkSelection');
    expect(e.message).toMatch(/^annotation k8s\.v1\.cni\.cncf\.io\/networks: is not valid JSON \(/);
  });

  it('gathers every problem of every element', () => {
    const e = problem(() =>
      parseNetworkSelections(
        JSON.stringify([
          { namespace: 'x' },
          { name: 'Bad_Name', interface: 'much-too-long-interface' },
          { name: 'a', interface: 'eth0' },
          { name: 'b', interface: 'net5', mac: 'zz', ips: ['10.1.1.300/24'] },
          { name: 'c', interface: 'net5' },
          { name: 'd', ips: 'x' },
          { name: 'e', 'default-route': ['10.0.0.1'] },
          'f',
        ]),
        'vms',
      ),
    );
    expect(e.problems.map((p) => p.at)).toEqual([
      '[0].name',
      '[5].ips',
      '[6].default-route',
      '[7]',
      '[1]',
      '[1]',
      '[2]',
      '[3]',
      '[3]',
      '[4]',
    ]);
    expect(e.message).toContain('[0].name: is required');
    expect(e.message).toContain('name "Bad_Name" is not a NetworkAttachmentDefinition name');
    expect(e.message).toContain('interface "much-too-long-interface" is not a Linux interface name');
    expect(e.message).toContain(`interface "eth0" is the default network's`);
    expect(e.message).toContain('mac "zz" is not a MAC address');
    expect(e.message).toContain('ips value "10.1.1.300/24" is not an IP address');
    expect(e.message).toContain('interface "net5" is used by [3] too');
    expect(e.message).toContain('[6].default-route: is not supported by virtkit yet');
  });

  it('refuses a JSON value that is not an array, and bad short-form elements', () => {
    expect(problem(() => parseNetworkSelections('{"name": "a"}', 'vms')).message).toContain(
      'networks: is not a JSON array',
    );
    expect(problem(() => parseNetworkSelections('a,,b', 'vms')).message).toContain('element 2: is empty');
    expect(problem(() => parseNetworkSelections('a@', 'vms')).message).toContain(
      'has an empty interface after "@"',
    );
    expect(problem(() => parseNetworkSelections('a/b/c', 'vms')).message).toContain(
      'name "b/c" is not a NetworkAttachmentDefinition name',
    );
    expect(problem(() => parseNetworkSelections('a, a@net1', 'vms')).message).toContain(
      'interface "net1" is used by "a" too',
    );
  });
});

describe('parseDefaultNetworkSelection (v1.multus-cni.io/default-network)', () => {
  it('reads ns/name and name', () => {
    expect(parseDefaultNetworkSelection('other/br-a', 'vms')).toEqual({ namespace: 'other', name: 'br-a' });
    expect(parseDefaultNetworkSelection(' br-a ', 'vms')).toEqual({ namespace: 'vms', name: 'br-a' });
    expect(parseDefaultNetworkSelection(undefined, 'vms')).toBeUndefined();
  });

  it('refuses an interface and bad names, naming the annotation', () => {
    const e = problem(() => parseDefaultNetworkSelection('NS/a@net1', 'vms'));
    expect(e.message).toMatch(/^annotation v1\.multus-cni\.io\/default-network: names an interface/);
    expect(e.message).toContain('namespace "NS" is not a namespace name');
  });
});
