/**
 * The plugin runner against real executables: small shell scripts standing in for plugins, so
 * the environment, stdin, error results, time limit and look-up are those of a real exec.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CniExecError, CniPluginError, CniPluginNotFoundError } from './errors';
import { execPlugin, findPlugin, pluginDirsFrom, type PluginCall } from './exec';

let dir: string;
let out: string;

function plugin(name: string, body: string, mode = 0o755): void {
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode });
}

const call = (type: string, extra: Partial<PluginCall> = {}): PluginCall => ({
  network: 'testnet',
  type,
  command: 'ADD',
  attachment: {
    containerId: 'cid-1',
    netns: '/run/netns/test',
    ifName: 'eth0',
    pod: { namespace: 'ns1', name: 'pod1', uid: 'cid-1' },
  },
  stdin: { cniVersion: '1.0.0', name: 'testnet', type },
  pluginDirs: [path.join(dir, 'empty'), dir],
  ...extra,
});

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-cni-exec-'));
  out = path.join(dir, 'seen');
  fs.mkdirSync(path.join(dir, 'empty'));
  plugin(
    'echoer',
    `env > ${out}.env; cat > ${out}.stdin; echo '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.2/24"}]}'`,
  );
  plugin(
    'failer',
    `echo '{"cniVersion":"1.0.0","code":7,"msg":"bad config","details":"no bridge"}'; echo oops >&2; exit 1`,
  );
  plugin('crasher', `echo 'panic: nil pointer' >&2; exit 2`);
  plugin('garbler', `echo 'not json'`);
  plugin('silent', `exit 0`);
  plugin('sleeper', `sleep 30`);
  plugin('noexec', `exit 0`, 0o644);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('running a plugin binary', () => {
  it('passes the CNI environment and the configuration on stdin, and reads the result', async () => {
    process.env.VIRTKIT_TEST_SECRET = 'must-not-leak';
    try {
      const result = await execPlugin(call('echoer'));
      expect(result).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.9.0.2/24' }] });
    } finally {
      delete process.env.VIRTKIT_TEST_SECRET;
    }
    const env = fs.readFileSync(`${out}.env`, 'utf8');
    expect(env).toContain('CNI_COMMAND=ADD\n');
    expect(env).toContain('CNI_CONTAINERID=cid-1\n');
    expect(env).toContain('CNI_NETNS=/run/netns/test\n');
    expect(env).toContain('CNI_IFNAME=eth0\n');
    expect(env).toContain(`CNI_PATH=${path.join(dir, 'empty')}:${dir}\n`);
    expect(env).toContain(
      'CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1;K8S_POD_INFRA_CONTAINER_ID=cid-1;K8S_POD_UID=cid-1\n',
    );
    expect(env).not.toContain('must-not-leak');
    expect(JSON.parse(fs.readFileSync(`${out}.stdin`, 'utf8'))).toEqual({
      cniVersion: '1.0.0',
      name: 'testnet',
      type: 'echoer',
    });
  });

  it("turns the plugin's error result into CniPluginError with code, msg, plugin and network", async () => {
    const err = (await execPlugin(call('failer')).catch((e) => e)) as CniPluginError;
    expect(err).toBeInstanceOf(CniPluginError);
    expect(err).toMatchObject({
      code: 7,
      msg: 'bad config',
      details: 'no bridge',
      plugin: 'failer',
      network: 'testnet',
      command: 'ADD',
      stderr: 'oops',
    });
    expect(err.message).toBe(
      'CNI ADD of network "testnet": plugin "failer" failed (code 7, invalid network config): bad config (no bridge)',
    );
  });

  it('reports a crash without an error result with its stderr, and output that is not JSON', async () => {
    await expect(execPlugin(call('crasher'))).rejects.toThrow(
      /plugin "crasher": exited with status 2 without an error result: panic: nil pointer/,
    );
    await expect(execPlugin(call('garbler'))).rejects.toThrow(CniExecError);
    await expect(execPlugin(call('garbler'))).rejects.toThrow(/printed output that is not JSON/);
    await expect(execPlugin(call('silent', { command: 'DEL' }))).resolves.toBeUndefined();
  });

  it('kills a plugin at its time limit', async () => {
    const started = Date.now();
    await expect(execPlugin(call('sleeper', { timeoutMs: 300 }))).rejects.toThrow(
      /plugin "sleeper": killed after 0.3s/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('finds plugins only by name inside the plugin directories', () => {
    expect(findPlugin('echoer', [dir])).toBe(path.join(dir, 'echoer'));
    expect(() => findPlugin('noexec', [dir])).toThrow(CniPluginNotFoundError);
    expect(() => findPlugin(`../${path.basename(dir)}/echoer`, [dir])).toThrow(CniPluginNotFoundError);
    expect(() => findPlugin('sh', ['bin'])).toThrow(CniPluginNotFoundError);
    expect(() => findPlugin('foo', ['/usr/lib/cni'], 'podnet')).toThrow(
      'plugin "foo" of network "podnet" not found in /usr/lib/cni; install containernetworking-plugins (Debian) or put the plugin binary in one of those directories, or fix the plugin\'s "type"',
    );
  });

  it('rejects a missing plugin before running anything', async () => {
    await expect(execPlugin(call('nosuch'))).rejects.toThrow(CniPluginNotFoundError);
  });

  it('takes plugin directories from the option, else the environment, else the defaults', () => {
    expect(pluginDirsFrom(['/a'], { VIRTKIT_CNI_PLUGIN_DIRS: '/b' })).toEqual(['/a']);
    expect(pluginDirsFrom(undefined, { VIRTKIT_CNI_PLUGIN_DIRS: '/b:/c' })).toEqual(['/b', '/c']);
    expect(pluginDirsFrom(undefined, {})).toEqual(['/usr/lib/cni', '/opt/cni/bin']);
    expect(pluginDirsFrom(['relative', '/abs'], {})).toEqual(['/abs']);
  });
});
