/**
 * The TypeScript fleet of examples/pulumi applied for real: `npm run pulumi` (the Automation
 * API's inline host, the real CLI engine, the Kubernetes provider plugin built from source)
 * against a whole local runtime (controller, handler, QEMU guests). A user sees:
 *
 * - `up` returns only when every VM of the fleet is Running and Ready, and its guest has booted
 *   (Ready means "the guest agent answers" here: the fleet's readiness probe);
 * - a memory change previews as an update of exactly that field of the web VMs, and applies:
 *   the VMs report RestartRequired, as KubeVirt's do for a change the running guest cannot take;
 * - `runStrategy: Halted` waits until the VMs are Stopped and no QEMU runs;
 * - `refresh` finds no drift;
 * - `destroy` leaves no VM, VMI, launcher pod or QEMU process, and no library object.
 *
 * The program is the example file itself (the project's Pulumi.yaml names it as `main`); the
 * suite only sets its configuration: the test guest as the container disk, small sizes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureGuestImage, GuestMarkers } from '../fixtures/guest/build';
import { pulumiProject, type PulumiProject, type PreviewStep } from '../integration/support/pulumi-project';
import { consoleHas, isReady, printableStatus } from './runtime-support/expect';
import { Runtime } from './runtime-support/runtime';

jest.setTimeout(1_800_000);

const NS = 'pulumi-fleet';
const STACK = 'e2e';
const WEB = ['web-0', 'web-1'];
const FLEET = [...WEB, 'batch'];
const PROGRAM = path.resolve(__dirname, '../../examples/pulumi/index.ts');

let rt: Runtime;
let project: PulumiProject;

interface VmOutput {
  readonly printableStatus?: string;
  readonly ready?: boolean;
  readonly restartRequired?: boolean;
  readonly ipAddresses?: string[];
  readonly nodeName?: string;
}

const ok = (...args: string[]) => project.ok(...args, '--stack', STACK);

async function outputs(): Promise<Record<string, VmOutput>> {
  const out = JSON.parse(await project.ok('stack', 'output', 'vms', '--json', '--stack', STACK)) as Record<
    string,
    VmOutput
  >;
  return out;
}

/** The condition `type` of VM `name`, as the controller wrote it. */
function condition(name: string, type: string): string | undefined {
  return rt.get('vm', NS, name)?.status?.conditions?.find((c) => c.type === type)?.status;
}

beforeAll(async () => {
  const image = ensureGuestImage();
  rt = await Runtime.startAll('pulumi-fleet-base');
  project = pulumiProject('pulumi-fleet', { kubeconfig: rt.kubeconfig, timeoutMs: 1_200_000 });
  fs.writeFileSync(
    path.join(project.dir, 'Pulumi.yaml'),
    `name: virtkit-fleet\nruntime: nodejs\nmain: ${JSON.stringify(PROGRAM)}\n`,
  );
  await project.ok('stack', 'init', STACK, '--non-interactive');
  const config: Record<string, string> = {
    namespace: NS,
    image: `file://${image.disk}`,
    os: 'cirros',
    webReplicas: String(WEB.length),
    webMemory: '256Mi',
    batchSize: 'u1.nano',
  };
  for (const [key, value] of Object.entries(config)) await ok('config', 'set', key, value);
}, 900_000);

afterAll(async () => {
  // Whatever a failed test left: the stack's objects go before the runtime does.
  if (project) {
    await project.run('destroy', '--yes', '--stack', STACK);
    project.remove();
  }
  await rt?.stop();
});

describe('pulumi up of the TypeScript fleet on a local runtime', () => {
  test('up returns when every VM is Running, Ready and booted', async () => {
    const out = await ok('up', '--yes');
    // Nothing was waited for after up returned: every VM is already there.
    for (const vm of FLEET) {
      expect(`${vm} ${printableStatus(rt, NS, vm)} ${isReady(rt.get('vm', NS, vm))}`).toBe(
        `${vm} Running true`,
      );
      // The guest prints its marker right after starting the agent the readiness probe pings.
      await rt.waitFor(`${vm} boot marker`, () => consoleHas(rt, NS, vm, GuestMarkers.booted), 20_000);
    }
    expect(rt.liveQemus().length).toBe(FLEET.length);
    expect(out).toMatch(/Outputs:/);
    const vms = await outputs();
    expect(Object.keys(vms).sort()).toEqual([...FLEET].sort());
    for (const vm of FLEET) {
      expect(vms[vm]).toMatchObject({ printableStatus: 'Running', ready: true, nodeName: rt.nodeName });
      // The pod network's address of the guest, as its VMI reports it.
      const vmi = rt.get('vmi', NS, vm)?.status as { interfaces?: { ipAddress?: string }[] };
      expect(vms[vm].ipAddresses).toContain(vmi.interfaces?.[0]?.ipAddress);
    }
    // The library's objects, cluster-wide, and the sizes the VMs got from them.
    expect(rt.get('virtualmachineclusterinstancetype', undefined, 'u1.nano')).toBeDefined();
    expect(rt.get('virtualmachineclusterpreference', undefined, 'cirros')).toBeDefined();
    const batch = rt.get('vmi', NS, 'batch')?.spec as { domain?: { memory?: { guest?: string } } };
    expect(batch.domain?.memory?.guest).toBe('512Mi');
  });

  test('a memory change previews as an update of exactly that field, and applies as RestartRequired', async () => {
    await ok('config', 'set', 'webMemory', '320Mi');
    const preview = JSON.parse(await ok('preview', '--json')) as {
      steps: PreviewStep[];
      changeSummary: Record<string, number>;
    };
    const changed = preview.steps.filter((s) => s.op !== 'same');
    expect(changed.map((s) => [s.op, s.type, s.urn.split('::').pop()]).sort()).toEqual(
      WEB.map((vm) => ['update', 'kubernetes:kubevirt.io/v1:VirtualMachine', vm]),
    );
    for (const step of changed)
      expect(Object.entries(step.detailedDiff ?? {}).map(([f, d]) => [f, d.kind])).toEqual([
        ['spec.template.spec.domain.memory.guest', 'update'],
      ]);
    await ok('up', '--yes');
    for (const vm of WEB) {
      expect(
        (rt.get('vm', NS, vm)?.spec as { template: { spec: { domain: { memory: { guest: string } } } } })
          .template.spec.domain.memory.guest,
      ).toBe('320Mi');
      // The running guest keeps its memory until restarted, and the VM says so.
      expect(condition(vm, 'RestartRequired')).toBe('True');
      expect(
        (rt.get('vmi', NS, vm)?.spec as { domain: { memory: { guest: string } } }).domain.memory.guest,
      ).toBe('256Mi');
    }
    // up returned once the controller had seen the change, so the outputs already say so.
    const vms = await outputs();
    for (const vm of WEB) expect(vms[vm].restartRequired).toBe(true);
    expect(vms.batch.restartRequired).toBe(false);
  });

  test('runStrategy Halted: up returns when every VM is Stopped and no QEMU runs', async () => {
    await ok('config', 'set', 'runStrategy', 'Halted');
    await ok('up', '--yes');
    for (const vm of FLEET) {
      expect(`${vm} ${printableStatus(rt, NS, vm)}`).toBe(`${vm} Stopped`);
      expect(rt.get('vmi', NS, vm)).toBeUndefined();
    }
    expect(rt.liveLaunchers()).toEqual([]);
    expect(rt.liveQemus()).toEqual([]);
    const vms = await outputs();
    for (const vm of FLEET) expect(vms[vm]).toMatchObject({ printableStatus: 'Stopped', ready: false });
  });

  test('refresh finds no drift', async () => {
    await ok('refresh', '--yes', '--expect-no-changes');
  });

  test('destroy leaves no VM, VMI, pod or QEMU, and no library object', async () => {
    // Running again first, so destroy has guests to stop.
    await ok('config', 'set', 'runStrategy', 'Always');
    await ok('up', '--yes');
    expect(
      rt
        .list('vmi', NS)
        .map((v) => `${v.metadata.name} ${v.status?.phase}`)
        .sort(),
    ).toEqual([...FLEET].sort().map((vm) => `${vm} Running`));
    expect(rt.liveLaunchers().length).toBe(FLEET.length);
    expect(rt.liveQemus().length).toBe(FLEET.length);
    await ok('destroy', '--yes');
    // Destroy deleted the VMs (waiting for them to go) before their namespace.
    for (const kind of ['vm', 'vmi', 'pods', 'datavolumes'])
      expect(`${kind}: ${rt.list(kind, NS).length}`).toBe(`${kind}: 0`);
    await rt.waitFor('the fleet namespace to go', () => !rt.get('namespace', undefined, NS), 300_000);
    await rt.waitFor(
      'every QEMU and launcher to exit',
      () => rt.liveQemus().length === 0 && rt.liveLaunchers().length === 0,
      120_000,
    );
    expect(rt.get('virtualmachineclusterinstancetype', undefined, 'u1.nano')).toBeUndefined();
    expect(rt.get('virtualmachineclusterpreference', undefined, 'cirros')).toBeUndefined();
  });
});
