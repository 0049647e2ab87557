/**
 * `virtkit up --detach`, `status` and `down` from the command line, each start with its own
 * control plane in a temporary working directory; and the failures a user can run into (a port
 * already taken, a missing binary, an etcd that dies) give a clear error and leave nothing behind.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { findBinary } from '../../cli/local/binaries';
import { isListening } from '../../cli/local/ports';
import { groupVersionPath, SUBRESOURCES_API_VERSION } from '../../kube';
import { processesMentioning, virtkit } from './support/cli';
import { kubectl } from './support/kubectl';

const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of tmpDirs) {
    // Whatever a failed assertion left running is stopped here, never leaked.
    await virtkit(['down', '--state-dir', path.join(dir, '.virtkit')], { cwd: dir });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function pidFiles(stateDir: string): string[] {
  const run = path.join(stateDir, 'run');
  return fs.existsSync(run) ? fs.readdirSync(run) : [];
}

describe('virtkit up / status / down', () => {
  test('up --detach starts local mode under ./.virtkit, status reports it, down stops everything', async () => {
    const cwd = tmp('virtkit-cli-');
    const stateDir = path.join(cwd, '.virtkit');
    const kubeconfig = path.join(stateDir, 'kubeconfig');

    const up = await virtkit(['up', '--detach'], { cwd });
    expect(up.stderr).not.toMatch(/virtkit up: .*(failed|error)/i);
    expect(up.status).toBe(0);
    expect(up.stdout.trim()).toBe(`export KUBECONFIG=${kubeconfig}`);

    // The CRDs are installed and Established, and the kubeconfig works for kubectl.
    const crd = kubectl(
      [
        'get',
        'crd',
        'virtualmachines.kubevirt.io',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Established")].status}',
      ],
      kubeconfig,
    );
    expect(crd.stdout).toBe('True');

    const status = await virtkit(['status'], { cwd });
    expect(status.status).toBe(0);
    for (const name of ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager']) {
      expect(status.stdout).toMatch(new RegExp(`^${name}\\s+\\d+\\s+\\d+\\s+running\\s+ok$`, 'm'));
    }
    // virtkit's own runtime runs beside the control plane.
    for (const name of ['virtkit-controller', 'virtkit-handler']) {
      expect(status.stdout).toMatch(new RegExp(`^${name}\\s+\\d+\\s.*running`, 'm'));
    }
    // Admission runs, is healthy, and its webhook is registered: an invalid VM is refused.
    expect(status.stdout).toMatch(/^virtkit-api\s+\d+\s.*running\s+ok$/m);
    const refused = kubectl(
      ['apply', '--dry-run=server', '-f', '-'],
      kubeconfig,
      JSON.stringify({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'refused', namespace: 'default' },
        spec: {
          runStrategy: 'Halted',
          template: { spec: { domain: { devices: { disks: [{ name: 'data', disk: {} }] } } } },
        },
      }),
    );
    expect(refused.status).not.toBe(0);
    // kubectl lists the webhook's causes one per line, as it does for KubeVirt's.
    expect(refused.stderr).toMatch(/The request is invalid:[\s\S]*disks\[0\]\.name: .*Name 'data' not found/);
    // And it is registered as the aggregated API subresources.kubevirt.io/v1 (Available once `up` returns).
    const discovery = kubectl(['get', '--raw', groupVersionPath(SUBRESOURCES_API_VERSION)], kubeconfig);
    expect(discovery.stderr).toBe('');
    expect(JSON.parse(discovery.stdout).resources.map((r: { name: string }) => r.name)).toContain(
      'virtualmachines/start',
    );
    const json = JSON.parse((await virtkit(['status', '-o', 'json'], { cwd })).stdout) as {
      state: { ports: Record<string, number> };
      components: { pid: number }[];
    };
    const apiserverPort = json.state.ports.apiserver;
    expect(await isListening(apiserverPort)).toBe(true);

    // A second `up` refuses to start over a running one and says what to do.
    const again = await virtkit(['up', '--detach'], { cwd });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already running from .*\.virtkit .*virtkit down/);

    const down = await virtkit(['down'], { cwd });
    expect(down.status).toBe(0);
    expect(down.stdout.trim()).toBe(
      'stopped virtkit-handler, virtkit-controller, virtkit-api, kube-controller-manager, kube-scheduler, kube-apiserver, etcd',
    );
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(await isListening(apiserverPort)).toBe(false);
    expect(pidFiles(stateDir)).toEqual([]);

    const after = await virtkit(['status'], { cwd });
    expect(after.status).toBe(1);
    expect(after.stdout).toMatch(/not running/);
  });

  test('up cleans the stale state a crash left and starts again', async () => {
    const cwd = tmp('virtkit-stale-');
    const stateDir = path.join(cwd, '.virtkit');
    expect((await virtkit(['up', '--detach'], { cwd })).status).toBe(0);
    // A crash: every process dies at once, pid files and state.json stay behind.
    for (const pid of processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(pidFiles(stateDir).length).toBeGreaterThan(0);

    const status = await virtkit(['status'], { cwd });
    expect(status.status).toBe(1);
    expect(status.stdout).toMatch(/kube-apiserver\s+\d+\s+\d+\s+not running/);

    const up = await virtkit(['up', '--detach'], { cwd });
    expect(up.status).toBe(0);
    expect((await virtkit(['status'], { cwd })).status).toBe(0);
    expect((await virtkit(['down'], { cwd })).status).toBe(0);
    expect(processesMentioning(stateDir)).toEqual([]);
  });
});

describe('virtkit up: bad input leaves nothing half-started', () => {
  async function expectNothingLeft(stateDir: string): Promise<void> {
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(pidFiles(stateDir)).toEqual([]);
    expect(fs.existsSync(path.join(stateDir, 'state.json'))).toBe(false);
  }

  test('a port already taken names the port and starts nothing', async () => {
    const cwd = tmp('virtkit-port-');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const up = await virtkit(['up', '--detach', '--port', String(port)], { cwd });
      expect(up.status).toBe(1);
      expect(up.stderr).toContain(`kube-apiserver: port ${port} on 127.0.0.1 is already in use`);
      await expectNothingLeft(path.join(cwd, '.virtkit'));
    } finally {
      blocker.close();
    }
  });

  test('a missing binary is named with the command that builds it', async () => {
    const cwd = tmp('virtkit-missing-');
    const emptyCache = tmp('virtkit-empty-cache-');
    const assets = tmp('virtkit-assets-');
    fs.symlinkSync(findBinary('etcd'), path.join(assets, 'etcd'));
    const up = await virtkit(['up', '--detach'], {
      cwd,
      env: { VIRTKIT_CACHE: emptyCache, KUBEBUILDER_ASSETS: assets },
    });
    expect(up.status).toBe(1);
    expect(up.stderr).toContain(
      `kube-apiserver: no executable found (looked in ${assets}, ${emptyCache}/controlplane/`,
    );
    expect(up.stderr).toContain("run 'scripts/build-controlplane.sh'");
    await expectNothingLeft(path.join(cwd, '.virtkit'));
  });

  test('an etcd that dies at start-up is reported with its log, and nothing keeps running', async () => {
    const cwd = tmp('virtkit-etcd-');
    const assets = tmp('virtkit-assets-');
    for (const name of ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubectl'] as const) {
      fs.symlinkSync(findBinary(name), path.join(assets, name));
    }
    // The real etcd, given a flag it does not know: it exits at once with its own message.
    fs.writeFileSync(
      path.join(assets, 'etcd'),
      `#!/bin/sh\nexec ${findBinary('etcd')} --no-such-flag "$@"\n`,
      { mode: 0o755 },
    );
    const up = await virtkit(['up', '--detach'], { cwd, env: { KUBEBUILDER_ASSETS: assets } });
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/etcd exited with code \d+ during start-up; its log is .*etcd\.log/);
    expect(up.stderr).toContain('no-such-flag');
    await expectNothingLeft(path.join(cwd, '.virtkit'));
  });
});
