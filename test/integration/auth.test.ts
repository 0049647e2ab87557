/**
 * virtkit against real clusters' ways of logging in, on the real kube-apiserver: the CLI, the
 * controller and the handler each work with (a) the admin client certificate, (b) a
 * ServiceAccount token in a kubeconfig (`kubectl create token`), (c) an exec plugin printing an
 * ExecCredential with that token, and (d) in-cluster configuration (token, CA and namespace
 * files where a pod sees them, KUBERNETES_SERVICE_HOST/PORT). A wrong token (401) and a
 * ServiceAccount without permissions (403) fail with a message naming the kubeconfig, the
 * user and (for 403) the verb and resource. Every line the components log is JSON.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { cacheRoot } from '../../common/cache';
import {
  CLUSTER_ROLE_BINDINGS,
  NODES,
  SERVICE_ACCOUNTS,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
  type KubeClient,
} from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { virtkit } from './support/cli';
import { REPO_ROOT } from './support/examples';
import { kubectl } from './support/kubectl';
import { readShared } from './support/shared-controlplane';

const suffix = randomBytes(3).toString('hex');
const NS = `auth-${suffix}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-auth-'));
const emptyHome = path.join(dir, 'home');
const BIN = path.join(REPO_ROOT, 'bin', 'virtkit.js');
let admin: KubeClient;
let server: string;
let caPem: string;
let token: string;
let noPermToken: string;

interface Credential {
  /** Flags and environment that select it. */
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  /** The kubeconfig (or in-cluster directory) and user name messages must name. */
  readonly names: string[];
}

function write(file: string, text: string, mode = 0o600): string {
  const p = path.join(dir, file);
  fs.writeFileSync(p, text, { mode });
  return p;
}

function kubeconfigWithUser(file: string, userName: string, user: Json): string {
  return write(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'it',
          cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
        },
      ],
      users: [{ name: userName, user }],
      contexts: [{ name: 'it', context: { cluster: 'it', user: userName, namespace: NS } }],
      'current-context': 'it',
    }),
  );
}

/** Environment without any kubeconfig of the test run's own, so only the credential counts. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: emptyHome,
    VIRTKIT_CACHE: cacheRoot(),
    TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json'),
  };
  for (const k of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'VIRTKIT_LOG_LEVEL'])
    delete env[k];
  return env;
}

function inClusterDir(name: string, saToken: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'token'), saToken, { mode: 0o600 });
  fs.writeFileSync(path.join(d, 'ca.crt'), caPem);
  fs.writeFileSync(path.join(d, 'namespace'), NS);
  return d;
}

function inClusterEnv(d: string): NodeJS.ProcessEnv {
  const url = new URL(server);
  return {
    KUBERNETES_SERVICE_HOST: url.hostname,
    KUBERNETES_SERVICE_PORT: url.port,
    VIRTKIT_SERVICE_ACCOUNT_DIR: d,
  };
}

const credentials: Record<string, () => Credential> = {
  'admin client certificate': () => ({
    args: ['--kubeconfig', readShared().kubeconfig],
    env: {},
    names: [readShared().kubeconfig],
  }),
  'ServiceAccount token in a kubeconfig': () => {
    const file = kubeconfigWithUser('token.kubeconfig', 'sa-token', { token });
    // Through KUBECONFIG rather than the flag: both paths of the resolution get used.
    return { args: [], env: { KUBECONFIG: file }, names: [file] };
  },
  'exec plugin': () => {
    const tokenFile = write('exec-token', token);
    // The token is read from a private file, never passed on a command line.
    const plugin = write(
      'exec-plugin.sh',
      `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat '${tokenFile}')"\n`,
      0o700,
    );
    const file = kubeconfigWithUser('exec.kubeconfig', 'sa-exec', {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' },
    });
    return { args: ['--kubeconfig', file], env: {}, names: [file] };
  },
  'in-cluster ServiceAccount': () => {
    const d = inClusterDir('in-cluster', token);
    return { args: [], env: inClusterEnv(d), names: [d] };
  },
};

interface Running {
  readonly child: ChildProcess;
  stderr: string;
  stdout: string;
  readonly exited: Promise<number | null>;
}

function start(args: string[], cred: Credential): Running {
  const child = spawn(process.execPath, [BIN, ...args, ...cred.args], {
    cwd: dir,
    env: { ...baseEnv(), ...cred.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Running = {
    child,
    stderr: '',
    stdout: '',
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
  child.stdout?.on('data', (d: Buffer) => (r.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (r.stderr += d.toString()));
  return r;
}

async function stop(r: Running): Promise<void> {
  if (r.child.exitCode === null) r.child.kill('SIGTERM');
  await r.exited;
}

async function eventually<T>(
  what: string,
  r: Running | undefined,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const until = Date.now() + 120_000;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until || (r && r.child.exitCode !== null))
      throw new Error(`${what}: not seen${r ? `; process output:\n${r.stderr}${r.stdout}` : ''}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

/** Every line the component wrote is one JSON object with KubeVirt's keys. */
function expectJsonLines(r: Running, component: string): Json[] {
  const lines = (r.stderr + r.stdout).split('\n').filter((l) => l.trim() !== '');
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => {
    let parsed: Json;
    try {
      parsed = JSON.parse(line) as Json;
    } catch {
      throw new Error(`${component} wrote a line that is not JSON: ${line}`);
    }
    expect(parsed).toMatchObject({ component, level: expect.any(String), msg: expect.any(String) });
    expect(Date.parse(String(parsed.timestamp))).not.toBeNaN();
    return parsed;
  });
}

function vm(name: string): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          // No node has this label: the launcher pod is never scheduled, so no guest starts.
          nodeSelector: { 'virtkit.io/it-node': `none-${NS}` },
          domain: { memory: { guest: '64Mi' }, devices: {} },
        },
      },
    },
  };
}

beforeAll(async () => {
  admin = await sharedClient();
  const kc = parse(fs.readFileSync(readShared().kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  server = kc.clusters[0].cluster.server;
  caPem = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8');
  fs.mkdirSync(emptyHome, { recursive: true });
  await createNamespace(admin, NS);
  for (const name of ['virtkit-it', 'nobody'])
    await admin.create(SERVICE_ACCOUNTS, NS, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name },
    });
  await admin.create(CLUSTER_ROLE_BINDINGS, undefined, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `virtkit-it-${suffix}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'virtkit-it', namespace: NS }],
  });
  const created = kubectl(['create', 'token', 'virtkit-it', '-n', NS, '--duration', '1h']);
  expect(created.stderr).toBe('');
  token = created.stdout.trim();
  noPermToken = kubectl(['create', 'token', 'nobody', '-n', NS, '--duration', '1h']).stdout.trim();
  expect(token).toMatch(/^ey/);
});

afterAll(async () => {
  await admin.delete(CLUSTER_ROLE_BINDINGS, undefined, `virtkit-it-${suffix}`).catch(() => undefined);
  for (const kind of Object.keys(credentials))
    await admin.delete(NODES, undefined, nodeName(kind)).catch(() => undefined);
  await deleteNamespace(admin, NS);
  fs.rmSync(dir, { recursive: true, force: true });
});

const nodeName = (kind: string): string => `auth-${suffix}-${kind.split(' ')[0].toLowerCase()}`;

describe.each(Object.keys(credentials))('with %s', (kind) => {
  test('the CLI reads objects with it', async () => {
    const cred = credentials[kind]();
    // `pause vm` reads the VM first (as virtctl does).
    const r = await virtkit(['pause', 'vm', 'absent', '-n', NS, ...cred.args], {
      cwd: dir,
      env: { ...baseEnv(), ...cred.env },
    });
    // The GET went through (a 404, not a 401 or 403): the command names what is missing.
    expect(r.stderr).toContain(`VirtualMachine ${NS}/absent not found`);
    expect(r.status).toBe(1);
  });

  test('the controller reconciles with it', async () => {
    const cred = credentials[kind]();
    const name = `vm-${kind.split(' ')[0].toLowerCase()}`;
    await admin.create(VIRTUAL_MACHINES, NS, vm(name));
    const controller = start(['controller', '--namespace', NS], cred);
    try {
      await eventually(`the VMI of ${name}, created by the controller`, controller, () =>
        admin.getIfExists(VIRTUAL_MACHINE_INSTANCES, NS, name),
      );
    } finally {
      await stop(controller);
    }
    const lines = expectJsonLines(controller, 'virtkit-controller');
    expect(lines.map((l) => l.msg)).toContain('started');
  });

  test('the handler registers its node with it', async () => {
    const cred = credentials[kind]();
    const node = nodeName(kind);
    const handler = start(
      ['handler', '--node-name', node, '--state-dir', path.join(dir, `state-${node}`)],
      cred,
    );
    try {
      await eventually(`Node ${node} Ready`, handler, async () => {
        const n = await admin.getIfExists<{ status?: { conditions?: { type: string; status: string }[] } }>(
          NODES,
          undefined,
          node,
        );
        return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      });
    } finally {
      await stop(handler);
    }
    expectJsonLines(handler, 'virtkit-handler');
  });
});

describe('refused credentials fail clearly', () => {
  const wrong = (): Credential => {
    const file = kubeconfigWithUser('wrong.kubeconfig', 'expired-user', { token: 'not-a-valid-token' });
    return { args: ['--kubeconfig', file], env: {}, names: [file, 'expired-user'] };
  };
  const forbidden = (): Credential => {
    const file = kubeconfigWithUser('nobody.kubeconfig', 'nobody', { token: noPermToken });
    return { args: ['--kubeconfig', file], env: {}, names: [file, 'nobody'] };
  };

  test('401: the CLI names the kubeconfig and the user', async () => {
    const cred = wrong();
    const r = await virtkit(['pause', 'vm', 'x', '-n', NS, ...cred.args], { cwd: dir, env: baseEnv() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /Unauthorized: the API server .* refused the credentials of user "expired-user" of kubeconfig /,
    );
    expect(r.stderr).toContain(cred.names[0]);
  });

  test('403: the CLI names the user, the verb and the resource', async () => {
    const cred = forbidden();
    const r = await virtkit(['pause', 'vm', 'x', '-n', NS, ...cred.args], { cwd: dir, env: baseEnv() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Forbidden: user "nobody" of kubeconfig ${cred.names[0]}`);
    expect(r.stderr).toContain(`may not get virtualmachines.kubevirt.io "x" in namespace "${NS}"`);
  });

  test.each([
    ['401', wrong, /Unauthorized: .*refused the credentials of user "expired-user"/],
    [
      '403',
      forbidden,
      new RegExp(`Forbidden: user "nobody" .* may not list virtualmachines.kubevirt.io in namespace "${NS}"`),
    ],
  ])('%s: the controller exits 1 with one fatal JSON line saying why', async (_code, make, message) => {
    const cred = make();
    const controller = start(['controller', '--namespace', NS], cred);
    expect(await controller.exited).toBe(1);
    const lines = expectJsonLines(controller, 'virtkit-controller');
    const fatal = lines.find((l) => l.level === 'fatal');
    expect(String(fatal?.msg)).toMatch(message);
    expect(String(fatal?.msg)).toContain(cred.names[0]);
  });

  test.each([
    ['401', wrong, /Unauthorized: .*refused the credentials of user "expired-user"/],
    ['403', forbidden, /Forbidden: user "nobody" .* may not create nodes/],
  ])('%s: the handler exits 1 with one fatal JSON line saying why', async (_code, make, message) => {
    const cred = make();
    const handler = start(
      ['handler', '--node-name', `auth-${suffix}-refused`, '--state-dir', path.join(dir, 'refused')],
      cred,
    );
    expect(await handler.exited).toBe(1);
    const lines = expectJsonLines(handler, 'virtkit-handler');
    const fatal = lines.find((l) => l.level === 'fatal');
    expect(String(fatal?.msg)).toMatch(message);
    expect(String(fatal?.msg)).toContain(cred.names[0]);
  });
});
