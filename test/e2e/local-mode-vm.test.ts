/**
 * Local mode as a user drives it: `virtkit up --detach`, `kubectl apply` a VM, the guest boots,
 * `virtkit down` — and nothing is left behind: no launcher, no QEMU.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBinary } from '../../cli/local/binaries';
import { groupVersionPath, SUBRESOURCES_API_VERSION } from '../../kube';
import { ensureGuestImage } from '../fixtures/guest/build';
import { waitFor } from '../fixtures/guest/harness';
import { processesMentioning } from '../fixtures/processes';
import { guestVm, namespace } from './runtime-support/manifests';

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

test('up, apply a VM, the guest boots, down leaves no guest running', async () => {
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

  const down = virtkit(['down']);
  expect(down.status).toBe(0);
  expect(down.stdout).toContain('launcher local-vm/virt-launcher-guest-');
  expect(processesMentioning(stateDir)).toEqual([]);
  expect(processesMentioning(podUid)).toEqual([]);
});
