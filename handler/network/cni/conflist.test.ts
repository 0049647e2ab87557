import { networkConfigListDocument, networkConfigListFrom, parseNetworkConfigList } from './conflist';
import { CniConfigError } from './errors';

const good = {
  cniVersion: '1.0.0',
  name: 'podnet',
  plugins: [
    { type: 'bridge', bridge: 'br0', ipam: { type: 'host-local', subnet: '10.1.0.0/24' } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};

function problemsOf(doc: unknown, source = 'test.conflist'): CniConfigError {
  try {
    networkConfigListFrom(doc, source);
  } catch (e) {
    expect(e).toBeInstanceOf(CniConfigError);
    return e as CniConfigError;
  }
  throw new Error('expected a CniConfigError');
}

describe('network configuration lists', () => {
  it('reads a valid list, keeping every plugin field and the source', () => {
    const list = parseNetworkConfigList(JSON.stringify(good), '/etc/cni/net.d/10-pod.conflist');
    expect(list).toMatchObject({
      cniVersion: '1.0.0',
      name: 'podnet',
      disableCheck: false,
      source: '/etc/cni/net.d/10-pod.conflist',
    });
    expect(list.plugins).toEqual(good.plugins);
    expect(list.plugins[0]).not.toBe(good.plugins[0]);
  });

  it('turns a single-plugin .conf into a one-plugin list (libcni ConfListFromConf)', () => {
    const conf = {
      cniVersion: '0.4.0',
      name: 'single',
      type: 'macvlan',
      master: 'eth0',
      ipam: { type: 'static' },
    };
    const list = networkConfigListFrom(conf, '99-single.conf');
    expect(list.name).toBe('single');
    expect(list.cniVersion).toBe('0.4.0');
    expect(list.plugins).toEqual([conf]);
  });

  it('gathers every problem into one error naming the source, JSON path, value and fix', () => {
    const err = problemsOf(
      {
        cniVersion: '9.9.9',
        name: 'bad name!',
        disableCheck: 'yes',
        plugins: [
          { type: '../../bin/sh' },
          { bridge: 'x' },
          'str',
          { type: 'ok', capabilities: { portMappings: 'yes' } },
        ],
      },
      '/conf/10-bad.conflist',
    );
    const paths = err.problems.map((p) => p.path);
    expect(paths).toEqual([
      '$.cniVersion',
      '$.name',
      '$.disableCheck',
      '$.plugins[0].type',
      '$.plugins[1].type',
      '$.plugins[2]',
      '$.plugins[3].capabilities.portMappings',
    ]);
    expect(err.message).toContain('/conf/10-bad.conflist');
    expect(err.message).toContain(
      '$.cniVersion "9.9.9": is not a CNI version virtkit runs; use one of 0.3.0, 0.3.1, 0.4.0, 1.0.0',
    );
    expect(err.message).toContain('$.plugins[0].type "../../bin/sh": contains a slash');
    expect(err.reason).toBe('InvalidNetworkConfig');
  });

  it('refuses a missing or empty plugin list, and an ipam without a usable type', () => {
    expect(problemsOf({ cniVersion: '1.0.0', name: 'n', plugins: [] }).problems[0].path).toBe('$.plugins');
    expect(
      problemsOf({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge', ipam: { type: 'a/b' } }] })
        .problems[0].path,
    ).toBe('$.plugins[0].ipam.type');
    expect(problemsOf({ cniVersion: '1.0.0', name: 'n' }).problems[0].message).toContain('neither "plugins"');
  });

  it('reports malformed JSON and non-objects with the source', () => {
    expect(() => parseNetworkConfigList('{"cniVersion": "1.0.0",', 'broken.conflist')).toThrow(
      /invalid CNI network configuration broken\.conflist: \$: is not valid JSON/,
    );
    expect(() => parseNetworkConfigList('[1,2]', 'arr.json')).toThrow(/\$ \[1,2\]: is not a JSON object/);
  });

  it('writes a list back as the document it came from', () => {
    const list = networkConfigListFrom({ ...good, disableCheck: true }, 's');
    expect(networkConfigListDocument(list)).toEqual({ ...good, disableCheck: true });
    expect(networkConfigListDocument(networkConfigListFrom(good, 's'))).toEqual(good);
  });
});
