/**
 * A Python Pulumi program (`runtime: python`, `__main__.py`) applied for real through
 * `npm run pulumi`, which runs it with the Automation API's inline host in Python
 * (scripts/pulumi-inline.py: no pulumi-language-python here), the cached venv of
 * scripts/setup/pulumi-python.sh, and the `pulumi_virtkit` SDK generated from the component
 * provider's schema by scripts/build-python-sdk.sh. The program creates one
 * `virtkit:index:VirtualMachine` through the component provider plugin (pulumi-resource-virtkit),
 * whose child object the Kubernetes provider applies to the integration run's control plane.
 *
 * No virtkit controller runs there, so the VM's run strategy is Manual: the component waits for
 * no status. One stack goes through `up` without `--yes` (refused), up, a previewed (`--json`)
 * and applied memory change, a program that raises (exit 1, its message, nothing changed) and
 * destroy; each is checked in the API server. The example (examples/pulumi-python) previews
 * against the same cluster.
 */
import * as fs from 'fs';
import * as path from 'path';
import { VIRTUAL_MACHINES } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { pulumiProject, type PulumiProject, type PreviewStep } from './support/pulumi-project';

const repo = path.resolve(__dirname, '../..');
const NS = `pulumi-py-${process.pid}`;
const STACK = 'dev';
const VM = 'py-probe';

/**
 * The program: one VirtualMachine in KubeVirt's own shape (`spec`), its guest memory from the
 * stack's config; an `explode` config value makes it raise before creating anything.
 */
const PROGRAM = `"""A virtkit VirtualMachine from Python, through the component provider."""
import pulumi
import pulumi_virtkit as virtkit

config = pulumi.Config()
if config.get_bool("explode"):
    raise RuntimeError("the Python program exploded on purpose")

vm = virtkit.VirtualMachine(
    "${VM}",
    namespace="${NS}",
    spec={
        "runStrategy": "Manual",
        "template": {
            "spec": {
                "domain": {
                    "memory": {"guest": config.require("memory")},
                    "devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}}]},
                },
                "volumes": [
                    {"name": "root", "containerDisk": {"image": "quay.io/containerdisks/fedora:40"}}
                ],
            }
        },
    },
)
pulumi.export("vmName", vm.object_name)
pulumi.export("greeting", "hello from Python")
`;

let project: PulumiProject;
const ok = (...args: string[]) => project.ok(...args);
const pulumi = (...args: string[]) => project.run(...args);

async function virtualMachine(): Promise<Json | undefined> {
  return (await sharedClient()).getIfExists(VIRTUAL_MACHINES, NS, VM);
}

/** The VM's guest memory as the API server has it. */
async function guestMemory(): Promise<unknown> {
  const spec = (await virtualMachine())?.spec as
    { template?: { spec?: { domain?: { memory?: { guest?: unknown } } } } } | undefined;
  return spec?.template?.spec?.domain?.memory?.guest;
}

beforeAll(async () => {
  const schema = path.join(repo, 'provider/plugin/schema.json');
  if (!fs.existsSync(schema))
    throw new Error(
      `${schema} is missing: the Python SDK is generated from the component provider's schema (build the provider plugin first)`,
    );
  project = pulumiProject('pulumi-py');
  await createNamespace(await sharedClient(), NS);
  fs.writeFileSync(path.join(project.dir, 'Pulumi.yaml'), 'name: virtkit-python-probe\nruntime: python\n');
  fs.writeFileSync(path.join(project.dir, '__main__.py'), PROGRAM);
  await ok('stack', 'init', STACK, '--non-interactive');
  await ok('config', 'set', 'memory', '128Mi', '--stack', STACK);
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NS);
  project?.remove();
});

describe('a Python Pulumi program with pulumi_virtkit through npm run pulumi (Automation API inline host)', () => {
  test('up without --yes is refused as the CLI refuses it, and changes nothing', async () => {
    const r = await pulumi('up', '--stack', STACK);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes must be passed in to proceed when running in non-interactive mode');
    expect(await virtualMachine()).toBeUndefined();
  });

  test('up creates the VirtualMachine through the component provider and prints the outputs', async () => {
    const out = await ok('up', '--yes', '--stack', STACK);
    expect(out).toMatch(/Outputs:\s+greeting: "hello from Python"\s+vmName\s*: "py-probe"/);
    const vm = await virtualMachine();
    expect(vm?.spec).toMatchObject({ runStrategy: 'Manual' });
    expect(await guestMemory()).toBe('128Mi');
    const outputs = JSON.parse(await ok('stack', 'output', '--json', '--stack', STACK)) as Record<
      string,
      unknown
    >;
    expect(outputs).toEqual({ greeting: 'hello from Python', vmName: VM });
  });

  test('a memory change previews (--json, the CLI own) as an update of the object, and up applies it', async () => {
    await ok('config', 'set', 'memory', '256Mi', '--stack', STACK);
    const preview = JSON.parse(await ok('preview', '--json', '--stack', STACK)) as {
      steps: PreviewStep[];
      changeSummary: Record<string, number>;
    };
    // The component's child: its URN's type ends with the Kubernetes object's type.
    const object = preview.steps.find((s) => /\$kubernetes:kubevirt\.io\/v1:VirtualMachine::/.test(s.urn));
    expect(object?.op).toBe('update');
    expect(Object.keys(object?.detailedDiff ?? {}).join(' ')).toContain('memory');
    expect(preview.changeSummary.update).toBeGreaterThanOrEqual(1);
    await ok('up', '--yes', '--stack', STACK);
    expect(await guestMemory()).toBe('256Mi');
  });

  test("a program that raises fails up with its message and exit code 1, and the VM is the last up's", async () => {
    await ok('config', 'set', 'explode', 'true', '--stack', STACK);
    const r = await pulumi('up', '--yes', '--stack', STACK);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain('the Python program exploded on purpose');
    expect(await guestMemory()).toBe('256Mi');
    await ok('config', 'rm', 'explode', '--stack', STACK);
  });

  test('destroy removes the VirtualMachine', async () => {
    await ok('destroy', '--yes', '--stack', STACK);
    expect(await virtualMachine()).toBeUndefined();
  });
});

describe('examples/pulumi-python', () => {
  test('previews as one VirtualMachine component and its object to create', async () => {
    const example = pulumiProject('pulumi-py-example');
    try {
      for (const file of ['Pulumi.yaml', '__main__.py'])
        fs.copyFileSync(path.join(repo, 'examples/pulumi-python', file), path.join(example.dir, file));
      await example.ok('stack', 'init', STACK, '--non-interactive');
      await example.ok('config', 'set', 'namespace', NS, '--stack', STACK);
      const preview = JSON.parse(await example.ok('preview', '--json', '--stack', STACK)) as {
        steps: PreviewStep[];
      };
      const created = preview.steps
        .filter((s) => s.op === 'create')
        .map((s) => s.urn.split('::').slice(-2)[0]);
      expect(created).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/virtkit:index:VirtualMachine$/),
          expect.stringMatching(/\$kubernetes:kubevirt\.io\/v1:VirtualMachine$/),
        ]),
      );
    } finally {
      example.remove();
    }
  });
});
