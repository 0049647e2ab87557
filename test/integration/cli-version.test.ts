/**
 * `virtkit version` as a user runs it, against the real kube-apiserver: the server version comes
 * from `virtkit api` through the API server's aggregation layer (the APIService
 * v1.subresources.kubevirt.io), exactly what `kubectl get --raw .../version` sees; `--context`
 * picks the kubeconfig's context; and a server that cannot be reached still gets the client
 * version printed, then one line saying why, exit 1.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { groupVersionSubPath, SUBRESOURCES_API_VERSION } from '../../kube';
import { sharedClient } from './support/api';
import { virtkit } from './support/cli';
import { REPO_ROOT } from './support/examples';
import { kubectl } from './support/kubectl';
import { readShared } from './support/shared-controlplane';
import { startSubresourceApi, type SubresourceApi } from './support/subresource-api';

let subresourceApi: SubresourceApi | undefined;
const tmpDirs: string[] = [];

beforeAll(async () => {
  subresourceApi = await startSubresourceApi(await sharedClient(), 'cli-version.test.ts');
});

afterAll(async () => {
  await subresourceApi?.stop();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => virtkit(['version', ...args], { cwd: REPO_ROOT });

/** What the server answers, read with kubectl (the same path, through the API server). */
function served(): Record<string, string> {
  const r = kubectl(['get', '--raw', groupVersionSubPath(SUBRESOURCES_API_VERSION, 'version')]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, string>;
}

test("prints virtctl's two lines, the server's being what the API server answers", async () => {
  const server = served();
  const r = await run(['--kubeconfig', readShared().kubeconfig]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const [client, line] = r.stdout.trim().split('\n');
  expect(client).toMatch(/^Client Version: version\.Info\{GitVersion:"v\d+\.\d+\.\d+[^"]*", GitCommit:"/);
  expect(line).toBe(
    `Server Version: version.Info{GitVersion:${JSON.stringify(server.gitVersion)}, GitCommit:${JSON.stringify(server.gitCommit)}, GitTreeState:"", BuildDate:"", GoVersion:${JSON.stringify(server.goVersion)}, Compiler:"node", Platform:${JSON.stringify(server.platform)}}`,
  );
});

test('-o json prints {clientVersion, serverVersion}; --context picks the context', async () => {
  const kubeconfig = readShared().kubeconfig;
  const context = String(
    (parse(fs.readFileSync(kubeconfig, 'utf8')) as Record<string, unknown>)['current-context'],
  );
  const r = await run(['-o', 'json', '--kubeconfig', kubeconfig, '--context', context]);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    clientVersion: expect.objectContaining({ compiler: 'node' }),
    serverVersion: served(),
  });
  const wrong = await run(['--kubeconfig', kubeconfig, '--context', 'no-such-context']);
  expect(wrong.status).toBe(1);
  expect(wrong.stdout).toMatch(/^Client Version: /);
  expect(wrong.stderr).toMatch(/^virtkit version: cannot get the server version: .*no-such-context/);
});

test('an API server that does not answer: the client version, one line why, exit 1', async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(p));
    });
  });
  const shared = parse(fs.readFileSync(readShared().kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of shared.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-version-'));
  tmpDirs.push(dir);
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, stringify(shared));
  const r = await run(['--kubeconfig', kubeconfig]);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^Client Version: version\.Info\{[^\n]*\}\n$/);
  expect(r.stderr).toBe(
    `virtkit version: cannot get the server version: GET /apis/subresources.kubevirt.io/v1/version: cannot reach the API server https://127.0.0.1:${port} (kubeconfig ${kubeconfig}): connect ECONNREFUSED 127.0.0.1:${port}\n`,
  );
});
