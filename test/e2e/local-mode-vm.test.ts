/**
 * Local mode as a user drives it: `virtkit up --detach`, `kubectl apply` a VM, the guest boots;
 * a claim is exported and `virtkit vmexport download` brings it through the external link
 * `virtkit api` serves (the controller finds that link under its own RBAC); `virtkit down` — and
 * nothing is left behind: no launcher, no QEMU.
 */
import { spawnSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { findBinary } from '../../cli/local/binaries';
import { groupVersionPath, SUBRESOURCES_API_VERSION } from '../../kube';
import { ensureGuestImage } from '../fixtures/guest/build';
import { waitFor } from '../fixtures/guest/harness';
import { processesMentioning } from '../fixtures/processes';
import { guestVm, httpDataVolume, namespace } from './runtime-support/manifests';

jest.setTimeout(600_000);

const VIRTKIT = path.resolve(__dirname, '..', '..', 'bin', 'virtkit.js');
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-local-vm-'));
const stateDir = path.join(cwd, '.virtkit');

function virtkit(args: string[]) {
  return spawnSync(process.execPath, [VIRTKIT, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
}

function kubectl(args: string[], input?: string): string {
  const r = spawnSync(findBinary('kubectl'), args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: path.join(stateDir, 'kubeconfig') },
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

afterAll(() => {
  virtkit(['down']);
  fs.rmSync(cwd, { recursive: true, force: true });
});

let guestPodUid = '';

test('up, apply a VM, the guest boots', async () => {
  const up = virtkit(['up', '--detach', '--feature-gates', 'LocalContainerDisk']);
  expect(up.status).toBe(0);
  expect(up.stdout).toContain(`export KUBECONFIG=${path.join(stateDir, 'kubeconfig')}`);
  // `up` registered virtkit api as the aggregated API subresources.kubevirt.io/v1.
  const subresources = JSON.parse(kubectl(['get', '--raw', groupVersionPath(SUBRESOURCES_API_VERSION)]));
  expect(subresources.resources.map((r: { name: string }) => r.name)).toContain('virtualmachines/start');

  const image = ensureGuestImage();
  const manifests = [
    namespace('local-vm'),
    guestVm(image, { namespace: 'local-vm', name: 'guest', runStrategy: 'Always' }),
  ];
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }));

  const status = () =>
    kubectl([
      'get',
      'vm',
      'guest',
      '-n',
      'local-vm',
      '-o',
      'jsonpath={.status.printableStatus}/{.status.ready}',
    ]);
  await waitFor(() => status() === 'Running/true', 180_000, 'the VM to be Running and Ready');
  const podUid = kubectl(['get', 'pods', '-n', 'local-vm', '-o', 'jsonpath={.items[0].metadata.uid}']).trim();
  const consoleLog = path.join(stateDir, 'handler', 'pods', podUid, 'w', 'qemu', 'serial.log');
  await waitFor(
    () => fs.existsSync(consoleLog) && fs.readFileSync(consoleLog, 'utf8').includes('VIRTKIT-GUEST-BOOTED'),
    180_000,
    'the boot marker',
  );
  const isQemu = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-system');
  expect(processesMentioning(podUid).some(isQemu)).toBe(true);
  guestPodUid = podUid;
});

test("virtkit vmexport download brings a claim through virtkit api's external link with the volume's sha256; --port-forward says the node runs no kubelet", async () => {
  const ns = 'local-vm';
  const bytes = randomBytes(3 << 20);
  const server = http.createServer((req, res) => {
    if (req.url !== '/data.img') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  try {
    const dv = httpDataVolume(
      ns,
      'data',
      `http://127.0.0.1:${(server.address() as { port: number }).port}/data.img`,
      '8Mi',
    );
    kubectl(['apply', '-f', '-'], JSON.stringify(dv));
    await waitFor(
      () => kubectl(['get', 'dv', '-n', ns, 'data', '-o', 'jsonpath={.status.phase}']) === 'Succeeded',
      120_000,
      'DataVolume data to succeed',
    );
  } finally {
    server.close();
  }
  const pv = kubectl(['get', 'pvc', '-n', ns, 'data', '-o', 'jsonpath={.spec.volumeName}']);
  const volume = fs.readFileSync(
    path.join(kubectl(['get', 'pv', pv, '-o', 'jsonpath={.spec.local.path}']), 'disk.img'),
  );
  expect(sha256(volume.subarray(0, bytes.length))).toBe(sha256(bytes));

  // The export is made for the download and deleted after it (virtctl's way).
  const out = path.join(cwd, 'data.img.gz');
  const env = { ...process.env, KUBECONFIG: path.join(stateDir, 'kubeconfig') };
  const got = spawnSync(
    process.execPath,
    [VIRTKIT, 'vmexport', 'download', 'data-export', '--pvc', 'data', '-n', ns, '--output', out],
    { encoding: 'utf8', env, timeout: 180_000 },
  );
  expect([got.status, got.stderr]).toEqual([0, expect.any(String)]);
  expect(got.stdout).toContain(`Download finished succesfully`);
  expect(sha256(gunzipSync(fs.readFileSync(out)))).toBe(sha256(volume));
  expect(kubectl(['get', 'vmexport', '-n', ns, '-o', 'name']).trim()).toBe('');

  // Local mode's nodes run no kubelet, so pods/portforward cannot reach the exporter pod.
  const forwarded = spawnSync(
    process.execPath,
    [
      VIRTKIT,
      'vmexport',
      'download',
      'pf-export',
      '--pvc',
      'data',
      '-n',
      ns,
      '--port-forward',
      '--output',
      out,
    ],
    { encoding: 'utf8', env, timeout: 180_000 },
  );
  expect(forwarded.status).toBe(1);
  expect(forwarded.stderr).toMatch(
    /cannot forward a port to pod local-vm\/virt-export-pf-export: .*runs no kubelet, as local mode's nodes: download through the export's external link, without --port-forward/,
  );
  kubectl(['delete', 'dv', '-n', ns, 'data', '--wait=true']);
});

test('down leaves no guest running', () => {
  const podUid = guestPodUid;
  const down = virtkit(['down']);
  expect(down.status).toBe(0);
  expect(down.stdout).toContain('launcher local-vm/virt-launcher-guest-');
  expect(processesMentioning(stateDir)).toEqual([]);
  expect(processesMentioning(podUid)).toEqual([]);
});
