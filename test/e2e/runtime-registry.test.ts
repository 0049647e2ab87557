/**
 * Container disks from a real OCI registry, end to end: Debian's docker-registry on loopback,
 * the test guest pushed with `virtkit image push`, and VMs whose containerDisk names the
 * registry image booting on the local runtime. The cluster has no LocalContainerDisk gate:
 * registry images need none. A missing tag shows ImagePullBackOff with the registry's answer.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { TestRegistry } from '../fixtures/registry';
import { printableStatus, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-registry';
const VIRTKIT = path.resolve(__dirname, '../../bin/virtkit.js');
let rt: Runtime;
let reg: TestRegistry;
let image: GuestImage;
let pushed: string;

/** The test guest's VM with its root disk from `ref`. */
function registryVm(name: string, ref: string): Record<string, unknown> {
  const vm = guestVm(image, { namespace: NS, name, runStrategy: 'Always' }) as {
    spec: { template: { spec: { volumes: { name: string; containerDisk?: { image: string } }[] } } };
  };
  for (const v of vm.spec.template.spec.volumes) if (v.containerDisk) v.containerDisk = { image: ref };
  return vm;
}

beforeAll(async () => {
  image = ensureGuestImage();
  reg = await TestRegistry.start();
  const push = spawnSync(
    process.execPath,
    [VIRTKIT, 'image', 'push', image.disk, `${reg.host}/virtkit/testguest:v1`],
    {
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (push.status !== 0) throw new Error(`virtkit image push failed: ${push.stderr}`);
  pushed = push.stdout.trim();
  rt = await Runtime.startAll(NS, { featureGates: [] });
}, 600_000);

afterAll(async () => {
  await rt?.stop();
  await reg?.stop();
});

describe('container disks from a registry', () => {
  it('pushes the test guest and prints its digest reference', () => {
    expect(pushed).toMatch(/^127\.0\.0\.1:\d+\/virtkit\/testguest@sha256:[0-9a-f]{64}$/);
  });

  it('boots a VM from the registry image; a second VM of the same image reuses the cache', async () => {
    rt.apply(registryVm('from-registry', `${reg.host}/virtkit/testguest:v1`));
    await waitRunning(rt, NS, 'from-registry', GuestMarkers.booted);
    rt.apply(registryVm('from-registry-2', pushed));
    await waitRunning(rt, NS, 'from-registry-2', GuestMarkers.booted);
    const disks = path.join(rt.handlerStateDir, 'images', 'disks');
    expect(fs.readdirSync(disks)).toEqual([pushed.split('@sha256:')[1]]);
    const log = fs.readFileSync(path.join(rt.dir, 'handler.log'), 'utf8');
    expect(log.match(/pulling layer sha256:/g)).toHaveLength(1);
    rt.kubectl(['-n', NS, 'delete', 'vm', 'from-registry', 'from-registry-2', '--wait=false']);
  });

  it("a missing tag: the launcher pod waits in ImagePullBackOff and the VMI gets Warning Events with the registry's answer", async () => {
    rt.apply(registryVm('missing-tag', `${reg.host}/virtkit/testguest:nope`));
    const pod = await rt.waitFor(
      'the launcher pod waiting in ImagePullBackOff',
      () =>
        rt
          .list('pods', NS, 'kubevirt.io=virt-launcher')
          .find((p: Obj) =>
            ((p.status?.containerStatuses ?? []) as { state?: { waiting?: { reason?: string } } }[]).some(
              (c) => c.state?.waiting?.reason === 'ImagePullBackOff',
            ),
          ),
      180_000,
    );
    const waiting = (pod.status?.containerStatuses as { state: { waiting: { message: string } } }[])[0].state
      .waiting;
    expect(waiting.message).toMatch(/testguest:nope.*404 Not Found \(MANIFEST_UNKNOWN: manifest unknown\)/);
    const events = await rt.waitFor(
      'ErrImagePull and ImagePullBackOff Events on the VMI',
      () => {
        const list = JSON.parse(
          rt.kubectl([
            '-n',
            NS,
            'get',
            'events',
            '--field-selector',
            'involvedObject.name=missing-tag',
            '-o',
            'json',
          ]),
        ) as { items: { type: string; reason: string; message: string; involvedObject: { kind: string } }[] };
        const vmiEvents = list.items.filter((e) => e.involvedObject.kind === 'VirtualMachineInstance');
        return ['ErrImagePull', 'ImagePullBackOff'].every((r) => vmiEvents.some((e) => e.reason === r))
          ? vmiEvents
          : undefined;
      },
      180_000,
    );
    // The controller carries the pod's waiting reason to the VMI (Synchronized=False), which
    // the VM's printableStatus shows, as `kubectl get vm` does on KubeVirt.
    await rt.waitFor(
      'the VM to show the image error',
      () => ['ErrImagePull', 'ImagePullBackOff'].includes(printableStatus(rt, NS, 'missing-tag') ?? ''),
      180_000,
    );
    expect(events.find((e) => e.reason === 'ErrImagePull')).toMatchObject({
      type: 'Warning',
      message: expect.stringMatching(/Failed to pull image ".*testguest:nope".*MANIFEST_UNKNOWN/),
    });
  });
});
