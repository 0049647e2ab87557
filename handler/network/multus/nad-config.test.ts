import { CniConfigError } from '../cni/errors';
import { nadNetworkConfig } from './nad-config';

const ref = { namespace: 'rt-multus', name: 'br-a' };
const nad = (config: unknown) => ({ metadata: ref, spec: { config } });

function configError(f: () => unknown): CniConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CniConfigError);
    return e as CniConfigError;
  }
  throw new Error('no error');
}

describe('nadNetworkConfig', () => {
  it('reads a configuration list', () => {
    const list = nadNetworkConfig(
      nad(
        JSON.stringify({
          cniVersion: '0.3.1',
          name: 'br-a-net',
          plugins: [{ type: 'bridge', bridge: 'br1', ipam: { type: 'static' } }, { type: 'tuning' }],
        }),
      ),
      ref,
    );
    expect(list.name).toBe('br-a-net');
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'tuning']);
    expect(list.source).toBe('NetworkAttachmentDefinition rt-multus/br-a spec.config');
  });

  it('makes a single plugin configuration a one-plugin list named after the NAD when it has no name', () => {
    const list = nadNetworkConfig(
      nad(
        JSON.stringify({
          cniVersion: '1.0.0',
          type: 'macvlan',
          master: 'eth0',
          ipam: { type: 'host-local' },
        }),
      ),
      ref,
    );
    expect(list.name).toBe('br-a');
    expect(list.plugins).toEqual([
      { cniVersion: '1.0.0', type: 'macvlan', master: 'eth0', ipam: { type: 'host-local' }, name: 'br-a' },
    ]);
  });

  it('malformed JSON names the NAD and the JSON error', () => {
    const e = configError(() => nadNetworkConfig(nad('{"cniVersion": "1.0.0", "type": '), ref));
    expect(e.reason).toBe('InvalidNetworkConfig');
    expect(e.message).toMatch(
      /^invalid CNI network configuration NetworkAttachmentDefinition rt-multus\/br-a spec\.config: \$: is not valid JSON \(.+\); correct the JSON syntax$/,
    );
  });

  it('an empty or missing spec.config is an error (no configuration file is looked for)', () => {
    for (const config of [undefined, '', '  ']) {
      const e = configError(() => nadNetworkConfig(nad(config), ref));
      expect(e.message).toContain('NetworkAttachmentDefinition rt-multus/br-a spec.config: $: is empty');
      expect(e.message).toContain('put the CNI configuration JSON in spec.config');
    }
    expect(configError(() => nadNetworkConfig(nad(5), ref)).message).toContain('$ 5: is not a string');
  });

  it('gathers the configuration problems like a file', () => {
    const e = configError(() =>
      nadNetworkConfig(nad(JSON.stringify({ cniVersion: '9.9.9', plugins: [{ type: '../sh' }] })), ref),
    );
    expect(e.problems.map((p) => p.path)).toEqual(['$.cniVersion', '$.plugins[0].type']);
  });
});
