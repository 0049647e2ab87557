/**
 * A VM sized only by an instancetype, end to end: the controller applies a namespaced
 * VirtualMachineInstancetype (2 vCPUs, 256Mi: small enough for the test guest) and a
 * preference (cores first) to the VMI it creates, the handler and launcher boot the test guest
 * with them, and the VMI, the VM's status and QEMU's own command line all show those sizes.
 */
import * as fs from 'fs';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { launcherOf, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-instancetype';
const IT = 'instancetype.kubevirt.io/v1beta1';
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

/** The test guest's VM, with its size left to the instancetype and its shape to the preference. */
function sizedVm(): Record<string, unknown> {
  const vm = guestVm(image, { namespace: NS, name: 'sized', runStrategy: 'Always' }) as {
    spec: Record<string, unknown> & { template: { spec: { domain: Record<string, unknown> } } };
  };
  delete vm.spec.template.spec.domain.resources;
  vm.spec.instancetype = { name: 'e2e-small', kind: 'VirtualMachineInstancetype' };
  vm.spec.preference = { name: 'e2e-cores', kind: 'VirtualMachinePreference' };
  return vm;
}

describe('instancetypes on the local runtime', () => {
  it('a VM sized only by an instancetype boots, and its VMI and QEMU show the instancetype’s CPU and memory', async () => {
    rt.apply({
      apiVersion: IT,
      kind: 'VirtualMachineInstancetype',
      metadata: { name: 'e2e-small', namespace: NS },
      spec: { cpu: { guest: 2 }, memory: { guest: '256Mi' } },
    });
    rt.apply({
      apiVersion: IT,
      kind: 'VirtualMachinePreference',
      metadata: { name: 'e2e-cores', namespace: NS },
      spec: { cpu: { preferredCPUTopology: 'cores' } },
    });
    rt.apply(sizedVm());

    const vmi = await waitRunning(rt, NS, 'sized', GuestMarkers.booted);
    const domain = (vmi.spec as { domain: { cpu?: Record<string, number>; memory?: { guest?: string } } })
      .domain;
    expect(domain.cpu).toMatchObject({ sockets: 1, cores: 2, threads: 1 });
    expect(domain.memory).toEqual({ guest: '256Mi' });
    expect(vmi.metadata.annotations).toMatchObject({
      'kubevirt.io/instancetype-name': 'e2e-small',
      'kubevirt.io/preference-name': 'e2e-cores',
    });

    // The VM's spec is as written; its status names the copies the VMI was built from.
    const vm = rt.get('vm', NS, 'sized')!;
    expect((vm.spec as { instancetype?: unknown }).instancetype).toEqual({
      name: 'e2e-small',
      kind: 'VirtualMachineInstancetype',
    });
    const refs = vm.status as { instancetypeRef?: { controllerRevisionRef?: { name?: string } } };
    const revision = refs.instancetypeRef?.controllerRevisionRef?.name ?? '';
    expect(revision).toMatch(/^sized-e2e-small-v1beta1-[0-9a-f-]{36}-1$/);
    expect(rt.get('controllerrevision', NS, revision)).toBeDefined();

    // QEMU was started with those sizes (its pid from the launcher's control API).
    const { pid } = await launcherOf(rt, NS, 'sized').status();
    expect(pid).toBeGreaterThan(0);
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const after = (flag: string): string => args[args.indexOf(flag) + 1];
    expect(after('-smp')).toBe('cpus=2,sockets=1,cores=2,threads=1');
    expect(after('-m')).toBe('256M');
  });
});
