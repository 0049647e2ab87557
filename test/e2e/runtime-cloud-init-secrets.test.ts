/**
 * cloud-init from Secrets on the local runtime (KubeVirt's `secretRef` and `networkDataSecretRef`
 * of cloudInitNoCloud and cloudInitConfigDrive): the handler reads the Secret with its own RBAC
 * and hands the values to the launcher in its resources file (mode 0600), never on a command
 * line; the guest reads them from its cidata / config-2 disk. A missing Secret keeps the pod
 * waiting with a reason that names it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { consoleHas, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-ci-secrets';
const USER_TOKEN = 'user-data-from-a-secret-5f2c';
const NET_TOKEN = 'network-data-from-a-secret-9a41';
let rt: Runtime;
let image: GuestImage;

/** A guest VM whose cloud-init disk takes its data from Secrets. */
function secretVm(name: string, source: 'cloudInitNoCloud' | 'cloudInitConfigDrive', secret: string): Obj {
  const vm = guestVm(image, { namespace: NS, name, runStrategy: 'Always' }) as {
    spec: { template: { spec: { domain: { devices: { disks: object[] } }; volumes: object[] } } };
  };
  const spec = vm.spec.template.spec;
  spec.domain.devices.disks.push({ name: 'cloudinitdisk', disk: { bus: 'virtio' } });
  spec.volumes.push({
    name: 'cloudinitdisk',
    [source]: { secretRef: { name: secret }, networkDataSecretRef: { name: secret } },
  });
  return vm as unknown as Obj;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
  rt.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'guest-config', namespace: NS },
    type: 'Opaque',
    data: {
      userdata: b64(`#cloud-config\n# ${USER_TOKEN}\n`),
      networkData: b64(`{"links": [], "comment": "${NET_TOKEN}"}`),
    },
  });
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

it('NoCloud and ConfigDrive guests read user and network data from the Secret; no command line holds them', async () => {
  rt.apply(secretVm('nocloud', 'cloudInitNoCloud', 'guest-config'));
  rt.apply(secretVm('configdrive', 'cloudInitConfigDrive', 'guest-config'));
  for (const [vm, label] of [
    ['nocloud', 'cidata'],
    ['configdrive', 'config-2'],
  ]) {
    await waitRunning(rt, NS, vm, GuestMarkers.booted);
    expect(consoleHas(rt, NS, vm, `VIRTKIT-CLOUDINIT source=${label}`)).toBe(true);
    expect(consoleHas(rt, NS, vm, USER_TOKEN)).toBe(true);
    expect(consoleHas(rt, NS, vm, `${GuestMarkers.networkDataBegin}`)).toBe(true);
    expect(consoleHas(rt, NS, vm, NET_TOKEN)).toBe(true);
  }
  // Never on a command line: every process's argv on this machine.
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv = '';
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    expect({ pid, secret: argv.includes(USER_TOKEN) || argv.includes(NET_TOKEN) }).toEqual({
      pid,
      secret: false,
    });
  }
  // What the launcher got is readable by root alone.
  const pods = path.join(rt.handlerStateDir, 'pods');
  const files = fs
    .readdirSync(pods)
    .map((d) => path.join(pods, d, 'resources.json'))
    .filter((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes(USER_TOKEN));
  expect(files).toHaveLength(2);
  for (const f of files) expect(fs.statSync(f).mode & 0o077).toBe(0);
});

it('a missing Secret keeps the launcher pod waiting with a reason that names it', async () => {
  rt.apply(secretVm('unconfigured', 'cloudInitNoCloud', 'nope'));
  const waiting = await rt.waitFor(
    'the launcher pod waiting on the Secret',
    () =>
      rt
        .list('pods', NS, 'kubevirt.io=virt-launcher')
        .flatMap(
          (p: Obj) =>
            (p.status?.containerStatuses ?? []) as {
              state?: { waiting?: { reason?: string; message?: string } };
            }[],
        )
        .map((c) => c.state?.waiting)
        .find((w) => w?.reason === 'SecretNotFound'),
    180_000,
  );
  expect(waiting?.message).toMatch(
    new RegExp(`Secret ${NS}/nope \\(cloud-init user data\\) does not exist; create it`),
  );
  rt.kubectl(['-n', NS, 'delete', 'vm', 'unconfigured', '--wait=false']);
});
