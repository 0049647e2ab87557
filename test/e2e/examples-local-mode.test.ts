/**
 * The examples, as a user runs them: `virtkit up` with a registry mirror (what an air-gapped
 * cluster sets, as container runtimes do), then `kubectl apply` of every file in examples/yaml and
 * of the synthesized cdk8s fleet, unchanged. The public image names they use
 * (quay.io/containerdisks/...) are served by a real registry on loopback holding the test guest
 * under each name. Every VM runs and is Ready — the container-disk VMs, the instancetype-sized
 * one, the one whose root disk a DataVolume imports from the registry, the web pool with its
 * EFI Secure Boot preference — except the VMs that need a feature virtkit cannot run yet
 * (Multus networks), which `kubectl apply` refuses, saying so.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBinary } from '../../cli/local/binaries';
import { ensureGuestImage, GuestMarkers } from '../fixtures/guest/build';
import { waitFor } from '../fixtures/guest/harness';
import { TestRegistry } from '../fixtures/registry';
import { exampleManifestFiles, REPO_ROOT } from '../integration/support/examples';

jest.setTimeout(1_500_000);

const VIRTKIT = path.resolve(__dirname, '..', '..', 'bin', 'virtkit.js');
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-examples-'));
const stateDir = path.join(cwd, '.virtkit');
let reg: TestRegistry;

/** The images the examples name, each the test guest in the registry behind the mirror. */
const PUBLIC_IMAGES = ['containerdisks/fedora:40', 'containerdisks/debian:12'];

function virtkit(args: string[]) {
  return spawnSync(process.execPath, [VIRTKIT, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, KUBECONFIG: path.join(stateDir, 'kubeconfig') },
  });
}

function kubectl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(findBinary('kubectl'), args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: path.join(stateDir, 'kubeconfig') },
  });
}

function kubectlOk(args: string[], input?: string): string {
  const r = kubectl(args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const jsonpath = (kind: string, ns: string, name: string, expr: string): string => {
  const r = kubectl(['get', kind, name, '-n', ns, '-o', `jsonpath=${expr}`]);
  return r.status === 0 ? r.stdout : '';
};

/** The serial console of a VMI's launcher pod (local mode keeps it under the handler's state). */
function consoleOf(ns: string, vmi: string): string {
  const uid = kubectlOk([
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `kubevirt.io/created-by=${jsonpath('vmi', ns, vmi, '{.metadata.uid}')}`,
    '-o',
    'jsonpath={.items[0].metadata.uid}',
  ]).trim();
  const log = path.join(stateDir, 'handler', 'pods', uid, 'w', 'qemu', 'serial.log');
  return uid && fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
}

async function runningAndBooted(ns: string, vm: string): Promise<void> {
  await waitFor(
    () => jsonpath('vm', ns, vm, '{.status.printableStatus}/{.status.ready}') === 'Running/true',
    900_000,
    `VirtualMachine ${ns}/${vm} to be Running and Ready`,
  );
  await waitFor(() => consoleOf(ns, vm).includes(GuestMarkers.booted), 600_000, `${ns}/${vm} to boot`);
}

beforeAll(async () => {
  const image = ensureGuestImage();
  reg = await TestRegistry.start();
  for (const name of PUBLIC_IMAGES) {
    const push = spawnSync(process.execPath, [VIRTKIT, 'image', 'push', image.disk, `${reg.host}/${name}`], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (push.status !== 0) throw new Error(`virtkit image push ${name}: ${push.stderr}`);
  }
  const up = virtkit(['up', '--detach', '--registry-mirror', `quay.io=${reg.url}`]);
  if (up.status !== 0) throw new Error(`virtkit up: ${up.stdout}\n${up.stderr}`);
}, 900_000);

afterAll(async () => {
  virtkit(['down']);
  await reg?.stop();
  fs.rmSync(cwd, { recursive: true, force: true });
});

describe('the examples on virtkit up', () => {
  let refused = '';

  it('apply unchanged; nothing is refused, Multus networks included', () => {
    // What the fleet's README asks of its user: the namespace and the cloud-init Secrets.
    kubectlOk(['create', 'namespace', 'shop']);
    for (const secret of ['web-cloud-init', 'db-cloud-init'])
      kubectlOk([
        'create',
        'secret',
        'generic',
        secret,
        '-n',
        'shop',
        '--from-literal=userdata=#cloud-config\nvirtkit-e2e-greeting: hello from the fleet\n',
      ]);
    const files = exampleManifestFiles();
    expect(files.map((f) => path.relative(REPO_ROOT, f))).toEqual(
      expect.arrayContaining(['examples/yaml/vm-fedora.yaml', 'examples/cdk8s/dist/fleet.k8s.yaml']),
    );
    for (const file of files) {
      const r = kubectl(['apply', '-f', file]);
      refused += r.stderr;
    }
    // Every object is stored, the VMs with Multus networks too (examples/yaml's two-nics and
    // the fleet's db).
    expect(refused).not.toMatch(/The request is invalid|denied the request/);
    expect(kubectlOk(['get', 'vm', 'two-nics', '-n', 'default', '-o', 'name']).trim()).toBe(
      'virtualmachine.kubevirt.io/two-nics',
    );
    expect(kubectlOk(['get', 'vm', 'db', '-n', 'shop', '-o', 'name']).trim()).toBe(
      'virtualmachine.kubevirt.io/db',
    );
    // The rest is stored: the pool, instancetypes, preferences, networks, snapshots.
    expect(kubectlOk(['get', 'vmpool', 'web', '-n', 'shop', '-o', 'name']).trim()).toBe(
      'virtualmachinepool.pool.kubevirt.io/web',
    );
    expect(kubectlOk(['get', 'vmsnapshot', 'database-nightly', '-o', 'name']).trim()).toContain(
      'database-nightly',
    );
  });

  it('the Halted VMs start and run: a container disk, an instancetype-sized VM, a DataVolume-imported disk', async () => {
    for (const vm of ['fedora', 'sized-by-instancetype', 'database']) {
      const start = virtkit(['start', vm, '-n', 'default']);
      expect(`${vm}: ${start.status} ${start.stderr}`).toBe(`${vm}: 0 `);
    }
    await runningAndBooted('default', 'fedora');
    await runningAndBooted('default', 'sized-by-instancetype');
    // The instancetype's size, not the VM's.
    expect(jsonpath('vmi', 'default', 'sized-by-instancetype', '{.spec.domain.memory.guest}')).toBe('512Mi');
    await runningAndBooted('default', 'database');
    expect(jsonpath('dv', 'default', 'database-root', '{.status.phase}/{.status.progress}')).toBe(
      'Succeeded/100.0%',
    );
  });

  it("the fleet's web pool has three Ready VMs, booted through EFI with Secure Boot", async () => {
    await waitFor(
      () => jsonpath('vmpool', 'shop', 'web', '{.status.readyReplicas}') === '3',
      900_000,
      'the web pool to have 3 ready replicas',
    );
    const vms = kubectlOk([
      'get',
      'vm',
      '-n',
      'shop',
      '-l',
      'kubevirt.io/vmpool=web',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ])
      .trim()
      .split(/\s+/);
    expect(vms).toHaveLength(3);
    for (const vm of vms) {
      await waitFor(() => consoleOf('shop', vm).includes(GuestMarkers.booted), 600_000, `shop/${vm} to boot`);
      expect(consoleOf('shop', vm)).toContain('UEFI Secure Boot is enabled');
      // u1.small's memory, from the cluster instancetype.
      expect(jsonpath('vmi', 'shop', vm, '{.spec.domain.memory.guest}')).toBe('2Gi');
    }
  });
});
