/**
 * Dynamic local volumes on the local runtime: a VM whose data disk is a claim of the default
 * StorageClass `local` (WaitForFirstConsumer). kube-scheduler places the launcher pod and picks
 * the node for the claim, the handler's provisioner makes the volume, kube-controller-manager
 * binds it, the handler creates KubeVirt's disk.img in it at the claim's size, and the guest
 * boots with it. Deleting the VM and the claim deletes the volume and its data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { waitRunning } from './runtime-support/expect';
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
