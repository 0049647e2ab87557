import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { KubeApiError } from '../../kube/errors';
import { runInProcess } from './run-in-process.test-helper';
import {
  asVersionInfo,
  goNotation,
  registerVersion,
  VERSION_PATH,
  type ServerVersionFetcher,
} from './version';

const PKG_VERSION = (
  JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

const SERVER = {
  gitVersion: 'v1.5.0',
  gitCommit: 'abc123',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Runs `virtkit version ARGS` with a fake server; answers the exit code, output and what was asked. */
async function run(args: string[], answer: () => Promise<unknown> = async () => SERVER) {
  const asked: unknown[] = [];
  const fetch: ServerVersionFetcher = (connection) => {
    asked.push(connection);
    return answer();
  };
  const result = await runInProcess((program) => registerVersion(program, fetch), ['version', ...args]);
  return { ...result, asked };
}

describe('virtkit version', () => {
  test("prints virtctl's two lines: the client's package version, the server's answer", async () => {
    const r = await run(['--kubeconfig', 'k', '--context', 'c']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.asked).toEqual([{ kubeconfig: 'k', context: 'c', namespace: undefined }]);
    const [client, server] = r.stdout.split('\n');
    expect(client).toMatch(
      new RegExp(
        `^Client Version: version\\.Info\\{GitVersion:"v${PKG_VERSION.replace(/\./g, '\\.')}", GitCommit:"[0-9a-f]*", GitTreeState:"", BuildDate:"", GoVersion:"node\\d+[^"]*", Compiler:"node", Platform:"linux/\\w+"\\}$`,
      ),
    );
    expect(server).toBe(
      'Server Version: version.Info{GitVersion:"v1.5.0", GitCommit:"abc123", GitTreeState:"clean", BuildDate:"2025-01-01T00:00:00Z", GoVersion:"go1.23.4", Compiler:"gc", Platform:"linux/amd64"}',
    );
  });

  test('--client asks no server', async () => {
    const r = await run(['--client']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([]);
    expect(r.stdout).toMatch(/^Client Version: version\.Info\{GitVersion:"v/);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });

  test('-o json and -o yaml print {clientVersion, serverVersion}', async () => {
    const json = JSON.parse((await run(['-o', 'json'])).stdout);
    expect(json.serverVersion).toEqual(SERVER);
    expect(json.clientVersion).toMatchObject({ gitVersion: `v${PKG_VERSION}`, compiler: 'node' });
    const yaml = parse((await run(['-o', 'yaml', '--client'])).stdout);
    expect(Object.keys(yaml)).toEqual(['clientVersion']);
  });

  test('an unreachable server: the client version, then one line saying why, exit 1', async () => {
    const r = await run([], async () => {
      throw new KubeApiError(
        'GET',
        VERSION_PATH,
        0,
        'ConnectionRefused',
        'connect ECONNREFUSED',
        'GET /apis/subresources.kubevirt.io/v1/version: cannot reach the API server https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
      );
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Client Version: version\.Info\{GitVersion:"v[^\n]*\n$/);
    expect(r.stderr).toBe(
      'virtkit version: cannot get the server version: GET /apis/subresources.kubevirt.io/v1/version: cannot reach the API server https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n',
    );
  });

  test('a cluster without the subresource API: the hint names the APIService', async () => {
    const r = await run([], async () => {
      throw new KubeApiError(
        'GET',
        VERSION_PATH,
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /is the subresource API served\? `kubectl get apiservice v1\.subresources\.kubevirt\.io`/,
    );
  });

  test('an answer that is not version info is refused, not printed', async () => {
    expect(() => asVersionInfo('<html>')).toThrow(/is not version info/);
    const r = await run([], async () => ({ kind: 'Status' }));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/Server Version/);
    expect(r.stderr).toMatch(/is not version info \(no gitVersion\)/);
  });

  test("the server's values reach the terminal with control characters escaped", () => {
    expect(goNotation(asVersionInfo({ gitVersion: 'v1\u001b[31m' }))).toContain('GitVersion:"v1\\u001b[31m"');
  });

  test('usage: -o xml and arguments are exit 2, nothing asked', async () => {
    for (const args of [['-o', 'xml'], ['extra']]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.asked).toEqual([]);
    }
  });
});

describe('the virtkit command', () => {
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'virtkit.js');
  const virtkit = (args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, KUBECONFIG: '/nonexistent' },
    });

  test('`virtkit --version` still prints the bare package version; `virtkit version --client` the line', () => {
    const flag = virtkit(['--version']);
    expect(flag.status).toBe(0);
    expect(flag.stdout).toBe(`${PKG_VERSION}\n`);
    const cmd = virtkit(['version', '--client']);
    expect(cmd.status).toBe(0);
    expect(cmd.stderr).toBe('');
    expect(cmd.stdout).toMatch(
      new RegExp(`^Client Version: version\\.Info\\{GitVersion:"v${PKG_VERSION.replace(/\./g, '\\.')}"`),
    );
  });
});
