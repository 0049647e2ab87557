import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  cniConfig,
  containerdConfig,
  kubeletArgs,
  kubeletConfig,
  kubeProxyArgs,
  kubeProxyConfig,
  nodeBridgeName,
  nodeCgroupRoot,
  runtimeClampScript,
  type KubeletNodeSpec,
} from './node-plan';

const spec: KubeletNodeSpec = {
  name: 'n1',
  ip: '192.0.2.2',
  podCidr: '10.251.1.0/24',
  dir: '/var/lib/virtkit/nodes/n1',
  apiServer: 'https://127.0.0.1:6443',
  caFile: '/pki/ca.crt',
  clientCert: '/pki/kubelet-n1.crt',
  clientKey: '/pki/kubelet-n1.key',
  sandboxImage: 'virtkit.local/pause:0123',
  cniBinDir: '/usr/lib/cni',
  runtimeBinary: '/var/lib/virtkit/nodes/n1/runc-clamp',
  registerWithTaints: [{ key: 'k', effect: 'NoSchedule' }],
};

test("containerd runs from the node's own folders, with its sandbox image, cgroupfs and the runtime given", () => {
  const toml = containerdConfig(spec);
  expect(toml).toContain('root = "/var/lib/virtkit/nodes/n1/containerd/root"');
  expect(toml).toContain('address = "/var/lib/virtkit/nodes/n1/containerd.sock"');
  expect(toml).toContain('sandbox_image = "virtkit.local/pause:0123"');
  expect(toml).toContain('SystemdCgroup = false');
  expect(toml).toContain('BinaryName = "/var/lib/virtkit/nodes/n1/runc-clamp"');
  expect(toml).toContain('conf_dir = "/var/lib/virtkit/nodes/n1/cni/net.d"');
});

test('kubelet starts on cgroup v1 under a root of its own, serves only authenticated callers', () => {
  const c = JSON.parse(kubeletConfig(spec)) as Record<string, unknown>;
  expect(c).toMatchObject({
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: nodeCgroupRoot('n1'),
    address: '192.0.2.2',
    port: 10250,
    readOnlyPort: 0,
    authentication: { anonymous: { enabled: false }, x509: { clientCAFile: '/pki/ca.crt' } },
    authorization: { mode: 'Webhook' },
    registerWithTaints: [{ key: 'k', effect: 'NoSchedule' }],
  });
  expect(kubeletArgs(spec)).toEqual(
    expect.arrayContaining(['--hostname-override=n1', '--node-ip=192.0.2.2']),
  );
  const cni = JSON.parse(cniConfig(spec)) as { plugins: { bridge?: string; ipam?: { ranges: unknown } }[] };
  expect(cni.plugins[0]).toMatchObject({
    bridge: 'vknn1',
    ipam: { ranges: [[{ subnet: '10.251.1.0/24' }]] },
  });
  expect(nodeBridgeName('it-kubelet-abcdef123456')).toBe('vknitkubeletabc');
  expect(nodeBridgeName('it-kubelet-abcdef123456').length).toBeLessThanOrEqual(15);
});

test('the runtime clamp raises a negative oomScoreAdj to 0 and runs runc with the same arguments', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-clamp-'));
  try {
    const runc = path.join(dir, 'fake-runc');
    fs.writeFileSync(runc, `#!/bin/sh\necho "$@" > ${JSON.stringify(path.join(dir, 'args'))}\n`, {
      mode: 0o755,
    });
    const clamp = path.join(dir, 'clamp');
    fs.writeFileSync(clamp, runtimeClampScript(runc), { mode: 0o755 });
    const bundle = path.join(dir, 'bundle');
    fs.mkdirSync(bundle);
    const config = { process: { oomScoreAdj: -998, args: ['pause'] }, linux: { resources: {} } };
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    execFileSync(clamp, ['--root', '/r', 'create', '--bundle', bundle, '--pid-file', 'p', 'id1']);
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'))).toEqual({
      ...config,
      process: { oomScoreAdj: 0, args: ['pause'] },
    });
    expect(fs.readFileSync(path.join(dir, 'args'), 'utf8').trim()).toBe(
      `--root /r create --bundle ${bundle} --pid-file p id1`,
    );
    // A positive score is the host's to keep.
    fs.writeFileSync(
      path.join(bundle, 'config.json'),
      JSON.stringify({ process: { oomScoreAdj: 1000 } }, null, 2),
    );
    execFileSync(clamp, ['create', '-b', bundle, 'id2']);
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'))).toEqual({
      process: { oomScoreAdj: 1000 },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("kube-proxy runs in iptables mode as the node, health on the node's address, the host's conntrack left alone", () => {
  const config = JSON.parse(kubeProxyConfig(spec)) as Record<string, unknown>;
  expect(config).toMatchObject({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: '/var/lib/virtkit/nodes/n1/kube-proxy.kubeconfig' },
    hostnameOverride: 'n1',
    mode: 'iptables',
    clusterCIDR: '10.251.0.0/16',
    healthzBindAddress: '192.0.2.2:10256',
    nodePortAddresses: ['192.0.2.2/32'],
    // 0 keeps what the (shared) kernel has: no sysctl writes for the whole machine.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    oomScoreAdj: 0,
  });
  expect(kubeProxyArgs(spec)).toEqual(['--config=/var/lib/virtkit/nodes/n1/kube-proxy.yaml']);
});

test("kubelet's health endpoint is on the node's address only", () => {
  const config = JSON.parse(kubeletConfig(spec)) as Record<string, unknown>;
  expect(config).toMatchObject({ healthzBindAddress: '192.0.2.2', healthzPort: 10248, readOnlyPort: 0 });
});
