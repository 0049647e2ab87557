/**
 * virtkit's component provider (`pulumi-resource-virtkit`, provider/plugin/) serving a Pulumi
 * YAML program for real: `npm run pulumi` installs the plugin into the project's PULUMI_HOME by
 * version, the YAML language host type-checks the program against the plugin's schema, and the
 * engine asks the plugin to construct `virtkit:index:VirtualMachine`, whose child the
 * Kubernetes provider applies to the integration run's control plane. One stack goes through
 * up, a previewed and applied memory change, bad input refused at preview (written in the
 * program, and arriving as another resource's output; a Multus network that does not exist,
 * while one in the cluster or declared by the program passes), and destroy; every step is
 * checked in the API server.
 *
 * No virtkit controller runs against that control plane, so the VM is `runStrategy: Manual`
 * with `await: {skipAwait: true}`: nothing waits for a status that never comes.
 */
import * as path from 'path';
import * as fs from 'fs';
import { NETWORK_ATTACHMENT_DEFINITIONS, VIRTUAL_MACHINES } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { pulumiProject, type PulumiProject, type PreviewStep } from './support/pulumi-project';

const NS = `pulumi-provider-yaml-${process.pid}`;
const STACK = 'dev';
const IMAGE = 'registry.local/guest:1';

/** The VM's spec as the program writes it (and as the API server must hold it). */
function vmSpec(memory: string, bus: string): Json {
  return {
    runStrategy: 'Manual',
    template: {
      spec: {
        domain: {
          memory: { guest: memory },
          devices: { disks: [{ name: 'root', disk: { bus } }] },
        },
        volumes: [{ name: 'root', containerDisk: { image: IMAGE } }],
      },
    },
  };
}

/**
 * A second interface of the VM, on the Multus network `networkName`; with `declare`, the
 * program also declares the network `bridge-net` with a MultusNetwork component (which the VM
 * names by name alone, not through the component's output).
 */
interface SecondNetwork {
  readonly networkName: string;
  readonly declare?: boolean;
}

/**
 * The program: one VirtualMachine component with its spec in KubeVirt's own shape. With
 * `fromOutput`, the memory comes from another resource's output (a ConfigMap's data) instead:
 * the component gets it as an output and validates the spec once it resolves, at preview.
 * With `second`, the VM has a second interface on a Multus network.
 */
function program(memory: string, bus = 'virtio', fromOutput = false, second?: SecondNetwork): string {
  const sizes = `  sizes:
    type: kubernetes:core/v1:ConfigMap
    properties:
      metadata:
        name: sizes
        namespace: ${NS}
      data:
        memory: ${memory}
`;
  const network = `  bridge-net:
    type: virtkit:index:MultusNetwork
    properties:
      namespace: ${NS}
      config:
        cniVersion: 0.3.1
        type: bridge
        bridge: br-virtkit
`;
  const interfaces = `                interfaces:
                  - name: default
                    masquerade: {}
                  - name: second
                    bridge: {}
`;
  const networks = `            networks:
              - name: default
                pod: {}
              - name: second
                multus:
                  networkName: ${second?.networkName}
`;
  return `name: virtkit-provider-probe
runtime: yaml
description: A virtkit VirtualMachine component, served by pulumi-resource-virtkit.
resources:
${fromOutput ? sizes : ''}${second?.declare ? network : ''}  web:
    type: virtkit:index:VirtualMachine
    properties:
      namespace: ${NS}
      labels:
        app: web
      await:
        skipAwait: true
      spec:
        runStrategy: Manual
        template:
          spec:
            domain:
              memory:
                guest: ${fromOutput ? '${sizes.data.memory}' : memory}
              devices:
                disks:
                  - name: root
                    disk:
                      bus: ${bus}
${second ? interfaces + networks : ''}            volumes:
              - name: root
                containerDisk:
                  image: ${IMAGE}
outputs:
  vmName: \${web.objectName}
  vmNamespace: \${web.namespace}
`;
}

/** The same VM from the typed props, with a malformed memory quantity. */
function typedProgram(memory: string): string {
  return `name: virtkit-provider-probe
runtime: yaml
resources:
  web:
    type: virtkit:index:VirtualMachine
    properties:
      namespace: ${NS}
      runStrategy: Manual
      memory: ${memory}
`;
}

let project: PulumiProject;
/** `npm run pulumi -- ARGS` in the program's folder; a failure carries the CLI's whole output. */
const pulumi = (...args: string[]) => project.ok(...args);
const write = (text: string) => fs.writeFileSync(path.join(project.dir, 'Pulumi.yaml'), text);

async function vm(): Promise<Json | undefined> {
  return (await sharedClient()).getIfExists(VIRTUAL_MACHINES, NS, 'web');
}

beforeAll(async () => {
  project = pulumiProject('pulumi-provider-yaml');
  await createNamespace(await sharedClient(), NS);
  write(program('128Mi'));
  await pulumi('stack', 'init', STACK, '--non-interactive');
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NS);
  project.remove();
});

describe('a Pulumi YAML program with virtkit:index:VirtualMachine through pulumi-resource-virtkit', () => {
  test('the plugin is installed into the plugin cache by version, as a wrapper of bin/', async () => {
    await pulumi('plugin', 'ls');
    const version = (
      JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const installed = path.join(
      project.dir,
      'home/plugins',
      `resource-virtkit-v${version}`,
      'pulumi-resource-virtkit',
    );
    expect(fs.readFileSync(installed, 'utf8')).toContain(
      path.resolve(__dirname, '../../bin/pulumi-resource-virtkit'),
    );
  });

  test('up creates the VM in the API server, with the spec the program wrote', async () => {
    const out = await pulumi('up', '--yes', '--non-interactive', '--stack', STACK);
    expect(out).toContain('vmName');
    const created = await vm();
    expect(created?.metadata).toMatchObject({ name: 'web', namespace: NS, labels: { app: 'web' } });
    expect((created?.metadata as Json).annotations).toMatchObject({ 'pulumi.com/skipAwait': 'true' });
    expect(created?.spec).toEqual(vmSpec('128Mi', 'virtio'));
    const outputs = JSON.parse(await pulumi('stack', 'output', '--json', '--stack', STACK)) as Json;
    expect(outputs).toEqual({ vmName: 'web', vmNamespace: NS });
  });

  test("a memory change previews as an update of exactly the child's memory field, and up applies it", async () => {
    write(program('256Mi'));
    const preview = JSON.parse(await pulumi('preview', '--json', '--non-interactive', '--stack', STACK)) as {
      steps: PreviewStep[];
    };
    const changed = preview.steps.filter((s) => s.op !== 'same');
    // A URN's type part is the parent chain, `virtkit:index:VirtualMachine$<child type>`.
    const typeOf = (urn: string) => urn.split('::')[2].split('$').pop();
    expect(changed.map((s) => [s.op, typeOf(s.urn), s.urn.split('::').pop()])).toEqual([
      ['update', 'kubernetes:kubevirt.io/v1:VirtualMachine', 'web'],
    ]);
    const kinds = Object.entries(changed[0].detailedDiff ?? {}).map(([field, diff]) => [field, diff.kind]);
    expect(kinds).toEqual([['spec.template.spec.domain.memory.guest', 'update']]);

    await pulumi('up', '--yes', '--non-interactive', '--stack', STACK);
    expect((await vm())?.spec).toEqual(vmSpec('256Mi', 'virtio'));
  });

  test('bad input fails the preview with a ResourceError naming the component and the field', async () => {
    write(program('256Mi', 'floppy'));
    const badBus = await project.run('preview', '--non-interactive', '--stack', STACK);
    expect(badBus.code).not.toBe(0);
    const busText = `${badBus.stdout}\n${badBus.stderr}`;
    expect(busText).toContain('virtkit:index:VirtualMachine "web" is invalid');
    expect(busText).toContain('spec.template.spec.domain.devices.disks[0].disk.bus');
    expect(busText).toContain('floppy');

    write(typedProgram('lots'));
    const badMemory = await project.run('preview', '--non-interactive', '--stack', STACK);
    expect(badMemory.code).not.toBe(0);
    const memoryText = `${badMemory.stdout}\n${badMemory.stderr}`;
    expect(memoryText).toContain('virtkit:index:VirtualMachine "web" is invalid');
    expect(memoryText).toMatch(/spec\.template\.spec\.domain\.memory\.guest: invalid quantity "lots"/);

    write(program('lots', 'virtio', true));
    const late = await project.run('preview', '--non-interactive', '--stack', STACK);
    expect(late.code).not.toBe(0);
    expect(`${late.stdout}\n${late.stderr}`).toMatch(
      /virtkit:index:VirtualMachine "web" is invalid[\s\S]*spec\.template\.spec\.domain\.memory\.guest: invalid quantity "lots"/,
    );

    // A preview changes nothing.
    expect((await vm())?.spec).toEqual(vmSpec('256Mi', 'virtio'));
  });

  test('a Multus network that does not exist fails the preview; one in the cluster or declared in the program does not', async () => {
    write(program('256Mi', 'virtio', false, { networkName: 'nope' }));
    const missing = await project.run('preview', '--non-interactive', '--stack', STACK);
    expect(missing.code).not.toBe(0);
    const missingText = `${missing.stdout}\n${missing.stderr}`;
    expect(missingText).toContain('virtkit:index:VirtualMachine "web" is invalid');
    expect(missingText).toContain(
      `spec.template.spec.networks[1].multus.networkName: networkName "nope" names NetworkAttachmentDefinition ${NS}/nope, which does not exist`,
    );

    // In the cluster already (read through the same KUBECONFIG as the Kubernetes provider's).
    const client = await sharedClient();
    await client.create(NETWORK_ATTACHMENT_DEFINITIONS, NS, {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'existing-net', namespace: NS },
      spec: { config: JSON.stringify({ cniVersion: '0.3.1', type: 'bridge', bridge: 'br-virtkit' }) },
    });
    write(program('256Mi', 'virtio', false, { networkName: `${NS}/existing-net` }));
    await pulumi('preview', '--non-interactive', '--stack', STACK);

    // Declared in the program, so not in the cluster before `up`.
    write(program('256Mi', 'virtio', false, { networkName: 'bridge-net', declare: true }));
    await pulumi('preview', '--non-interactive', '--stack', STACK);

    expect((await vm())?.spec).toEqual(vmSpec('256Mi', 'virtio'));
  });

  test('destroy removes the VM', async () => {
    write(program('256Mi'));
    await pulumi('destroy', '--yes', '--non-interactive', '--stack', STACK);
    expect(await vm()).toBeUndefined();
  });
});
