/**
 * `pulumi preview` of a 200-VM fleet in the same run: through one virtkit VirtualMachineFleet
 * component, through one VirtualMachine component per VM (typed props rendered by api/render,
 * validated through api/, and whatever else the components plan) and, as the baseline, as raw `k8s.apiextensions.CustomResource`s
 * carrying the very manifests the components planned (whose specs are checked against
 * api/render's). For transparency a third side wraps each raw object in a bare
 * ComponentResource: what any component costs the engine, virtkit's logic aside. All run as inline
 * programs of Pulumi's Automation API, as scripts/pulumi-inline.ts runs TypeScript projects: the
 * real CLI engine and the real Kubernetes provider plugin (scripts/build-pulumi.sh), each
 * preview in a fresh stack, against a throwaway control plane with virtkit's CRDs, so the
 * provider's server-side dry runs are real. Rounds alternate which side goes first. The VM
 * inputs the engine saw are compared between each component side and the raw one, before timing.
 *
 * Reports the medians and the ratios fleet / raw and components / raw (goal: at most 1.2) to
 * bench/reports/pulumi-preview.{json,md}. BENCH_VMS sets the fleet size (default 200),
 * BENCH_ROUNDS the number of timed previews per side (default 7). The control plane and every
 * temporary folder are removed at the end, failure or Ctrl-C included.
 * Run: TS_NODE_PROJECT=tsconfig.json npx ts-node --transpile-only bench/pulumi-preview.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace, type EngineEvent, type PulumiFn } from '@pulumi/pulumi/automation';
import {
  crds,
  Disk,
  DiskBus,
  InstancetypeRef,
  InterfaceBinding,
  NetworkSource,
  PreferenceRef,
  renderVirtualMachineSpec,
  RunStrategy,
  type VirtualMachineSpecProps,
} from '../api';
import { startControlPlane } from '../cli/local/controlplane';
import { applyCrds } from '../cli/local/crds';
import { stopLocalMode } from '../cli/local/manage';
import { KubeClient, NAMESPACES } from '../kube';
import { VirtualMachine, VirtualMachineFleet, type Manifest } from '../provider';
import { measuredCommit } from './lib/commit';
import { pulumiSandbox, pulumiToolchain, type PulumiSandbox } from './lib/pulumi';
import { median } from './lib/stats';

/** The fleet the benchmark is about (issue 15); BENCH_VMS changes it for smoke runs. */
const BENCHMARK_FLEET = 200;
const FLEET = positiveInt('BENCH_VMS', BENCHMARK_FLEET);
const ROUNDS = positiveInt('BENCH_ROUNDS', 7);
const GOAL = 1.2;
const NS = 'fleet';
const PROJECT = 'virtkit-bench-preview';
const VM_TYPE = 'kubernetes:kubevirt.io/v1:VirtualMachine';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive whole number`);
  return n;
}

// ---- the fleet ----------------------------------------------------------------------------

interface FleetVm {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly props: VirtualMachineSpecProps;
}

/** VM i: a container disk, a cloud-init disk, a cluster instancetype and preference, Always. */
function fleetVm(i: number): FleetVm {
  const name = `vm-${i}`;
  return {
    name,
    labels: { app: 'fleet', shard: String(i % 16) },
    props: {
      runStrategy: RunStrategy.ALWAYS,
      instancetype: InstancetypeRef.cluster('u1.small'),
      preference: PreferenceRef.cluster('fedora'),
      disks: [
        { name: 'root', source: Disk.containerDisk('quay.io/containerdisks/fedora:40'), bootOrder: 1 },
        {
          name: 'cloudinit',
          source: Disk.cloudInitNoCloud({ userData: `#cloud-config\nhostname: ${name}\n` }),
          bus: DiskBus.VIRTIO,
        },
      ],
      interfaces: [{ name: 'default', binding: InterfaceBinding.masquerade() }],
      networks: [{ name: 'default', source: NetworkSource.pod() }],
    },
  };
}

const fleet: readonly FleetVm[] = Array.from({ length: FLEET }, (_, i) => fleetVm(i));

/** The program with virtkit's components: one VirtualMachine per VM, from the typed props. */
const componentsProgram: PulumiFn = async () => {
  for (const vm of fleet)
    new VirtualMachine(vm.name, { name: vm.name, namespace: NS, labels: vm.labels, ...vm.props });
  return {};
};

/** The same VMs through one VirtualMachineFleet: one component for all of them. */
const fleetProgram: PulumiFn = async () => {
  new VirtualMachineFleet('fleet', {
    namespace: NS,
    vms: Object.fromEntries(fleet.map((vm) => [vm.name, { labels: vm.labels, ...vm.props }])),
  });
  return {};
};

/**
 * The baseline's objects: exactly the VirtualMachine manifests the components planned in their
 * first preview (as constructs-synth feeds the raw side the constructs' output), so the two
 * sides send the same objects whatever the component writes (metadata, await annotations).
 * Filled by measure() before the raw side runs.
 */
let rawManifests: readonly Manifest[] = [];

/**
 * The raw side's manifests from the components' planned inputs, checking that each spec is
 * the one api/render renders from the typed props (what the component must send).
 */
function manifestsFromComponents(planned: ReadonlyMap<string, Manifest>): Manifest[] {
  return fleet.map((vm) => {
    const m = planned.get(vm.name);
    if (!m) throw new PreviewMismatchError(`the components planned no VirtualMachine ${vm.name}`);
    if (canonical(m.spec) !== canonical(renderVirtualMachineSpec(vm.props, vm.name)))
      throw new PreviewMismatchError(
        `VirtualMachine ${vm.name}: the component planned a spec other than api/render's for its props`,
      );
    return m;
  });
}

/** A raw CustomResource with a manifest's fields. */
function rawObject(m: Manifest, opts?: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    m.metadata.name,
    { apiVersion: m.apiVersion, kind: m.kind, metadata: m.metadata, spec: m.spec },
    opts,
  );
}

/** The baseline: the same objects as raw CustomResources. */
const rawProgram: PulumiFn = async () => {
  for (const m of rawManifests) rawObject(m);
  return {};
};

/** A component with no logic: one raw object as its child, and no outputs. */
class Wrapper extends pulumi.ComponentResource {
  constructor(m: Manifest) {
    super('virtkit:bench:Wrapper', m.metadata.name, {});
    rawObject(m, { parent: this });
    this.registerOutputs({});
  }
}

/** The same objects, each the child of a bare component: a component's own cost to the engine. */
const wrappedProgram: PulumiFn = async () => {
  for (const m of rawManifests) new Wrapper(m);
  return {};
};

const PROGRAMS: Record<Side, PulumiFn> = {
  components: componentsProgram,
  fleet: fleetProgram,
  raw: rawProgram,
  wrapped: wrappedProgram,
};

// ---- previews -----------------------------------------------------------------------------

type Side = 'components' | 'fleet' | 'raw' | 'wrapped';
const SIDES: readonly Side[] = ['components', 'fleet', 'raw', 'wrapped'];

interface Preview {
  readonly ms: number;
  readonly changeSummary: Record<string, number>;
}

class PreviewMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreviewMismatchError';
  }
}

/** `pulumi preview` of one side in a new stack (removed afterwards); only the preview is timed. */
async function preview(
  sandbox: PulumiSandbox,
  workRoot: string,
  side: Side,
  label: string,
  options: { readonly onEvent?: (e: EngineEvent) => void; readonly expected?: Record<string, number> } = {},
): Promise<Preview> {
  const { onEvent, expected } = options;
  const stackName = `${side}-${label}`;
  const workDir = path.join(workRoot, stackName);
  fs.mkdirSync(workDir, { recursive: true });
  const stack = await LocalWorkspace.createStack(
    { stackName, projectName: PROJECT, program: PROGRAMS[side] },
    {
      workDir,
      pulumiCommand: sandbox.command,
      envVars: sandbox.env,
      projectSettings: { name: PROJECT, runtime: 'nodejs', backend: { url: sandbox.backendUrl } },
    },
  );
  try {
    const start = process.hrtime.bigint();
    const result = await stack.preview({ color: 'never', onEvent });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const changeSummary = result.changeSummary as Record<string, number>;
    // Every preview of a side must plan what its first one did (checked in full by the caller).
    if (expected && canonical(changeSummary) !== canonical(expected))
      throw new PreviewMismatchError(
        `${side} preview ${label} planned ${JSON.stringify(changeSummary)}, the first one ${JSON.stringify(expected)}`,
      );
    return { ms, changeSummary };
  } finally {
    await stack.workspace.removeStack(stackName);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** JSON with object keys sorted, so two values compare whatever order their keys came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

interface VmInputs {
  readonly onEvent: (e: EngineEvent) => void;
  /** Canonical JSON of each VM's planned inputs, by object name. */
  readonly inputs: Map<string, string>;
  /** The planned inputs themselves, by object name. */
  readonly manifests: Map<string, Manifest>;
}

/** Collects the inputs the engine planned to create for each VM object, by object name. */
function vmInputsCollector(): VmInputs {
  const inputs = new Map<string, string>();
  const manifests = new Map<string, Manifest>();
  const onEvent = (e: EngineEvent): void => {
    const m = e.resourcePreEvent?.metadata;
    if (m?.type !== VM_TYPE || m.op !== 'create' || !m.new) return;
    const planned = m.new.inputs as Manifest;
    const name = planned.metadata?.name ?? m.urn;
    inputs.set(name, canonical(planned));
    manifests.set(name, planned);
  };
  return { onEvent, inputs, manifests };
}

/** Throws unless both sides planned the same VM objects with the same inputs. */
function compareInputs(components: Map<string, string>, raw: Map<string, string>): void {
  if (components.size !== FLEET || raw.size !== FLEET)
    throw new PreviewMismatchError(
      `expected ${FLEET} VirtualMachines on each side; the components planned ${components.size}, the raw side ${raw.size}`,
    );
  for (const [name, planned] of components)
    if (raw.get(name) !== planned)
      throw new PreviewMismatchError(
        `VirtualMachine ${name}: the raw side's inputs differ from the component's\n  component: ${planned}\n  raw:       ${raw.get(name) ?? '(missing)'}`,
      );
}

// ---- the run ------------------------------------------------------------------------------

interface Cluster {
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

/** A throwaway control plane with every virtkit CRD (network CRDs included) and the namespace. */
async function startCluster(stateDir: string): Promise<Cluster> {
  const cluster = await startControlPlane({ stateDir });
  const stop = async (): Promise<void> => {
    await cluster.stop();
    await stopLocalMode(stateDir);
  };
  try {
    const client = KubeClient.connect({ kubeconfig: cluster.kubeconfig });
    try {
      const failures = await applyCrds(client, crds({ withNetworkCrds: true }));
      const vmCrd = failures.find((f) => f.name === 'virtualmachines.kubevirt.io');
      if (vmCrd) throw new Error(`the VirtualMachine CRD was refused: ${vmCrd.message}`);
      await client.create(NAMESPACES, undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: NS },
      });
    } finally {
      client.close();
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { kubeconfig: cluster.kubeconfig, stop };
}

interface Report {
  readonly benchmark: 'pulumi-preview';
  /** Set when the fleet is not the benchmark's: the figures then prove only that it runs. */
  readonly smoke?: string;
  readonly fleet: number;
  readonly rounds: number;
  /** One VirtualMachine component per VM. */
  readonly componentsMs: number;
  readonly rawCustomResourcesMs: number;
  readonly ratio: number;
  readonly goal: number;
  readonly meetsGoal: boolean;
  /** The same VMs as the members of one VirtualMachineFleet component. */
  readonly fleetComponentMs: number;
  readonly fleetRatio: number;
  readonly fleetMeetsGoal: boolean;
  /** Raw objects each wrapped in a bare component: the engine's cost of a component as such. */
  readonly wrappedInBareComponentsMs: number;
  readonly wrappedRatio: number;
  readonly samples: Readonly<Record<Side, number[]>>;
  readonly steps: Readonly<Record<Side, Record<string, number>>>;
  readonly toolchain: string;
  readonly machine: {
    readonly cpus: number;
    readonly loadavgAtStart: number[];
    readonly loadavgAtEnd: number[];
  };
  readonly node: string;
  readonly date: string;
  readonly commit: string;
}

const creates = (s: Record<string, number>): number => s.create ?? 0;

async function measure(
  sandbox: PulumiSandbox,
  workRoot: string,
): Promise<Omit<Report, 'machine' | 'toolchain'>> {
  // Warm-up (module loading, the provider's first start, the API server's caches), the raw
  // side's objects, and the check that both sides send the same objects.
  const c = vmInputsCollector();
  const r = vmInputsCollector();
  const f = vmInputsCollector();
  const warmComponents = await preview(sandbox, workRoot, 'components', 'warmup', { onEvent: c.onEvent });
  rawManifests = manifestsFromComponents(c.manifests);
  const warmRaw = await preview(sandbox, workRoot, 'raw', 'warmup', { onEvent: r.onEvent });
  compareInputs(c.inputs, r.inputs);
  const warmFleet = await preview(sandbox, workRoot, 'fleet', 'warmup', { onEvent: f.onEvent });
  compareInputs(f.inputs, r.inputs);
  if (creates(warmFleet.changeSummary) - creates(warmRaw.changeSummary) !== 1)
    throw new PreviewMismatchError(
      `the fleet side planned ${JSON.stringify(warmFleet.changeSummary)}, the raw side ${JSON.stringify(warmRaw.changeSummary)}: expected one more create (the fleet component)`,
    );
  const warmWrapped = await preview(sandbox, workRoot, 'wrapped', 'warmup');
  // The components (and the wrappers) plan one more create per VM than the raw side.
  for (const [side, warm] of [
    ['components', warmComponents],
    ['wrapped', warmWrapped],
  ] as const)
    if (creates(warm.changeSummary) - creates(warmRaw.changeSummary) !== FLEET)
      throw new PreviewMismatchError(
        `the ${side} side planned ${JSON.stringify(warm.changeSummary)}, the raw side ${JSON.stringify(warmRaw.changeSummary)}: expected ${FLEET} more creates (one component per VM)`,
      );
  const expected: Record<Side, Record<string, number>> = {
    components: warmComponents.changeSummary,
    fleet: warmFleet.changeSummary,
    raw: warmRaw.changeSummary,
    wrapped: warmWrapped.changeSummary,
  };
  const samples: Record<Side, number[]> = { components: [], fleet: [], raw: [], wrapped: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate which side goes first, so none always runs on another's leftovers.
    const order = SIDES.map((_, k) => SIDES[(k + round) % SIDES.length]);
    for (const side of order) {
      const { ms } = await preview(sandbox, workRoot, side, String(round), { expected: expected[side] });
      samples[side].push(ms);
      process.stdout.write(`pulumi-preview: round ${round + 1}/${ROUNDS} ${side} ${Math.round(ms)} ms\n`);
    }
  }
  const { components, fleet: fleetSamples, raw, wrapped } = samples;
  const ratio = median(components) / median(raw);
  const fleetRatio = median(fleetSamples) / median(raw);
  return {
    benchmark: 'pulumi-preview',
    ...(FLEET !== BENCHMARK_FLEET
      ? { smoke: `BENCH_VMS=${FLEET}: a smoke run, not the benchmark's ${BENCHMARK_FLEET} VMs` }
      : {}),
    fleet: FLEET,
    rounds: ROUNDS,
    componentsMs: Math.round(median(components)),
    rawCustomResourcesMs: Math.round(median(raw)),
    ratio: Number(ratio.toFixed(3)),
    goal: GOAL,
    meetsGoal: ratio <= GOAL,
    fleetComponentMs: Math.round(median(fleetSamples)),
    fleetRatio: Number(fleetRatio.toFixed(3)),
    fleetMeetsGoal: fleetRatio <= GOAL,
    wrappedInBareComponentsMs: Math.round(median(wrapped)),
    wrappedRatio: Number((median(wrapped) / median(raw)).toFixed(3)),
    samples: {
      components: components.map(Math.round),
      fleet: fleetSamples.map(Math.round),
      raw: raw.map(Math.round),
      wrapped: wrapped.map(Math.round),
    },
    steps: expected,
    node: process.version,
    date: new Date().toISOString(),
    commit: measuredCommit(),
  };
}

function writeReport(report: Report): void {
  const dir = path.join(__dirname, 'reports');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pulumi-preview.json'), `${JSON.stringify(report, null, 2)}\n`);
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' / ');
  fs.writeFileSync(
    path.join(dir, 'pulumi-preview.md'),
    [
      '# pulumi-preview',
      '',
      `Measured ${report.date} at commit ${report.commit}.`,
      '',
      ...(report.smoke ? [`**${report.smoke}.**`, ''] : []),
      `\`pulumi preview\` of ${report.fleet} VirtualMachines (a container disk, a cloud-init disk, a cluster`,
      'instancetype and preference, runStrategy Always), each preview in a fresh stack, through the',
      "Automation API's inline host with the real engine and Kubernetes provider against a real",
      `control plane; median of ${report.rounds} previews per side, rotating which goes first. The raw`,
      'side gets the very VirtualMachine inputs the components planned (their specs checked against',
      "api/render's; the inputs the engine planned compared before timing).",
      '',
      '| variant | preview (ms) | samples (ms) | steps |',
      '| --- | ---: | --- | --- |',
      `| raw CustomResources, same manifests (the baseline) | ${report.rawCustomResourcesMs} | ${report.samples.raw.join(', ')} | ${JSON.stringify(report.steps.raw)} |`,
      `| one virtkit VirtualMachineFleet component | ${report.fleetComponentMs} | ${report.samples.fleet.join(', ')} | ${JSON.stringify(report.steps.fleet)} |`,
      `| ratio fleet / raw | **${report.fleetRatio}** | | |`,
      `| one virtkit VirtualMachine component per VM | ${report.componentsMs} | ${report.samples.components.join(', ')} | ${JSON.stringify(report.steps.components)} |`,
      `| ratio components / raw | **${report.ratio}** | | |`,
      `| for transparency: raw CustomResources, each in a bare ComponentResource | ${report.wrappedInBareComponentsMs} | ${report.samples.wrapped.join(', ')} | ${JSON.stringify(report.steps.wrapped)} |`,
      `| ratio bare components / raw | ${report.wrappedRatio} | | |`,
      '',
      `Goal ≤ ${report.goal}: ${report.fleetMeetsGoal ? 'met' : 'NOT met'} by the VirtualMachineFleet, ${report.meetsGoal ? 'met' : 'NOT met'} by one VirtualMachine per VM.`,
      'Both component sides render and validate every spec through api/ and check its networks. The',
      'per-VM side also plans one component resource per VM besides its object; the bare-component side',
      'shows what those extra resources alone cost (Pulumi registers, logs and tracks a component as it',
      'does any resource), which is why a fleet of hundreds is best declared as one VirtualMachineFleet.',
      '',
      `Toolchain ${report.toolchain}; Node ${report.node}; ${report.machine.cpus} CPUs, load average`,
      `(1/5/15 min) ${load(report.machine.loadavgAtStart)} at the start, ${load(report.machine.loadavgAtEnd)} at the end.`,
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const toolchain = pulumiToolchain();
  const loadavgAtStart = os.loadavg();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-bench-preview-'));
  let cluster: Cluster | undefined;
  let onSignal: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = () => reject(new Error('interrupted by a signal'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  interrupted.catch(() => undefined);
  try {
    const run = async (): Promise<void> => {
      process.stdout.write(`pulumi-preview: ${FLEET} VMs, ${ROUNDS} rounds; starting a control plane\n`);
      cluster = await startCluster(path.join(root, 'controlplane'));
      const sandbox = await pulumiSandbox(toolchain, path.join(root, 'pulumi'), {
        KUBECONFIG: cluster.kubeconfig,
      });
      const measured = await measure(sandbox, path.join(root, 'work'));
      const report: Report = {
        ...measured,
        toolchain: path.basename(toolchain.dir),
        machine: { cpus: os.cpus().length, loadavgAtStart, loadavgAtEnd: os.loadavg() },
      };
      writeReport(report);
      process.stdout.write(
        `pulumi-preview: components ${report.componentsMs} ms, raw ${report.rawCustomResourcesMs} ms, ratio ${report.ratio} (goal ≤ ${GOAL})\n`,
      );
    };
    await Promise.race([interrupted, run()]);
  } finally {
    if (onSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const started = cluster as Cluster | undefined;
    if (started) await started.stop();
    else await stopLocalMode(path.join(root, 'controlplane')).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`pulumi-preview: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
