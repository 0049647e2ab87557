/**
 * Local mode as a user drives it: `virtkit up --detach`, `kubectl apply` a VM, the guest boots,
 * `virtkit down` — and nothing is left behind: no launcher, no QEMU.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBinary } from '../../cli/local/binaries';
import { ensureGuestImage } from '../fixtures/guest/build';
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

/** Live processes whose command line mentions `marker` (QEMU and launchers name their work dirs). */
function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(marker) && !/\) Z /.test(stat)) found.push(`${entry}: ${cmdline.slice(0, 120)}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 180_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

afterAll(() => {
  virtkit(['down']);
  fs.rmSync(cwd, { recursive: true, force: true });
});

test('up, apply a VM, the guest boots, down leaves no guest running', async () => {
  const up = virtkit(['up', '--detach']);
  expect(up.status).toBe(0);
  expect(up.stdout).toContain(`export KUBECONFIG=${path.join(stateDir, 'kubeconfig')}`);

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
  await waitFor('the VM to be Running and Ready', () => status() === 'Running/true');
  const podUid = kubectl(['get', 'pods', '-n', 'local-vm', '-o', 'jsonpath={.items[0].metadata.uid}']).trim();
  const consoleLog = path.join(stateDir, 'handler', 'pods', podUid, 'w', 'serial.log');
  await waitFor(
    'the boot marker',
    () => fs.existsSync(consoleLog) && fs.readFileSync(consoleLog, 'utf8').includes('VIRTKIT-GUEST-BOOTED'),
  );
  expect(processesMentioning(podUid).some((p) => p.includes('qemu-system'))).toBe(true);

  const down = virtkit(['down']);
  expect(down.status).toBe(0);
  expect(down.stdout).toContain('launcher local-vm/virt-launcher-guest-');
  expect(processesMentioning(stateDir)).toEqual([]);
  expect(processesMentioning(podUid)).toEqual([]);
});
