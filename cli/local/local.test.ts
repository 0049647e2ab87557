import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { findBinary, KUBERNETES_VERSION, searchPath } from './binaries';
import { parsePort, resolveStateDir } from './cli-options';
import { MissingBinaryError, PortInUseError } from './errors';
import { apiserverArgs, controllerManagerArgs, etcdArgs, type Ports } from './flags';
import { renderKubeconfig } from './kubeconfig';
import { layout } from './layout';
import type { PkiFiles } from './pki';
import { apiServingAltNames, serverAltNames, subject } from './pki';
import { reservePorts } from './ports';
import { logTail } from './process';
import { formatStatus, isHealthy } from './status-format';

const ports: Ports = {
  etcd: 2379,
  etcdPeer: 2380,
  apiserver: 6443,
  scheduler: 10259,
  controllerManager: 10257,
};
const pki = {
  dir: '/s/pki',
  caCert: '/s/pki/ca.crt',
  caKey: '/s/pki/ca.key',
  serverCert: '/s/pki/kube-apiserver.crt',
  serverKey: '/s/pki/kube-apiserver.key',
  etcdCert: '/s/pki/etcd.crt',
  etcdKey: '/s/pki/etcd.key',
  apiServingCert: '/s/pki/virtkit-api.crt',
  apiServingKey: '/s/pki/virtkit-api.key',
  frontProxyCaCert: '/s/pki/front-proxy-ca.crt',
  frontProxyCaKey: '/s/pki/front-proxy-ca.key',
  frontProxyClientCert: '/s/pki/front-proxy-client.crt',
  frontProxyClientKey: '/s/pki/front-proxy-client.key',
  nodeApiServingCert: '/s/pki/virtkit-handler-node-api.crt',
  nodeApiServingKey: '/s/pki/virtkit-handler-node-api.key',
  nodeApiClientCert: '/s/pki/virtkit-api-node-client.crt',
  nodeApiClientKey: '/s/pki/virtkit-api-node-client.key',
  serviceAccountKey: '/s/pki/sa.key',
  serviceAccountPub: '/s/pki/sa.pub',
  clients: {
    'etcd-client': { cert: '/s/pki/etcd-client.crt', key: '/s/pki/etcd-client.key' },
    'kube-apiserver-kubelet-client': {
      cert: '/s/pki/kube-apiserver-kubelet-client.crt',
      key: '/s/pki/kube-apiserver-kubelet-client.key',
    },
  },
} satisfies PkiFiles;

describe('binaries', () => {
  test('the pinned version is the one tools/controlplane/go.mod requires', () => {
    const gomod = fs.readFileSync(path.join(__dirname, '../../tools/controlplane/go.mod'), 'utf8');
    expect(gomod).toMatch(
      new RegExp(`^\\s*k8s\\.io/kubernetes ${KUBERNETES_VERSION.replace(/\./g, '\\.')}$`, 'm'),
    );
    // Every staging module is replaced by its twin of the same release.
    const twin = `v0.${KUBERNETES_VERSION.slice(3)}`;
    const replaces = gomod.match(/^\s*k8s\.io\/[a-z-]+ => k8s\.io\/[a-z-]+ (\S+)$/gm) ?? [];
    expect(replaces.length).toBeGreaterThan(20);
    for (const line of replaces) expect(line.trim().endsWith(twin)).toBe(true);
  });

  test('KUBEBUILDER_ASSETS is searched before the cache', () => {
    expect(searchPath({ KUBEBUILDER_ASSETS: '/assets' }, '/cache')).toEqual(['/assets', '/cache']);
    expect(searchPath({}, '/cache')).toEqual(['/cache']);
  });

  test('a missing binary names itself, where it looked and the build command', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-bin-'));
    const env = { KUBEBUILDER_ASSETS: empty, VIRTKIT_CACHE: empty };
    const saved = process.env.VIRTKIT_CACHE;
    process.env.VIRTKIT_CACHE = empty;
    try {
      expect(() => findBinary('kube-apiserver', env)).toThrow(MissingBinaryError);
      expect(() => findBinary('kube-apiserver', env)).toThrow(
        new RegExp(
          `^kube-apiserver: no executable found \\(looked in ${empty}, ${empty}/controlplane/${KUBERNETES_VERSION}\\); run 'scripts/build-controlplane.sh'`,
        ),
      );
    } finally {
      if (saved === undefined) delete process.env.VIRTKIT_CACHE;
      else process.env.VIRTKIT_CACHE = saved;
      fs.rmSync(empty, { recursive: true });
    }
  });
});

describe('command lines', () => {
  const l = layout('/s');
  test('everything listens on loopback only', () => {
    expect(etcdArgs(l, ports, pki)).toContain('--listen-client-urls=https://127.0.0.1:2379');
    expect(apiserverArgs(l, ports, pki)).toEqual(
      expect.arrayContaining(['--bind-address=127.0.0.1', '--secure-port=6443']),
    );
  });
  test('the API server authorizes with RBAC and verifies clients against the local CA', () => {
    expect(apiserverArgs(l, ports, pki)).toEqual(
      expect.arrayContaining([
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--kubelet-client-certificate=/s/pki/kube-apiserver-kubelet-client.crt',
        '--kubelet-client-key=/s/pki/kube-apiserver-kubelet-client.key',
        '--client-ca-file=/s/pki/ca.crt',
        '--etcd-servers=https://127.0.0.1:2379',
        '--etcd-certfile=/s/pki/etcd-client.crt',
        '--authentication-config=/s/config/authentication.yaml',
      ]),
    );
  });
  test('etcd serves TLS and requires client certificates from the local CA, peers too', () => {
    expect(etcdArgs(l, ports, pki)).toEqual(
      expect.arrayContaining([
        '--client-cert-auth=true',
        '--trusted-ca-file=/s/pki/ca.crt',
        '--peer-client-cert-auth=true',
        '--listen-peer-urls=https://127.0.0.1:2380',
      ]),
    );
  });
  test('the aggregation layer: its own CA, the front-proxy client and the X-Remote-* headers', () => {
    const args = apiserverArgs(l, ports, pki);
    expect(args).toEqual(
      expect.arrayContaining([
        '--requestheader-client-ca-file=/s/pki/front-proxy-ca.crt',
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--proxy-client-cert-file=/s/pki/front-proxy-client.crt',
        '--proxy-client-key-file=/s/pki/front-proxy-client.key',
      ]),
    );
    // Never the main CA: its client certificates must not be able to claim a user in a header.
    expect(args).not.toContain('--requestheader-client-ca-file=/s/pki/ca.crt');
  });
  test("with kubelet nodes the API server advertises the nodes' address for it and calls the api's pods directly", () => {
    const processRuntime = apiserverArgs(l, ports, pki);
    expect(processRuntime).toContain('--advertise-address=127.0.0.1');
    // The process runtime's api is on the host behind an ExternalName Service, which aggregator
    // routing would refuse.
    expect(processRuntime.filter((a) => a.startsWith('--enable-aggregator-routing'))).toEqual([]);
    const kubelet = apiserverArgs(l, ports, pki, { kubeletNodes: true });
    expect(kubelet).toContain('--advertise-address=10.250.0.1');
    expect(kubelet).toContain('--enable-aggregator-routing=true');
    // It still listens on loopback only.
    expect(kubelet).toContain('--bind-address=127.0.0.1');
  });
  test('the controller manager signs service-account tokens with the key the API server verifies', () => {
    expect(controllerManagerArgs(l, ports, pki)).toContain(
      '--service-account-private-key-file=/s/pki/sa.key',
    );
    expect(apiserverArgs(l, ports, pki)).toContain('--service-account-key-file=/s/pki/sa.pub');
  });
});

describe('certificates and kubeconfig', () => {
  test('the API server certificate covers loopback and the in-cluster names', () => {
    const names = serverAltNames('10.0.0.1');
    expect(names).toContain('IP:127.0.0.1');
    expect(names).toContain('IP:10.0.0.1');
    expect(names).toContain('DNS:kubernetes.default.svc');
  });
  test("virtkit api's certificate covers loopback and the Service name the aggregator checks", () => {
    const names = apiServingAltNames().split(',');
    expect(names).toEqual(
      expect.arrayContaining(['IP:127.0.0.1', 'DNS:localhost', 'DNS:virtkit-api.virtkit.svc']),
    );
  });
  test('groups become organizations of the subject', () => {
    expect(subject('virtkit-admin', ['system:masters'])).toBe('/O=system:masters/CN=virtkit-admin');
  });
  test('the kubeconfig embeds the credentials and selects the local context', () => {
    const doc = parse(
      renderKubeconfig({
        server: 'https://127.0.0.1:6443',
        user: 'u',
        caPem: 'CA',
        certPem: 'C',
        keyPem: 'K',
      }),
    );
    expect(doc['current-context']).toBe('virtkit-local');
    expect(doc.clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
    expect(Buffer.from(doc.users[0].user['client-key-data'], 'base64').toString()).toBe('K');
  });
});

describe('ports', () => {
  test('free ports are distinct', async () => {
    const got = await reservePorts({ a: undefined, b: undefined, c: undefined });
    expect(new Set(Object.values(got)).size).toBe(3);
  });
  test('a taken port is refused with the component and the port named', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(reservePorts({ 'kube-apiserver': port })).rejects.toThrow(PortInUseError);
      await expect(reservePorts({ 'kube-apiserver': port })).rejects.toThrow(
        `kube-apiserver: port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      server.close();
    }
  });
});

describe('command-line options', () => {
  test('the state folder defaults to ./.virtkit', () => {
    expect(resolveStateDir(undefined, {}, '/work')).toBe('/work/.virtkit');
    expect(resolveStateDir(undefined, { VIRTKIT_STATE_DIR: 'x' }, '/work')).toBe('/work/x');
    expect(resolveStateDir('/abs', { VIRTKIT_STATE_DIR: 'x' }, '/work')).toBe('/abs');
  });
  test('a bad port is named with its flag', () => {
    expect(() => parsePort('--port')('70000')).toThrow("--port: '70000' is not a TCP port");
    expect(parsePort('--port')('6443')).toBe(6443);
  });
});

describe('logs and status', () => {
  test('an error line before a long usage text is kept in the quoted log', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-log-')), 'etcd.log');
    const usage = Array.from({ length: 40 }, (_, i) => `usage line ${i}`);
    fs.writeFileSync(
      file,
      ['--- old run', 'error: from an older run', '--- new run', 'unknown flag: --bogus', ...usage].join(
        '\n',
      ),
    );
    const tail = logTail(file);
    expect(tail).toContain('unknown flag: --bogus');
    expect(tail).toContain('usage line 39');
    expect(tail).not.toContain('older run');
  });

  test('status says plainly when nothing runs', () => {
    const status = { stateDir: '/w/.virtkit', components: [] };
    expect(formatStatus(status)).toBe('local mode is not running (no state in /w/.virtkit)\n');
    expect(isHealthy(status)).toBe(false);
  });

  test('status shows each component with pid, port and health', () => {
    const status = {
      stateDir: '/w/.virtkit',
      state: {
        kubernetesVersion: KUBERNETES_VERSION,
        startedAt: 'now',
        stateDir: '/w/.virtkit',
        kubeconfig: '/w/.virtkit/kubeconfig',
        server: 'https://127.0.0.1:6443',
        ports: { apiserver: 6443, etcd: 2379 },
        components: [],
      },
      components: [
        { name: 'etcd', pid: 10, running: true, logFile: 'x', health: { healthy: true, detail: '' } },
        {
          name: 'kube-apiserver',
          pid: 11,
          running: true,
          logFile: 'y',
          health: { healthy: false, detail: 'HTTP 500: etcd failed' },
        },
      ],
    };
    const text = formatStatus(status);
    expect(text).toMatch(/^etcd\s+10\s+2379\s+running\s+ok$/m);
    expect(text).toMatch(/^kube-apiserver\s+11\s+6443\s+running\s+failing: HTTP 500: etcd failed$/m);
    expect(isHealthy(status)).toBe(false);
  });

  /** A state.json with nothing started yet (the status tests add what they show). */
  const emptyState = {
    kubernetesVersion: KUBERNETES_VERSION,
    startedAt: 'now',
    stateDir: '/w/.virtkit',
    kubeconfig: '/w/.virtkit/kubeconfig',
    server: 'https://127.0.0.1:6443',
    ports: {},
    components: [],
  };

  test('status names the runtime, and with kubelet nodes each node with its address and pod range', () => {
    const base = emptyState;
    expect(formatStatus({ stateDir: '/w/.virtkit', state: base, components: [] })).toMatch(
      /^runtime: +process \(virtkit handler runs pods as host processes\)$/m,
    );
    const node = (n: number) => ({
      name: `virtkit-node-${n}`,
      dir: `/w/.virtkit/nodes/virtkit-node-${n}`,
      hostIp: `10.250.${n}.1`,
      nodeIp: `10.250.${n}.2`,
      podCidr: `10.251.${n}.0/24`,
      apiServerPort: 6443,
    });
    const text = formatStatus({
      stateDir: '/w/.virtkit',
      state: { ...base, runtime: 'kubelet', nodes: [node(1), node(2)] },
      components: [],
    });
    expect(text).toMatch(/^runtime: +kubelet \(2 nodes, containerd\)$/m);
    expect(text).toContain(
      '  node virtkit-node-2: address 10.250.2.2, pods 10.251.2.0/24, folder /w/.virtkit/nodes/virtkit-node-2',
    );
  });

  test("with kubelet nodes status shows virtkit's workloads in the cluster, and is healthy only when all are available", () => {
    const state = { ...emptyState, runtime: 'kubelet' as const };
    const components = [
      { name: 'kube-apiserver', pid: 11, running: true, logFile: 'y', health: { healthy: true, detail: '' } },
    ];
    const workload = (name: string, available: boolean) => ({
      kind: 'Deployment' as const,
      name,
      available,
      message: available ? '2/2 available, 2 updated' : '1/2 available, 2 updated',
    });
    const healthy = {
      stateDir: '/w/.virtkit',
      state,
      components,
      cluster: { workloads: [workload('virtkit-api', true), workload('virtkit-controller', true)] },
    };
    expect(formatStatus(healthy)).toContain(
      'virtkit in the cluster (namespace virtkit):\n  Deployment virtkit-api: 2/2 available, 2 updated\n  Deployment virtkit-controller: 2/2 available, 2 updated\n',
    );
    expect(isHealthy(healthy)).toBe(true);
    const degraded = { ...healthy, cluster: { workloads: [workload('virtkit-controller', false)] } };
    expect(formatStatus(degraded)).toContain(
      '  Deployment virtkit-controller: 1/2 available, 2 updated (not available)',
    );
    expect(isHealthy(degraded)).toBe(false);
    const unanswered = { ...healthy, cluster: { error: 'connect ECONNREFUSED 127.0.0.1:6443' } };
    expect(formatStatus(unanswered)).toContain(
      'virtkit in the cluster: the API server did not answer: connect ECONNREFUSED 127.0.0.1:6443',
    );
    expect(isHealthy(unanswered)).toBe(false);
  });
});
