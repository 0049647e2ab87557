/**
 * A TypeScript Pulumi program (`runtime: nodejs`) applied for real through `npm run pulumi`,
 * which runs it with the Automation API's in-process language host (scripts/pulumi-inline.ts:
 * no pulumi-language-nodejs here), the real CLI engine and the Kubernetes provider plugin built
 * by scripts/build-pulumi.sh, against the integration run's control plane. One stack goes
 * through up (with its outputs printed), a previewed (`--json`) and applied update, refresh and
 * destroy; each is checked in the API server. A program that throws fails `up` with its message
 * and exit code 1; `up` without `--yes` is refused as the CLI refuses it; stack and config verbs
 * go to the CLI itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_MAPS, VIRTUAL_MACHINE_INSTANCETYPES, VIRTUAL_MACHINES } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { pulumiProject, type PulumiProject, type PreviewStep } from './support/pulumi-project';
const NS = `pulumi-node-${process.pid}`;
const STACK = 'dev';

/**
 * The program: a ConfigMap whose `mode` comes from the stack's config, and two outputs; one
 * of virtkit's components (an Instancetype) whose object ignores changes of its CPU count
 * (objectOptions.ignoreChanges, passed through to its child); and a VirtualMachineFleet of
 * `vms` VMs (config, default 2) under runStrategy Manual (nothing to wait for: no controller
 * runs against this control plane), whose states are an output.
 */
const PROGRAM = `import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { Instancetype, VirtualMachineFleet } from '${path.resolve(__dirname, '../../provider')}';
import { Disk, RunStrategy } from '${path.resolve(__dirname, '../../api')}';

const config = new pulumi.Config();
const settings = new k8s.core.v1.ConfigMap('settings', {
  metadata: { name: 'settings', namespace: '${NS}' },
  data: { mode: config.require('mode') },
});
new Instancetype(
  'small',
  {
    namespace: '${NS}',
    spec: { cpu: { guest: config.getNumber('cpus') ?? 1 }, memory: { guest: '128Mi' } },
    objectOptions: { ignoreChanges: ['spec.cpu.guest'] },
  },
);
const web = new VirtualMachineFleet('web', {
  namespace: '${NS}',
  labels: { app: 'web' },
  vms: Object.fromEntries(
    Array.from({ length: config.getNumber('vms') ?? 2 }, (_, i) => [
      \`web-\${i}\`,
      {
        runStrategy: RunStrategy.MANUAL,
        memory: '128Mi',
        disks: [{ name: 'root', source: Disk.containerDisk('registry.local/guest:1') }],
      },
    ]),
  ),
});
if (config.getBoolean('explode')) throw new Error('the program exploded on purpose');
export const fleet = web.vms.apply((vms) => Object.keys(vms).sort().map((k) => vms[k].objectName));
export const settingsName = settings.metadata.name;
export const greeting = 'hello from TypeScript';
`;

let project: PulumiProject;
const ok = (...args: string[]) => project.ok(...args);
const pulumi = (...args: string[]) => project.run(...args);

async function configMap(): Promise<Json | undefined> {
  return (await sharedClient()).getIfExists(CONFIG_MAPS, NS, 'settings');
}

async function instancetype(): Promise<Json | undefined> {
  return (await sharedClient()).getIfExists(VIRTUAL_MACHINE_INSTANCETYPES, NS, 'small');
}

/** The fleet's VMs in the namespace, by name, with their app label. */
async function fleetVms(): Promise<string[]> {
  const list = await (
    await sharedClient()
  ).list<{ metadata: { name: string; labels?: Record<string, string> } }>(VIRTUAL_MACHINES, NS);
  return list.items.map((vm) => `${vm.metadata.name}:${vm.metadata.labels?.app ?? ''}`).sort();
}

beforeAll(async () => {
  project = pulumiProject('pulumi-node');
  const work = project.dir;
  await createNamespace(await sharedClient(), NS);
  fs.writeFileSync(path.join(work, 'Pulumi.yaml'), 'name: virtkit-node-probe\nruntime: nodejs\n');
  fs.writeFileSync(path.join(work, 'index.ts'), PROGRAM);
  // stack and config are the CLI's own verbs: no program runs.
  await ok('stack', 'init', STACK, '--non-interactive');
  await ok('config', 'set', 'mode', 'first', '--stack', STACK);
  await ok('config', 'set', 'kubernetes:enableConfigMapMutable', 'true', '--stack', STACK);
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NS);
  project.remove();
});

describe('a TypeScript Pulumi program through npm run pulumi (Automation API inline host)', () => {
  test('up without --yes is refused as the CLI refuses it, and changes nothing', async () => {
    const r = await pulumi('up', '--stack', STACK);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes must be passed in to proceed when running in non-interactive mode');
    expect(await configMap()).toBeUndefined();
  });

  test('up creates the ConfigMap and prints the outputs as the CLI does', async () => {
    const out = await ok('up', '--yes', '--stack', STACK);
    expect(out).toMatch(
      /Outputs:\s+fleet\s*: \[\s*\[0\]: "web-0"\s*\[1\]: "web-1"\s*\]\s+greeting\s*: "hello from TypeScript"\s+settingsName: "settings"/,
    );
    // The stack, the ConfigMap, the Instancetype component and its object, the fleet and its two VMs.
    expect(out).toMatch(/\+ 7 created/);
    expect(await fleetVms()).toEqual(['web-0:web', 'web-1:web']);
    expect((await configMap())?.data).toEqual({ mode: 'first' });
    expect((await instancetype())?.spec).toMatchObject({ cpu: { guest: 1 } });
    const outputs = JSON.parse(await ok('stack', 'output', '--json', '--stack', STACK)) as Record<
      string,
      unknown
    >;
    expect(outputs).toEqual({
      fleet: ['web-0', 'web-1'],
      greeting: 'hello from TypeScript',
      settingsName: 'settings',
    });
  });

  test('a config change previews (--json) as an update of that field, and up applies it; an ignored change is not; a new fleet member is one create', async () => {
    await ok('config', 'set', 'mode', 'second', '--stack', STACK);
    await ok('config', 'set', 'cpus', '2', '--stack', STACK);
    await ok('config', 'set', 'vms', '3', '--stack', STACK);
    const preview = JSON.parse(await ok('preview', '--json', '--stack', STACK)) as {
      steps: PreviewStep[];
      changeSummary: Record<string, number>;
    };
    const changed = preview.steps.filter((s) => s.op !== 'same');
    // The engine lists steps as registrations arrive, so their order is not the program's.
    expect(changed.map((s) => [s.op, s.urn.split('::').pop()]).sort()).toEqual([
      ['create', 'web-web-2'],
      ['update', 'settings'],
    ]);
    const settingsStep = changed.find((s) => s.urn.endsWith('::settings'));
    expect(Object.entries(settingsStep?.detailedDiff ?? {}).map(([f, d]) => [f, d.kind])).toEqual([
      ['data.mode', 'update'],
    ]);
    expect(preview.changeSummary).toMatchObject({ update: 1, create: 1 });
    await ok('up', '--yes', '--stack', STACK);
    expect((await configMap())?.data).toEqual({ mode: 'second' });
    expect(await fleetVms()).toEqual(['web-0:web', 'web-1:web', 'web-2:web']);
    // The Instancetype's CPU change was ignored, as objectOptions.ignoreChanges asked.
    expect((await instancetype())?.spec).toMatchObject({ cpu: { guest: 1 } });
  });

  test("a program that throws fails up with its message and exit code 1, and the object is the last up's", async () => {
    await ok('config', 'set', 'explode', 'true', '--stack', STACK);
    const r = await pulumi('up', '--yes', '--stack', STACK);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain('the program exploded on purpose');
    expect((await configMap())?.data).toEqual({ mode: 'second' });
    await ok('config', 'rm', 'explode', '--stack', STACK);
  });

  test('refresh finds no drift', async () => {
    await ok('refresh', '--yes', '--expect-no-changes', '--stack', STACK);
  });

  test("destroy removes the ConfigMap, the Instancetype and the fleet's VMs", async () => {
    await ok('destroy', '--yes', '--stack', STACK);
    expect(await configMap()).toBeUndefined();
    expect(await instancetype()).toBeUndefined();
    expect(await fleetVms()).toEqual([]);
  });
});
