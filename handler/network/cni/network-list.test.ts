import { networkConfigListFrom } from './conflist';
import { CniPluginError } from './errors';
import type { PluginCall, PluginInvoker } from './exec';
import type { Attachment } from './invocation';
import { addNetworkList, checkNetworkList, delNetworkList, type ListRun } from './network-list';
import type { JsonObject } from './types';

const attachment: Attachment = {
  containerId: 'c1',
  netns: '/run/netns/x',
  ifName: 'eth0',
  pod: { namespace: 'ns', name: 'p', uid: 'c1' },
};

function listOf(cniVersion: string, disableCheck = false) {
  return networkConfigListFrom(
    { cniVersion, name: 'chain', disableCheck, plugins: [{ type: 'a' }, { type: 'b' }, { type: 'c' }] },
    'test',
  );
}

/** Records every call; ADD answers with a result naming the plugin that made it. */
function recorder(fail?: (c: PluginCall) => Error | undefined): {
  calls: PluginCall[];
  invoke: PluginInvoker;
} {
  const calls: PluginCall[] = [];
  const invoke: PluginInvoker = async (c) => {
    calls.push(c);
    const err = fail?.(c);
    if (err) throw err;
    return c.command === 'ADD' ? { cniVersion: c.stdin.cniVersion, by: c.type, ips: [] } : undefined;
  };
  return { calls, invoke };
}

const run = (list: ReturnType<typeof listOf>, invoke: PluginInvoker): ListRun => ({
  list,
  attachment,
  pluginDirs: ['/nowhere'],
  invoke,
});

describe('running a configuration list', () => {
  it("ADD gives each plugin the previous plugin's result and returns the last", async () => {
    const r = recorder();
    const result = await addNetworkList(run(listOf('1.0.0'), r.invoke));
    expect(
      r.calls.map((c) => [c.command, c.type, (c.stdin.prevResult as JsonObject | undefined)?.by]),
    ).toEqual([
      ['ADD', 'a', undefined],
      ['ADD', 'b', 'a'],
      ['ADD', 'c', 'b'],
    ]);
    expect(result.by).toBe('c');
    expect(r.calls.every((c) => c.attachment === attachment && c.network === 'chain')).toBe(true);
  });

  it('ADD stops at the first failure', async () => {
    const r = recorder((c) =>
      c.type === 'b' ? new CniPluginError('chain', 'b', 'ADD', 11, 'busy', '', '') : undefined,
    );
    await expect(addNetworkList(run(listOf('1.0.0'), r.invoke))).rejects.toThrow(CniPluginError);
    expect(r.calls.map((c) => c.type)).toEqual(['a', 'b']);
  });

  it('DEL runs in reverse order with the cached result as prevResult', async () => {
    const r = recorder();
    await delNetworkList(run(listOf('1.0.0'), r.invoke), { cached: true });
    expect(r.calls.map((c) => [c.command, c.type, c.stdin.prevResult])).toEqual([
      ['DEL', 'c', { cached: true }],
      ['DEL', 'b', { cached: true }],
      ['DEL', 'a', { cached: true }],
    ]);
  });

  it('DEL of a 0.3.x list passes no prevResult', async () => {
    const r = recorder();
    await delNetworkList(run(listOf('0.3.1'), r.invoke), { cached: true });
    expect(r.calls.map((c) => c.stdin.prevResult)).toEqual([undefined, undefined, undefined]);
  });

  it('DEL goes on past a failing plugin and then reports it', async () => {
    const r = recorder((c) => (c.type === 'b' ? new Error('b broke') : undefined));
    await expect(delNetworkList(run(listOf('1.0.0'), r.invoke), undefined)).rejects.toThrow('b broke');
    expect(r.calls.map((c) => c.type)).toEqual(['c', 'b', 'a']);
  });

  it('CHECK runs in order with the cached result, and not at all before 0.4.0 or when disabled', async () => {
    const r = recorder();
    expect(await checkNetworkList(run(listOf('1.0.0'), r.invoke), { cached: 1 })).toBe(true);
    expect(r.calls.map((c) => [c.command, c.type, c.stdin.prevResult])).toEqual([
      ['CHECK', 'a', { cached: 1 }],
      ['CHECK', 'b', { cached: 1 }],
      ['CHECK', 'c', { cached: 1 }],
    ]);
    const quiet = recorder();
    expect(await checkNetworkList(run(listOf('0.3.1'), quiet.invoke), { cached: 1 })).toBe(false);
    expect(await checkNetworkList(run(listOf('1.0.0', true), quiet.invoke), { cached: 1 })).toBe(false);
    expect(quiet.calls).toHaveLength(0);
  });

  it('refuses an ADD that printed no result', async () => {
    const invoke: PluginInvoker = async () => undefined;
    await expect(addNetworkList(run(listOf('1.0.0'), invoke))).rejects.toThrow(
      /plugin "a": succeeded but printed no result/,
    );
  });
});
