/**
 * `virtkit install -o yaml`, applied with the real kubectl (`apply --server-side
 * --dry-run=server --validate=strict`) to the shared control plane: the API server checks every
 * object against its schemas (unknown or misplaced fields fail under strict validation) and
 * its admission, and stores nothing. The install's namespace is made for real first (with the
 * rendered Namespace object), named for this run, so the namespaced objects have somewhere to
 * be checked; cluster-scoped objects only pass through the dry run.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { deleteNamespace, sharedClient } from './support/api';
import { virtkit } from './support/cli';
import { REPO_ROOT } from './support/examples';
import { kubectl } from './support/kubectl';

const NAMESPACE = `install-${process.pid}`;
const APPLY = [
  'apply',
  '--server-side',
  '--dry-run=server',
  '--force-conflicts',
  '--field-manager',
  'virtkit-install-test',
  '--validate=strict',
  '-f',
  '-',
];

type Json = Record<string, unknown>;

async function installYaml(args: string[]): Promise<string> {
  const r = await virtkit(['install', '--namespace', NAMESPACE, ...args], { cwd: REPO_ROOT });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const documents = (yaml: string): Json[] => parseAllDocuments(yaml).map((d) => d.toJS() as Json);
const toYaml = (objects: Json[]): string => objects.map((o) => stringify(o)).join('---\n');

/** kubectl's line for one object: `<resource>[.<group>]/<name> serverside-applied (server dry run)`. */
function appliedNames(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S+)\/(\S+) serverside-applied \(server dry run\)$/.exec(line);
      return m ? m[2] : `unexpected: ${line}`;
    });
}

beforeAll(async () => {
  const namespace = documents(await installYaml([])).find((o) => o.kind === 'Namespace');
  const r = kubectl(
    ['apply', '--server-side', '--field-manager', 'virtkit-install-test', '-f', '-'],
    undefined,
    stringify(namespace),
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NAMESPACE);
});

test('every object of the install (self-signed, every CRD, a feature gate) is accepted by the API server', async () => {
  const yaml = await installYaml([
    '--with-network-crds',
    '--with-volume-snapshot-crds',
    '--feature-gates',
    'HostDisk',
  ]);
  const objects = documents(yaml);
  expect(objects.length).toBeGreaterThan(50);
  const r = kubectl(APPLY, undefined, yaml);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(appliedNames(r.stdout)).toEqual(objects.map((o) => (o.metadata as { name: string }).name));
});

test("in cert-manager mode, every object but cert-manager's own kinds is accepted too", async () => {
  // The shared control plane runs no cert-manager, so its Issuer and Certificate kinds are not
  // served; the objects that name them (annotations, the Secret volume) are checked.
  const objects = documents(
    await installYaml(['--certificates', 'cert-manager', '--controller-replicas', '3']),
  );
  const ours = objects.filter((o) => !String(o.apiVersion).startsWith('cert-manager.io/'));
  // Two Issuers and two Certificates for the api's serving certificate, the same again for the
  // node API (its CA, the handlers' serving and the api's client certificate).
  expect(objects.length - ours.length).toBe(8);
  const r = kubectl(APPLY, undefined, toYaml(ours));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(appliedNames(r.stdout)).toEqual(ours.map((o) => (o.metadata as { name: string }).name));
});

test('an object the API server refuses fails the apply, naming it (the check can fail)', async () => {
  const objects = documents(await installYaml([]));
  const deployment = objects.find((o) => o.kind === 'Deployment') as {
    spec: { template: { spec: { containers: Json[] } } };
  };
  deployment.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
  deployment.spec.template.spec.containers[0].surprise = true;
  const r = kubectl(APPLY, undefined, toYaml(objects));
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/virtkit-controller/);
  expect(r.stderr).toMatch(/surprise|imagePullPolicy/);
});
