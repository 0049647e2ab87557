/**
 * virtkit's constructs from Python: the jsii build of the constructs (`virtkit_cdk8s`, made by
 * scripts/build-cdk8s-python.sh: jsii compiles the constructs, which fails on any public API
 * jsii cannot carry, and jsii-pacmak generates the Python package) runs the Python cdk8s app
 * of examples/cdk8s-python/main.py with PyPI's cdk8s and constructs at the versions
 * package.json pins. Its YAML must be byte-identical to what the TypeScript twin of that app
 * (examples/cdk8s-python/chart.ts) synthesizes, and hold what the app declares.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { validateObject } from '../../api';
import { synthTwin } from '../../examples/cdk8s-python/chart';

const repo = path.resolve(__dirname, '../..');
const FILE = 'python-vms.k8s.yaml';

let work: string;
let env: NodeJS.ProcessEnv;
let python: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-cdk8s-python-'));
  // Builds what is out of date (about a minute the first time), then prints VENV= and PYTHONPATH=.
  const out = execFileSync('bash', [path.join(repo, 'scripts/build-cdk8s-python.sh'), '--env'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  const vars = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  python = path.join(vars.VENV, 'bin', 'python');
  env = {
    ...process.env,
    PYTHONPATH: vars.PYTHONPATH,
    // The jsii runtime warns loudly on Node versions past their end of life; the output is the same.
    JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0],
  };
}, 660_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function runPython(outdir: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(python, [path.join(repo, 'examples/cdk8s-python/main.py'), outdir], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

test('the Python app synthesizes byte-identical YAML to its TypeScript twin', () => {
  const pyOut = path.join(work, 'python');
  const tsOut = path.join(work, 'typescript');
  const res = runPython(pyOut);
  expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
  synthTwin(tsOut);

  const fromPython = fs.readFileSync(path.join(pyOut, FILE), 'utf8');
  const fromTypeScript = fs.readFileSync(path.join(tsOut, FILE), 'utf8');
  expect(fromPython).toBe(fromTypeScript);
  expect(Buffer.from(fromPython).equals(Buffer.from(fromTypeScript))).toBe(true);

  // What the app declares is there, and valid for the API.
  const docs = parseAllDocuments(fromPython).map((d) => d.toJS() as Record<string, unknown>);
  const names = docs.map((d) => `${String(d.kind)}/${String((d.metadata as { name: string }).name)}`);
  expect(names).toEqual([
    'VirtualMachineClusterInstancetype/u1.small',
    'VirtualMachineClusterInstancetype/u1.medium',
    'VirtualMachineClusterPreference/fedora',
    'VirtualMachineClusterPreference/ubuntu',
    'VirtualMachine/web',
    'VirtualMachinePool/workers',
    'VirtualMachine/db',
  ]);
  for (const doc of docs) expect(validateObject(doc)).toEqual([]);
  const db = docs[6] as {
    spec: {
      runStrategy: string;
      template: { spec: Record<string, unknown> };
      dataVolumeTemplates: unknown[];
    };
  };
  expect(db.spec.runStrategy).toBe('RerunOnFailure');
  expect(db.spec.template.spec.affinity).toEqual({
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' },
      ],
    },
  });
  expect(db.spec.dataVolumeTemplates).toEqual([
    {
      metadata: { name: 'db-root' },
      spec: {
        sourceRef: { kind: 'DataSource', name: 'fedora', namespace: 'os-images' },
        storage: { resources: { requests: { storage: '30Gi' } } },
      },
    },
  ]);
  const web = docs[4] as { spec: { template: { spec: Record<string, unknown> } } };
  expect(web.spec.template.spec.tolerations).toEqual([
    { effect: 'NoSchedule', key: 'dedicated', operator: 'Equal', value: 'vms' },
  ]);
});

test('validation runs in Python too: a bad prop fails the synth with the construct path, field and value', () => {
  const script = `
import sys
from cdk8s import App, Chart
import virtkit_cdk8s as vk
app = App(outdir=sys.argv[1])
chart = Chart(app, "bad", namespace="apps")
vk.VirtualMachine(chart, "vm", name="vm", memory="lots",
                  disks=[vk.DiskProps(name="root", source=vk.Disk.container_disk("quay.io/containerdisks/fedora:40"))])
app.synth()
`;
  const res = spawnSync(python, ['-c', script, path.join(work, 'bad')], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  expect(res.status).not.toBe(0);
  expect(res.stderr).toContain('bad/vm');
  expect(res.stderr).toContain('spec.template.spec.domain.memory.guest');
  expect(res.stderr).toContain('lots');
  expect(fs.existsSync(path.join(work, 'bad', 'bad.k8s.yaml'))).toBe(false);
});
