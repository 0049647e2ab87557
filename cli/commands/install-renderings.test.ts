/**
 * The three ways of installing virtkit emit the same objects: `virtkit install -o yaml` (parsed
 * as kubectl would read it), the cdk8s VirtkitInstall construct (synthesized) and the Pulumi
 * Install component (the inputs of every child it registers, under Pulumi's mocks). Same set
 * of Kind/namespace/name, and a deep-equal body for each; the comparison is itself checked to
 * catch a drifted field, a missing object and an extra one.
 */
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { installObjectKey, renderInstall } from '../../api/install';
import { CertificateMode, VirtkitInstall, type VirtkitInstallProps } from '../../constructs';
import { Install } from '../../provider/install';
import { recordRegistrations, valueOf } from '../../provider/testing/mocks';
import { register } from './install';
import { runInProcess } from './run-in-process.test-helper';

type Json = Record<string, unknown>;

const registered = recordRegistrations();

async function fromCli(args: string[]): Promise<Json[]> {
  const r = await runInProcess(register, ['install', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Json);
}

function fromConstruct(props: VirtkitInstallProps): Json[] {
  const chart = new Chart(Testing.app(), 'install');
  new VirtkitInstall(chart, 'virtkit', props);
  return Testing.synth(chart) as Json[];
}

/** The inputs of every child the component registered, as the Kubernetes objects they are. */
async function fromPulumi(name: string, args: ConstructorParameters<typeof Install>[1]): Promise<Json[]> {
  const install = new Install(name, args);
  await Promise.all(Object.values(install.resources).map((r) => valueOf(r.urn)));
  const children = registered.filter(
    (r) => r.type.startsWith('kubernetes:') && r.name.startsWith(`${name}-`),
  );
  expect(children).toHaveLength(Object.keys(install.resources).length);
  return children.map((c) => c.inputs);
}

/** What differs between two renderings, keyed by Kind/namespace/name (empty when they agree). */
function differences(a: readonly Json[], b: readonly Json[]): string[] {
  const byKey = (objects: readonly Json[]) => new Map(objects.map((o) => [installObjectKey(o), o]));
  const left = byKey(a);
  const right = byKey(b);
  const out: string[] = [];
  for (const key of left.keys()) if (!right.has(key)) out.push(`only in the first: ${key}`);
  for (const key of right.keys()) if (!left.has(key)) out.push(`only in the second: ${key}`);
  for (const [key, object] of left) {
    const other = right.get(key);
    if (other && canonical(object) !== canonical(other)) out.push(`differs: ${key}`);
  }
  if (a.length !== left.size || b.length !== right.size) out.push('an object appears twice');
  return out;
}

/** JSON with every object's keys sorted: equal texts are equal values, key order aside. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const CASES: {
  title: string;
  cli: string[];
  props: VirtkitInstallProps;
}[] = [
  { title: 'the defaults', cli: [], props: {} },
  {
    title: 'every option set, cert-manager certificates',
    cli: [
      '--namespace',
      'vk-system',
      '--registry',
      'registry.example.com:5000/virtkit',
      '--tag',
      '1.2.3',
      '--launcher-image',
      'registry.example.com:5000/other/launcher@sha256:' + 'a'.repeat(64),
      '--image-pull-policy',
      'Always',
      '--controller-replicas',
      '3',
      '--api-replicas',
      '1',
      '--certificates',
      'cert-manager',
      '--feature-gates',
      'HostDisk,HotplugVolumes',
      '--with-network-crds',
      '--with-volume-snapshot-crds',
      '--use-emulation',
      '--registry-mirror',
      'quay.io=http://10.0.0.5:5000',
      '--registry-mirror',
      'docker.io=https://mirror.example.com',
    ],
    props: {
      namespace: 'vk-system',
      registry: 'registry.example.com:5000/virtkit',
      tag: '1.2.3',
      launcherImage: 'registry.example.com:5000/other/launcher@sha256:' + 'a'.repeat(64),
      imagePullPolicy: 'Always',
      controllerReplicas: 3,
      apiReplicas: 1,
      certificates: CertificateMode.CERT_MANAGER,
      featureGates: ['HostDisk', 'HotplugVolumes'],
      withNetworkCrds: true,
      withVolumeSnapshotCrds: true,
      useEmulation: true,
      registryMirrors: ['quay.io=http://10.0.0.5:5000', 'docker.io=https://mirror.example.com'],
    },
  },
];

describe.each(CASES.map((c, i) => [c.title, c, i] as const))('%s', (_title, c, i) => {
  it('the CLI, the construct and the Pulumi component emit the same objects', async () => {
    const cli = await fromCli(c.cli);
    const construct = fromConstruct(c.props);
    const pulumi = await fromPulumi(`install${i}`, { ...c.props });
    // The renderer's own list is what all three start from (and it has every kind of object).
    const rendered = renderInstall(c.props) as unknown as Json[];
    expect(cli.length).toBeGreaterThan(40);
    expect(differences(cli, rendered)).toEqual([]);
    expect(differences(construct, cli)).toEqual([]);
    expect(differences(pulumi, cli)).toEqual([]);
  });
});

describe('the comparison', () => {
  it('catches a drifted field, a missing object and an extra one', () => {
    const objects = renderInstall({}) as unknown as Json[];
    const drifted = JSON.parse(JSON.stringify(objects)) as Json[];
    const deployment = drifted.find((o) => o.kind === 'Deployment') as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    deployment.spec.template.spec.containers[0].image = 'elsewhere/virtkit:1';
    expect(differences(objects, drifted)).toEqual(['differs: Deployment/virtkit/virtkit-controller']);
    expect(differences(objects, objects.slice(1))).toEqual(['only in the first: Namespace//virtkit']);
    const extra = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'virtkit' } };
    expect(differences(objects, [...objects, extra])).toEqual(['only in the second: ConfigMap/virtkit/x']);
  });
});
