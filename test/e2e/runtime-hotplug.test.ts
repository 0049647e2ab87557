/**
 * Volume hotplug on the local runtime, as a KubeVirt user does it: a running VM, a claim of the
 * default class `local` (WaitForFirstConsumer), `virtkit addvolume` -> the attachment pod
 * (hp-volume-*, owned by the launcher pod) gets the claim bound on the VM's node, the handler
 * creates disk.img and the launcher hotplugs it as a SCSI disk: the guest sees a new disk
 * (its init script announces it), the VMI's volumeStatus says Ready with the target.
 * `removevolume` takes it out of the guest and out of volumeStatus; `addvolume --persist` puts
 * it in the VM's template too, and the guest reads what the host wrote into disk.img.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { consoleHas, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(900_000);

const NS = 'rt-hotplug';
const VM = 'hotvm';
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

type VolumeStatus = {
  name: string;
  target: string;
  phase?: string;
  reason?: string;
  hotplugVolume?: { attachPodName?: string };
};
const volumeStatus = (): VolumeStatus[] =>
  (rt.get('vmi', NS, VM)?.status as { volumeStatus?: VolumeStatus[] } | undefined)?.volumeStatus ?? [];
const entry = (name: string): VolumeStatus | undefined => volumeStatus().find((v) => v.name === name);
const consoleText = (): string => fs.readFileSync(rt.serialLog(NS, VM) ?? '', 'utf8');
const count = (marker: string): number => consoleText().split(marker).length - 1;

function virtkit(args: string[]): string {
  const r = rt.virtkit([...args, '-n', NS]);
  if (r.code !== 0) throw new Error(`virtkit ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

it('hotplugs a local claim into the running guest, unplugs it, and persists it in the VM', async () => {
  rt.apply(guestVm(image, { namespace: NS, name: VM, runStrategy: 'Always' }));
  await waitRunning(rt, NS, VM, GuestMarkers.booted);
  rt.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'hot', namespace: NS },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
  });

  // A dry run changes nothing.
  expect(virtkit(['addvolume', VM, '--volume-name=hot', '--dry-run'])).toContain('Dry Run execution');
  expect((rt.get('vmi', NS, VM)?.spec as { volumes?: unknown[] }).volumes).toHaveLength(1);

  expect(virtkit(['addvolume', VM, '--volume-name=hot'])).toContain(
    `Successfully submitted add volume request to VM ${VM} for volume hot`,
  );
  const ready = await rt.waitFor(
    'volumeStatus hot Ready',
    () => (entry('hot')?.phase === 'Ready' ? entry('hot') : undefined),
    240_000,
    () => ({
      volumeStatus: volumeStatus(),
      pods: rt.list('pods', NS, 'kubevirt.io=hotplug-disk').map((p) => p.status),
    }),
  );
  expect(ready).toMatchObject({ target: 'sda', reason: 'VolumeReady' });
  expect(ready.hotplugVolume?.attachPodName).toMatch(/^hp-volume-/);
  await rt.waitFor(
    'the guest to see the disk',
    () => consoleHas(rt, NS, VM, `${GuestMarkers.diskAdded} name=sda serial=hot sectors=32768`),
    60_000,
  );

  // The attachment pod: KubeVirt's label, owned by the launcher pod, the claim bound on this node.
  const [pod] = rt.list('pods', NS, 'kubevirt.io=hotplug-disk') as (Obj & {
    metadata: { ownerReferences?: { kind: string; name: string }[] };
  })[];
  expect(pod?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Pod' });
  expect(pod?.metadata.ownerReferences?.[0]?.name).toMatch(/^virt-launcher-hotvm-/);
  const claim = rt.get('pvc', NS, 'hot') as Obj & { spec?: { volumeName?: string } };
  expect(claim.status?.phase).toBe('Bound');

  // A second add of the same name is refused with KubeVirt's words.
  const again = rt.virtkit(['addvolume', VM, '--volume-name=hot', '-n', NS]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('Unable to add volume [hot] because volume with that name already exists');

  expect(virtkit(['removevolume', VM, '--volume-name=hot'])).toContain(
    `Successfully submitted remove volume request to VM ${VM} for volume hot`,
  );
  await rt.waitFor(
    'the guest to lose the disk',
    () => consoleHas(rt, NS, VM, `${GuestMarkers.diskRemoved} name=sda`),
    120_000,
  );
  await rt.waitFor('volumeStatus without hot', () => entry('hot') === undefined, 60_000, volumeStatus);
  await rt.waitFor(
    'the attachment pod to go',
    () => rt.list('pods', NS, 'kubevirt.io=hotplug-disk').length === 0,
    120_000,
  );

  // The host writes into the claim's disk.img; the guest reads it once the disk is back.
  const pv = rt.get('pv', undefined, claim.spec?.volumeName ?? '') as Obj & {
    spec?: { local?: { path?: string } };
  };
  const img = path.join(pv.spec?.local?.path ?? '', 'disk.img');
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, Buffer.from('VIRTKIT-HOTPLUG-DATA'), 0, undefined, 0);
  fs.closeSync(fd);

  const added = count(GuestMarkers.diskAdded);
  virtkit(['addvolume', VM, '--volume-name=hot', '--persist']);
  await rt.waitFor(
    'the VM template to carry the volume',
    () =>
      (
        (rt.get('vm', NS, VM)?.spec as { template: { spec: { volumes: { name: string }[] } } }).template.spec
          .volumes ?? []
      ).some((v) => v.name === 'hot'),
    60_000,
  );
  await rt.waitFor(
    'volumeStatus hot Ready again',
    () => entry('hot')?.phase === 'Ready',
    240_000,
    volumeStatus,
  );
  await rt.waitFor(
    'the guest to read the host data',
    () => count(GuestMarkers.diskAdded) > added && consoleText().includes('head=VIRTKIT-HOTPLUG-DATA'),
    60_000,
  );
  expect((rt.get('vm', NS, VM)?.status as { volumeRequests?: unknown[] }).volumeRequests).toBeUndefined();
  // A hotplug change asks for no restart.
  const conditions = (rt.get('vm', NS, VM)?.status?.conditions ?? []) as { type: string; status: string }[];
  expect(conditions.find((c) => c.type === 'RestartRequired')?.status).not.toBe('True');
});
