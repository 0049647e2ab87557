/**
 * Dynamic local volumes on the local runtime: a VM whose data disk is a claim of the default
 * StorageClass `local` (WaitForFirstConsumer). kube-scheduler places the launcher pod and picks
 * the node for the claim, the handler's provisioner makes the volume, kube-controller-manager
 * binds it, the handler creates KubeVirt's disk.img in it at the claim's size, and the guest
 * boots with it. Deleting the VM and the claim deletes the volume and its data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { COUNTER_HEADER, ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { consoleHas, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-volumes';
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

it('a claim of the default class is provisioned on the pod node, holds disk.img, and goes with its claim', async () => {
  // No storageClassName: the cluster's default class, local.
  rt.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'scratch', namespace: NS },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '32Mi' } } },
  });
  // WaitForFirstConsumer: nothing is made before a pod uses the claim.
  await new Promise((r) => setTimeout(r, 2000));
  const before = rt.get('pvc', NS, 'scratch') as Obj & { spec?: { storageClassName?: string } };
  expect(before.spec?.storageClassName).toBe('local');
  expect(before.status?.phase).toBe('Pending');

  rt.apply(guestVm(image, { namespace: NS, name: 'keeper', runStrategy: 'Always', dataClaim: 'scratch' }));
  await waitRunning(rt, NS, 'keeper', GuestMarkers.booted);

  const claim = rt.get('pvc', NS, 'scratch') as Obj & {
    spec?: { volumeName?: string };
    metadata?: { annotations?: Record<string, string> };
  };
  expect(claim.status?.phase).toBe('Bound');
  expect(claim.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe(rt.nodeName);
  const pv = rt.get('pv', undefined, claim.spec?.volumeName ?? '') as Obj & {
    spec?: { local?: { path?: string } };
  };
  const dir = pv.spec?.local?.path ?? '';
  expect(dir.startsWith(path.join(rt.handlerStateDir, 'volumes') + path.sep)).toBe(true);
  expect(fs.statSync(path.join(dir, 'disk.img')).size).toBe(32 * 2 ** 20);

  rt.kubectl(['-n', NS, 'delete', 'vm', 'keeper', '--wait=true', '--timeout=180s']);
  await rt.waitFor('the VMI to go', () => rt.get('vmi', NS, 'keeper') === undefined, 180_000);
  rt.kubectl(['-n', NS, 'delete', 'pvc', 'scratch', '--wait=true', '--timeout=120s']);
  await rt.waitFor(
    'the volume to go',
    () => rt.get('pv', undefined, claim.spec?.volumeName ?? '') === undefined,
    120_000,
  );
  expect(fs.existsSync(dir)).toBe(false);
});

it('a Block claim is a loop device the guest reads and writes as its disk', async () => {
  rt.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'raw', namespace: NS },
    spec: {
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Block',
      resources: { requests: { storage: '8Mi' } },
    },
  });
  rt.apply(guestVm(image, { namespace: NS, name: 'blocky', runStrategy: 'Always', dataClaim: 'raw' }));
  await waitRunning(rt, NS, 'blocky', GuestMarkers.booted);
  const claim = rt.get('pvc', NS, 'raw') as Obj & { spec?: { volumeName?: string } };
  const pv = rt.get('pv', undefined, claim.spec?.volumeName ?? '') as Obj & {
    spec?: { local?: { path?: string }; volumeMode?: string };
  };
  expect(pv.spec?.volumeMode).toBe('Block');
  const device = pv.spec?.local?.path ?? '';
  expect(fs.statSync(device).isBlockDevice()).toBe(true);
  // Stop, make the device a boot counter from the host, start: the guest counts on it.
  expect(rt.virtkit(['stop', 'blocky', '-n', NS]).code).toBe(0);
  await rt.waitFor('the VMI to go', () => rt.get('vmi', NS, 'blocky') === undefined, 180_000);
  const fd = fs.openSync(device, 'r+');
  fs.writeSync(fd, Buffer.from(`${COUNTER_HEADER}0000000000\n`, 'ascii'), 0, undefined, 0);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  expect(rt.virtkit(['start', 'blocky', '-n', NS]).code).toBe(0);
  await waitRunning(rt, NS, 'blocky', GuestMarkers.booted);
  await rt.waitFor('the guest to count on the block device', () =>
    consoleHas(rt, NS, 'blocky', 'VIRTKIT-BOOT-COUNT dev=vdb serial=none count=1'),
  );
  const back = Buffer.alloc(26);
  const rd = fs.openSync(device, 'r');
  fs.readSync(rd, back, 0, 26, 0);
  fs.closeSync(rd);
  expect(back.toString('ascii')).toBe(`${COUNTER_HEADER}0000000001`);
});
