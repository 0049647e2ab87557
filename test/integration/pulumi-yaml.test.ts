/**
 * A Pulumi YAML program applied for real through `npm run pulumi`: the CLI, the Pulumi YAML
 * language host and the Kubernetes provider plugin built by scripts/build-pulumi.sh (prepared by
 * scripts/setup/pulumi.sh), against the integration run's control plane. One stack goes through
 * up, a previewed and applied update, refresh and destroy; every step is checked in the API
 * server. The program holds a core kind (a ConfigMap) and one of virtkit's custom resources (a
 * VirtualMachineInstancetype, through `kubernetes:yaml/v2:ConfigGroup`: Pulumi YAML does not
 * take `kubernetes:apiextensions.k8s.io:CustomResource`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_MAPS, VIRTUAL_MACHINE_INSTANCETYPES } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { pulumiProject, type PulumiProject, type PreviewStep } from './support/pulumi-project';

const repo = path.resolve(__dirname, '../..');
const NS = `pulumi-yaml-${process.pid}`;
const STACK = 'dev';
/** The provider version the @pulumi/kubernetes SDK asks the engine for (package.json's pin). */
const K8S_VERSION = (
  JSON.parse(fs.readFileSync(path.join(repo, 'node_modules/@pulumi/kubernetes/package.json'), 'utf8')) as {
    pulumi: { version: string };
  }
).pulumi.version;

/**
 * The program, with the ConfigMap's `mode` value as the one thing a test changes. The ConfigMap
 * asks for the provider at the SDK's version, as a Node.js program would: the engine must find
 * the built plugin by that version.
 */
function program(mode: string): string {
  return `name: virtkit-yaml-probe
runtime: yaml
description: A ConfigMap and a virtkit custom resource, applied by the Kubernetes provider.
resources:
  settings:
    type: kubernetes:core/v1:ConfigMap
    options:
      version: ${K8S_VERSION}
    properties:
      metadata:
        name: settings
        namespace: ${NS}
      data:
        mode: ${mode}
  sizes:
    type: kubernetes:yaml/v2:ConfigGroup
    properties:
      objs:
        - apiVersion: instancetype.kubevirt.io/v1beta1
          kind: VirtualMachineInstancetype
          metadata:
            name: probe-small
            namespace: ${NS}
          spec:
            cpu:
              guest: 1
            memory:
              guest: 128Mi
outputs:
  settingsName: \${settings.metadata.name}
`;
}

let project: PulumiProject;
/** `npm run pulumi -- ARGS` in the program's folder; a failure carries the CLI's whole output. */
const pulumi = (...args: string[]) => project.ok(...args);

async function configMap(): Promise<Json | undefined> {
  return (await sharedClient()).getIfExists(CONFIG_MAPS, NS, 'settings');
}

async function instancetype(): Promise<Json | undefined> {
  return (await sharedClient()).getIfExists(VIRTUAL_MACHINE_INSTANCETYPES, NS, 'probe-small');
}

beforeAll(async () => {
  project = pulumiProject('pulumi-yaml');
  await createNamespace(await sharedClient(), NS);
  fs.writeFileSync(path.join(project.dir, 'Pulumi.yaml'), program('first'));
  await pulumi('stack', 'init', STACK, '--non-interactive');
  // Data changes of a ConfigMap are updates in place, not replacements (the provider's default).
  await pulumi('config', 'set', 'kubernetes:enableConfigMapMutable', 'true', '--stack', STACK);
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NS);
  project.remove();
});

describe('a Pulumi YAML program through npm run pulumi', () => {
  test('up creates the ConfigMap and the custom resource in the API server', async () => {
    const out = await pulumi('up', '--yes', '--non-interactive', '--stack', STACK);
    expect(out).toContain('settingsName');
    expect((await configMap())?.data).toEqual({ mode: 'first' });
    const small = await instancetype();
    expect(small?.spec).toEqual({ cpu: { guest: 1 }, memory: { guest: '128Mi' } });
  });

  test('a data change previews as an update of that field, and up applies it', async () => {
    fs.writeFileSync(path.join(project.dir, 'Pulumi.yaml'), program('second'));
    const preview = JSON.parse(await pulumi('preview', '--json', '--non-interactive', '--stack', STACK)) as {
      steps: PreviewStep[];
    };
    const changed = preview.steps.filter((s) => s.op !== 'same');
    expect(changed.map((s) => [s.op, s.urn.split('::').pop()])).toEqual([['update', 'settings']]);
    // The one field that changed, updated in place (detailedDiff: the provider's field-level diff).
    const kinds = Object.entries(changed[0].detailedDiff ?? {}).map(([field, diff]) => [field, diff.kind]);
    expect(kinds).toEqual([['data.mode', 'update']]);

    await pulumi('up', '--yes', '--non-interactive', '--stack', STACK);
    expect((await configMap())?.data).toEqual({ mode: 'second' });
  });

  test('refresh finds no drift', async () => {
    // --expect-no-changes: the command fails if reading the objects back changes the state.
    await pulumi('refresh', '--yes', '--non-interactive', '--expect-no-changes', '--stack', STACK);
  });

  test('destroy removes both objects', async () => {
    await pulumi('destroy', '--yes', '--non-interactive', '--stack', STACK);
    expect(await configMap()).toBeUndefined();
    expect(await instancetype()).toBeUndefined();
  });
});
