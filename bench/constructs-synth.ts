/**
 * Synthesizes a 1,000-VM fleet twice in the same run: with virtkit's constructs (render +
 * api/ validation + cdk8s synth) and as raw cdk8s ApiObjects carrying the very same
 * manifests (cdk8s synth only). Reports the ratio constructs / raw (goal: at most 1.3).
 * Run: npx ts-node --transpile-only bench/constructs-synth.ts
 */
import { measuredCommit } from './lib/commit';
import { median } from './lib/stats';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import {
  DataVolumeTemplate,
  Disk,
  DiskBus,
  EvictionStrategy,
  InstancetypeRef,
  InterfaceBinding,
  NetworkSource,
  Probe,
  RunStrategy,
  VirtualMachine,
} from '../constructs';

const FLEET = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function fleetWithConstructs(): App {
  const app = new App({ outdir: '/tmp/virtkit-bench-unused' });
  const chart = new Chart(app, 'fleet', { namespace: 'prod' });
  for (let i = 0; i < FLEET; i++) {
    const sized = i % 2 === 0;
    const vm = new VirtualMachine(chart, `vm${i}`, {
      name: `vm-${i}`,
      runStrategy: i % 10 === 0 ? RunStrategy.HALTED : RunStrategy.ALWAYS,
      instancetype: sized ? InstancetypeRef.cluster('u1.medium') : undefined,
      cpu: sized ? undefined : { cores: 2 },
      memory: sized ? undefined : '2Gi',
      labels: { app: 'fleet', shard: String(i % 16) },
      templateLabels: { app: 'fleet' },
      evictionStrategy: EvictionStrategy.LIVE_MIGRATE,
      readinessProbe: Probe.tcpSocket(22, { initialDelaySeconds: 30 }),
      disks: [
        {
          name: 'root',
          source: Disk.dataVolume(
            DataVolumeTemplate.registry('quay.io/containerdisks/fedora:40', { size: '20Gi' }),
          ),
          bootOrder: 1,
        },
        {
          name: 'cloudinit',
          source: Disk.cloudInitNoCloud({ userData: `#cloud-config\nhostname: vm-${i}\n` }),
          bus: DiskBus.VIRTIO,
        },
      ],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'vms', effect: 'NoSchedule' }],
    });
    vm.addPodNetwork();
    vm.addInterface({
      name: 'storage',
      binding: InterfaceBinding.bridge(),
      macAddress: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    });
    vm.addNetwork('storage', NetworkSource.multus('storage-net'));
  }
  return app;
}

function fleetAsRaw(manifests: readonly Record<string, unknown>[]): App {
  const app = new App({ outdir: '/tmp/virtkit-bench-unused' });
  const chart = new Chart(app, 'fleet', { namespace: 'prod' });
  manifests.forEach((m, i) => {
    const { apiVersion, kind, metadata, ...rest } = m as {
      apiVersion: string;
      kind: string;
      metadata: Record<string, unknown>;
    };
    new ApiObject(chart, `vm${i}`, { apiVersion, kind, metadata, ...rest });
  });
  return app;
}

/** Build and synthesize in memory (validation included, as `cdk8s synth` does): ms and the manifests. */
function timed(build: () => App): { ms: number; manifests: Record<string, unknown>[] } {
  const start = process.hrtime.bigint();
  const app = build();
  const docs = app.charts.flatMap((c) => App._synthChart(c) as Record<string, unknown>[]);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, manifests: docs };
}

/** Build and synthesize to YAML, the whole of `cdk8s synth` except the file write: ms and the YAML. */
function timedYaml(build: () => App): { ms: number; yaml: string } {
  const start = process.hrtime.bigint();
  const yaml = build().synthYaml();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, yaml };
}

function main(): void {
  const reference = timed(fleetWithConstructs).manifests; // warm-up, and the raw side's input
  timed(() => fleetAsRaw(reference));
  const constructs: number[] = [];
  const raw: number[] = [];
  const constructsJson: number[] = [];
  const rawJson: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first so garbage left by one run does not always land on the other.
    const first = r % 2 === 0;
    const rawYaml = () => timedYaml(() => fleetAsRaw(reference));
    const a = first ? timedYaml(fleetWithConstructs) : rawYaml();
    const b = first ? rawYaml() : timedYaml(fleetWithConstructs);
    const [c, w] = first ? [a, b] : [b, a];
    if (c.yaml !== w.yaml) throw new Error('raw output differs from the constructs output');
    constructs.push(c.ms);
    raw.push(w.ms);
    const rawRun = timed(() => fleetAsRaw(reference));
    constructsJson.push(timed(fleetWithConstructs).ms);
    rawJson.push(rawRun.ms);
    if (JSON.stringify(rawRun.manifests) !== JSON.stringify(reference))
      throw new Error('raw output differs from the constructs output');
  }
  const ratio = median(constructs) / median(raw);
  const jsonRatio = median(constructsJson) / median(rawJson);
  const report = {
    benchmark: 'constructs-synth',
    fleet: FLEET,
    rounds: ROUNDS,
    constructsMs: Math.round(median(constructs)),
    rawApiObjectsMs: Math.round(median(raw)),
    ratio: Number(ratio.toFixed(3)),
    goal: 1.3,
    meetsGoal: ratio <= 1.3,
    inMemory: {
      note: 'objects only (no YAML): the validation cost is not diluted by serialization',
      constructsMs: Math.round(median(constructsJson)),
      rawApiObjectsMs: Math.round(median(rawJson)),
      ratio: Number(jsonRatio.toFixed(3)),
    },
    node: process.version,
    date: new Date().toISOString(),
    commit: measuredCommit(),
  };
  const dir = join(__dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'constructs-synth.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    join(dir, 'constructs-synth.md'),
    [
      '# constructs-synth',
      '',
      `Measured ${report.date} at commit ${report.commit}.`,
      '',
      `Building and synthesizing ${FLEET} VirtualMachines (median of ${ROUNDS} rounds, same process;`,
      'the raw side gets the exact manifests the constructs produced, and the outputs are compared):',
      '',
      '| variant | synth to YAML (ms) | objects only (ms) |',
      '| --- | ---: | ---: |',
      `| virtkit constructs (render + api/ validation + synth) | ${report.constructsMs} | ${report.inMemory.constructsMs} |`,
      `| raw cdk8s ApiObjects with the same manifests | ${report.rawApiObjectsMs} | ${report.inMemory.rawApiObjectsMs} |`,
      `| ratio | **${report.ratio}** | ${report.inMemory.ratio} |`,
      '',
      `Goal ≤ 1.3 for synth to YAML (what \`cdk8s synth\` does): ${report.meetsGoal ? 'met' : 'NOT met'}.`,
      'Objects only leaves out YAML serialization, which both sides pay equally; there the api/ schema',
      'and rule checks of every VM (which raw ApiObjects skip) weigh more.',
      `Node ${report.node}, ${report.date}.`,
      '',
    ].join('\n'),
  );
  process.stdout.write(
    `constructs-synth: constructs ${report.constructsMs} ms, raw ${report.rawApiObjectsMs} ms, ratio ${report.ratio} (objects only ${report.inMemory.ratio})\n`,
  );
}

main();
