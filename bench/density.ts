/**
 * VMI density on the local runtime, in the shape of KubeVirt's density test: N
 * VirtualMachineInstances created 100 ms apart, each timed from its creationTimestamp to the
 * Running entry of status.phaseTransitionTimestamps (the idea behind KubeVirt's
 * creation-to-running metric). Everything is real: control plane, CRDs, controller and handler
 * processes, launcher pods run by the handler, QEMU (TCG when KVM does not work) booting the
 * test guest from a local file:// containerDisk, 128Mi of guest memory, no graphics device.
 *
 * N is 100 when memory allows, else the largest count that fits MemAvailable with headroom
 * (VIRTKIT_DENSITY_N caps it). Those API timestamps have one-second resolution, so the bench
 * also watches the VMIs and reports, to the millisecond, the time from its create request to
 * the moment it saw phase Running. Figures go to bench/reports/density.{json,md} as ratios
 * against KubeVirt's published figures and the goals. Everything it started is removed at the
 * end, failure or not.
 * Run: npx ts-node --transpile-only bench/density.ts  (or npm run bench)
 */
import { measuredCommit } from './lib/commit';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeClient, PODS, VIRTUAL_MACHINE_INSTANCES as VMIS, type Json } from '../kube';
import { ensureGuestImage, type GuestImage } from '../test/fixtures/guest/build';
import { guestVm, namespace } from '../test/e2e/runtime-support/manifests';
import { Runtime, type Obj } from '../test/e2e/runtime-support/runtime';

const ROOT = path.resolve(__dirname, '..');
const NS = 'density';
const INTERVAL_MS = 100;
const WANTED = 100;
/** What one VM costs under TCG: launcher ~50 MiB + QEMU ~250 MiB (guest RAM included). */
const PER_VM_MIB = 300;
/** Kept free for the control plane, controller, handler and whatever else runs here. */
const MIN_RESERVE_MIB = 4096;
const RESERVE_FRACTION = 0.2;
/**
 * Each VMI asks for 10m of CPU: the default (100m per vCPU) would let the scheduler place only
 * 20 launcher pods on a 2-core node, which would measure the scheduler saying no.
 */
const CPU_REQUEST = '10m';
const KUBEVIRT = { p50: [16, 18], p95: [27, 30] } as const;
const GOAL = { p50: 1.5, p95: 3 } as const;
const TIMEOUT_MS = Number(process.env.VIRTKIT_DENSITY_TIMEOUT_S ?? 900) * 1000;

// ---- pure helpers -------------------------------------------------------------------------

interface MemInfo {
  readonly totalMiB: number;
  readonly availableMiB: number;
}

export interface DensityPlan {
  readonly n: number;
  readonly fitsByMemory: number;
  readonly reserveMiB: number;
  readonly cap?: number;
  readonly why: string;
}

/** The VMI count: 100 if it fits MemAvailable minus the reserve, else what fits; capped by `cap`. */
export function planDensity(mem: MemInfo, cap: number | undefined): DensityPlan {
  const reserveMiB = Math.max(MIN_RESERVE_MIB, Math.round(mem.totalMiB * RESERVE_FRACTION));
  const fitsByMemory = Math.max(0, Math.floor((mem.availableMiB - reserveMiB) / PER_VM_MIB));
  let n = Math.min(WANTED, fitsByMemory);
  let why =
    fitsByMemory >= WANTED
      ? `${WANTED} fit: (MemAvailable ${mem.availableMiB} MiB - reserve ${reserveMiB} MiB) / ${PER_VM_MIB} MiB per VM = ${fitsByMemory}`
      : `memory limits N to ${fitsByMemory}: (MemAvailable ${mem.availableMiB} MiB - reserve ${reserveMiB} MiB) / ${PER_VM_MIB} MiB per VM`;
  if (cap !== undefined && cap < n) {
    n = cap;
    why += `; capped to ${cap} by VIRTKIT_DENSITY_N`;
  }
  return { n, fitsByMemory, reserveMiB, cap, why };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly min: number;
}

function summarize(samples: readonly number[]): Summary {
  const r = (x: number): number => +x.toFixed(3);
  return {
    count: samples.length,
    p50: r(percentile(samples, 50)),
    p95: r(percentile(samples, 95)),
    max: r(samples.length ? Math.max(...samples) : NaN),
    min: r(samples.length ? Math.min(...samples) : NaN),
  };
}

/** Seconds from creationTimestamp to the Running transition, or undefined when it never ran. */
export function creationToRunning(vmi: Obj): number | undefined {
  const created = Date.parse((vmi.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');
  const stamps = (vmi.status?.phaseTransitionTimestamps ?? []) as {
    phase?: string;
    phaseTransitionTimestamp?: string;
  }[];
  const running = stamps.find((t) => t.phase === 'Running');
  const at = Date.parse(running?.phaseTransitionTimestamp ?? '');
  return Number.isFinite(created) && Number.isFinite(at) ? (at - created) / 1000 : undefined;
}

/** Seconds from creationTimestamp to each phase the VMI entered (1 s resolution). */
export function phaseOffsets(vmi: Obj): Record<string, number> {
  const created = Date.parse((vmi.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');
  const out: Record<string, number> = {};
  const stamps = (vmi.status?.phaseTransitionTimestamps ?? []) as {
    phase?: string;
    phaseTransitionTimestamp?: string;
  }[];
  for (const t of stamps) {
    const at = Date.parse(t.phaseTransitionTimestamp ?? '');
    if (t.phase && Number.isFinite(at) && Number.isFinite(created) && out[t.phase] === undefined)
      out[t.phase] = (at - created) / 1000;
  }
  return out;
}

function readMemInfo(): MemInfo {
  const text = fs.readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { totalMiB: Math.round(kb('MemTotal') / 1024), availableMiB: Math.round(kb('MemAvailable') / 1024) };
}

function loadavg(): number[] {
  return os.loadavg().map((x) => +x.toFixed(2));
}

/** QEMU processes on this machine, ours or not (other suites skew the figures). */
function allQemus(): number {
  let n = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.startsWith('qemu-system') || cmd.includes('/qemu-system')) n++;
    } catch {
      // gone
    }
  }
  return n;
}

/** Whether bin/virtkit.js runs dist/ (it falls back to ts-node when any source is newer). */
function distFresh(): boolean {
  const compiled = path.join(ROOT, 'dist/cli/main.js');
  if (!fs.existsSync(compiled)) return false;
  const built = fs.statSync(compiled).mtimeMs;
  const newest = (dir: string, depth: number): number => {
    let m = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory() && depth > 0) m = Math.max(m, newest(full, depth - 1));
      else if (e.isFile() && e.name.endsWith('.ts')) m = Math.max(m, fs.statSync(full).mtimeMs);
    }
    return m;
  };
  return ['api', 'cli', 'controller', 'handler', 'launcher', 'constructs', 'provider'].every(
    (d) => !fs.existsSync(path.join(ROOT, d)) || newest(path.join(ROOT, d), 6) <= built,
  );
}

function densityVmi(image: GuestImage, name: string): Json {
  const vm = guestVm(image, { namespace: NS, name, runStrategy: 'Always', graceSeconds: 10 }) as {
    spec: { template: { metadata: Json; spec: { domain: { resources: { requests: Json } } } } };
  };
  const template = vm.spec.template;
  template.spec.domain.resources.requests.cpu = CPU_REQUEST;
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: NS, labels: { 'bench/density': 'true' } },
    spec: template.spec,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- the run ------------------------------------------------------------------------------

interface Observed {
  sentAt?: number;
  createdAt?: number;
  runningSeenAt?: number;
  failedSeenAt?: number;
  createError?: string;
}

async function createAll(
  api: KubeClient,
  image: GuestImage,
  n: number,
  seen: Map<string, Observed>,
): Promise<void> {
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = start + i * INTERVAL_MS - Date.now();
    if (wait > 0) await sleep(wait);
    const name = `density-${String(i).padStart(3, '0')}`;
    const o = seen.get(name) ?? {};
    seen.set(name, o);
    o.sentAt = Date.now();
    pending.push(
      api.create(VMIS, NS, densityVmi(image, name)).then(
        () => void (o.createdAt = Date.now()),
        (e: unknown) => void (o.createError = (e as Error).message),
      ),
    );
  }
  await Promise.all(pending);
}

/** Records, to the millisecond, when each VMI was first seen Running (or Failed). */
async function watchPhases(api: KubeClient, seen: Map<string, Observed>): Promise<AbortController> {
  const onEvent = (_type: string, obj: Obj): void => {
    const name = obj.metadata?.name;
    if (!name) return;
    const o = seen.get(name) ?? {};
    seen.set(name, o);
    const phase = obj.status?.phase;
    if (phase === 'Running' && o.runningSeenAt === undefined) o.runningSeenAt = Date.now();
    if (phase === 'Failed' && o.failedSeenAt === undefined) o.failedSeenAt = Date.now();
  };
  const handle = await api.listWatch<Obj>(VMIS, undefined, NS).watch(
    '',
    (_type, obj) => onEvent(_type, obj as Obj),
    (err: unknown) => {
      if (err) process.stderr.write(`density: VMI watch ended: ${String(err)}\n`);
    },
  );
  const abort = new AbortController();
  abort.signal.addEventListener('abort', () => handle.abort());
  return abort;
}

/**
 * The same-run baseline: one VMI alone on the idle runtime, timed like the wave, then deleted
 * (and its QEMU awaited) before the wave starts.
 */
async function baseline(
  rt: Runtime,
  api: KubeClient,
  image: GuestImage,
): Promise<{ stampsS?: number; observedS: number }> {
  const name = 'density-baseline';
  const sentAt = Date.now();
  await api.create(VMIS, NS, densityVmi(image, name));
  const vmi = await rt.waitFor(
    'the baseline VMI Running',
    () => {
      const v = rt.get('vmi', NS, name);
      return v?.status?.phase === 'Running' ? v : undefined;
    },
    300_000,
  );
  const observedS = (Date.now() - sentAt) / 1000;
  await api.delete(VMIS, NS, name);
  await rt.waitFor(
    'the baseline VMI and its QEMU gone',
    () => !rt.get('vmi', NS, name) && rt.liveQemus().length === 0,
    120_000,
  );
  return { stampsS: creationToRunning(vmi), observedS: +observedS.toFixed(3) };
}

async function listVmis(api: KubeClient): Promise<Obj[]> {
  return (await api.list<Obj>(VMIS, NS)).items;
}

/** Deletes the VMIs and waits until their pods and QEMUs are gone. */
async function cleanUp(rt: Runtime, api: KubeClient): Promise<string> {
  try {
    await api.deleteCollection(VMIS, NS);
  } catch (e) {
    return `deleting the VMIs failed: ${(e as Error).message}`;
  }
  const until = Date.now() + 240_000;
  for (;;) {
    const vmis = await listVmis(api).catch(() => []);
    const pods = await api.list(PODS, NS).then(
      (r) => r.items.length,
      () => -1,
    );
    const qemus = rt.liveQemus().length;
    if (vmis.length === 0 && pods === 0 && qemus === 0) return 'VMIs, pods and QEMUs gone';
    if (Date.now() > until)
      return `after 240 s still ${vmis.length} VMIs, ${pods} pods, ${qemus} QEMUs (the runtime stop kills what is left)`;
    await sleep(1000);
  }
}

function compile(): string {
  try {
    execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(ROOT, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
    return 'ok';
  } catch (e) {
    // tsc still emits on type errors; bin/virtkit.js decides between dist/ and ts-node itself.
    return `tsc reported errors (${(e as Error).message.split('\n')[0]})`;
  }
}

async function main(): Promise<void> {
  const compiled = compile();
  const image = ensureGuestImage();
  const memStart = readMemInfo();
  const cap = process.env.VIRTKIT_DENSITY_N ? Number(process.env.VIRTKIT_DENSITY_N) : undefined;
  if (cap !== undefined && !(Number.isInteger(cap) && cap > 0))
    throw new Error(`VIRTKIT_DENSITY_N=${process.env.VIRTKIT_DENSITY_N}: expected a positive integer`);
  const plan = planDensity(memStart, cap);
  if (plan.n === 0) throw new Error(`no VM fits: ${plan.why}; free memory or lower the reserve`);
  process.stdout.write(`density: N=${plan.n} (${plan.why})\n`);
  const context = {
    loadavgAtStart: loadavg(),
    qemusOnMachineAtStart: allQemus(),
    cpus: os.cpus().length,
    distFreshAtStart: distFresh(),
    compile: compiled,
  };

  const rt = await Runtime.start();
  // Ctrl-C or a kill still cleans up: the signal rejects the run, and `finally` below runs.
  let onSignal: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = () => reject(new Error('interrupted by a signal'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  let api: KubeClient | undefined;
  let watch: AbortController | undefined;
  let cleanup = 'not reached';
  const seen = new Map<string, Observed>();
  let peakLoad1 = 0;
  let minAvailableMiB = memStart.availableMiB;
  const sampler = setInterval(() => {
    peakLoad1 = Math.max(peakLoad1, os.loadavg()[0]!);
    minAvailableMiB = Math.min(minAvailableMiB, readMemInfo().availableMiB);
  }, 1000);
  try {
    await Promise.race([interrupted, measure()]);
  } finally {
    clearInterval(sampler);
    if (onSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    watch?.abort();
    if (api && cleanup === 'not reached') cleanup = await cleanUp(rt, api).catch((e: unknown) => String(e));
    await rt.stop();
    fs.rmSync(rt.dir, { recursive: true, force: true });
    process.stdout.write(`density: clean-up: ${cleanup}; runtime stopped\n`);
  }

  async function measure(): Promise<void> {
    rt.startController();
    rt.startHandler();
    await rt.nodeReady();
    rt.apply(namespace(NS));
    api = KubeClient.connect({ kubeconfig: rt.kubeconfig });
    watch = await watchPhases(api, seen);
    const single = await baseline(rt, api, image);
    process.stdout.write(
      `density: baseline (one VMI alone) ${single.stampsS} s by timestamps, ${single.observedS} s observed\n`,
    );
    const t0 = Date.now();
    await createAll(api, image, plan.n, seen);
    const creationSpanS = (Date.now() - t0) / 1000;
    const endpoint = api;
    const final = await rt
      .waitFor(
        `all ${plan.n} VMIs Running or Failed`,
        () => {
          const done = [...seen.values()].filter(
            // Only the wave counts (sentAt): the watch also saw the baseline VMI.
            (o) =>
              o.sentAt !== undefined &&
              (o.createError || o.runningSeenAt !== undefined || o.failedSeenAt !== undefined),
          ).length;
          return done >= plan.n;
        },
        TIMEOUT_MS,
        () => `${[...seen.values()].filter((o) => o.runningSeenAt !== undefined).length} Running`,
      )
      .then(
        () => listVmis(endpoint),
        async (e: unknown) => {
          process.stderr.write(`density: ${(e as Error).message}\n`);
          return listVmis(endpoint);
        },
      );
    const fromStamps: number[] = [];
    const byPhase: Record<string, number[]> = {};
    for (const vmi of final)
      for (const [phase, at] of Object.entries(phaseOffsets(vmi))) (byPhase[phase] ??= []).push(at);
    const phaseP50S = Object.fromEntries(Object.entries(byPhase).map(([k, v]) => [k, percentile(v, 50)]));
    const phases: Record<string, number> = {};
    for (const vmi of final) {
      phases[vmi.status?.phase ?? 'none'] = (phases[vmi.status?.phase ?? 'none'] ?? 0) + 1;
      const s = creationToRunning(vmi);
      if (s !== undefined) fromStamps.push(s);
    }
    const observed = [...seen.values()]
      .filter((o) => o.sentAt !== undefined && o.runningSeenAt !== undefined)
      .map((o) => (o.runningSeenAt! - o.sentAt!) / 1000);
    const createErrors = [...seen.entries()]
      .filter(([, o]) => o.createError)
      .map(([n, o]) => `${n}: ${o.createError}`);
    const stamps = summarize(fromStamps);
    const obs = summarize(observed);
    const report = {
      benchmark: 'density',
      shape: `${plan.n} VirtualMachineInstances created ${INTERVAL_MS} ms apart (VMIs, not VMs)`,
      n: plan.n,
      plan,
      memory: { ...memStart, minAvailableMiBDuringRun: minAvailableMiB },
      vmi: {
        guestMemory: '128Mi',
        cpuRequest: CPU_REQUEST,
        disk: 'containerDisk file:// (test guest)',
        autoattachGraphicsDevice: false,
      },
      creationSpanS: +creationSpanS.toFixed(2),
      phasesAtEnd: phases,
      phaseP50FromCreationS: phaseP50S,
      baselineSingleVmi: single,
      createErrors,
      creationToRunningS: stamps,
      observedCreateToRunningS: {
        note: 'from the create request to the watch event with phase Running, millisecond clock',
        ...obs,
      },
      kubevirtPublished: { p50S: KUBEVIRT.p50, p95S: KUBEVIRT.p95, n: 100 },
      goalS: GOAL,
      ratios: {
        p50VsGoal: +(stamps.p50 / GOAL.p50).toFixed(3),
        p95VsGoal: +(stamps.p95 / GOAL.p95).toFixed(3),
        p50VsKubevirt: [
          +(stamps.p50 / KUBEVIRT.p50[0]).toFixed(3),
          +(stamps.p50 / KUBEVIRT.p50[1]).toFixed(3),
        ],
        p95VsKubevirt: [
          +(stamps.p95 / KUBEVIRT.p95[0]).toFixed(3),
          +(stamps.p95 / KUBEVIRT.p95[1]).toFixed(3),
        ],
        p50VsBaseline: single.stampsS ? +(stamps.p50 / single.stampsS).toFixed(3) : null,
        observedP50VsBaseline: +(obs.p50 / single.observedS).toFixed(3),
        observedP50VsGoal: +(obs.p50 / GOAL.p50).toFixed(3),
        observedP95VsGoal: +(obs.p95 / GOAL.p95).toFixed(3),
      },
      meetsGoal: stamps.count === plan.n && stamps.p50 <= GOAL.p50 && stamps.p95 <= GOAL.p95,
      machine: {
        ...context,
        loadavgAtEnd: loadavg(),
        peakLoad1DuringRun: +peakLoad1.toFixed(2),
        distFreshAtEnd: distFresh(),
        accelerator: fs.existsSync('/dev/kvm') ? 'kvm if usable, else tcg' : 'tcg (no /dev/kvm)',
      },
      node: process.version,
      date: new Date().toISOString(),
      commit: measuredCommit(),
    };
    cleanup = await cleanUp(rt, endpoint);
    writeReport({ ...report, cleanup });
  }
}

type Report = Record<string, unknown> & {
  n: number;
  plan: DensityPlan;
  shape: string;
  creationToRunningS: Summary;
  observedCreateToRunningS: Summary;
  ratios: Record<string, number | number[] | null>;
  baselineSingleVmi: { stampsS?: number; observedS: number };
  phaseP50FromCreationS: Record<string, number>;
  phasesAtEnd: Record<string, number>;
  createErrors: string[];
  meetsGoal: boolean;
  machine: Record<string, unknown>;
  memory: MemInfo & { minAvailableMiBDuringRun: number };
  cleanup: string;
  date: string;
  commit: string;
};

function writeReport(report: Report): void {
  const dir = path.join(ROOT, 'bench/reports');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'density.json'), `${JSON.stringify(report, null, 2)}\n`);
  const s = report.creationToRunningS;
  const o = report.observedCreateToRunningS;
  const r = report.ratios;
  const m = report.machine;
  const b = report.baselineSingleVmi;
  const pair = (x: number | number[] | null): string => (Array.isArray(x) ? `${x[0]}–${x[1]}` : String(x));
  fs.writeFileSync(
    path.join(dir, 'density.md'),
    [
      '# density',
      '',
      `Measured ${report.date} at commit ${report.commit}.`,
      '',
      `${report.shape} on the local runtime (real control plane, controller, handler, launcher`,
      'pods as host processes, QEMU booting the test guest; 128Mi guest, no graphics, 10m CPU request).',
      `N = ${report.n}: ${report.plan.why}.`,
      '',
      '| creation → Running (s) | count | p50 | p95 | max |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| phaseTransitionTimestamps − creationTimestamp (1 s resolution) | ${s.count} | ${s.p50} | ${s.p95} | ${s.max} |`,
      `| observed: create request → watch sees Running (ms clock) | ${o.count} | ${o.p50} | ${o.p95} | ${o.max} |`,
      `| baseline: one VMI alone on the same runtime, just before | 1 | ${b.stampsS ?? '?'} (observed ${b.observedS}) | | |`,
      `| KubeVirt published (100 VMIs) | 100 | 16–18 | 27–30 | |`,
      `| goal | | 1.5 | 3 | |`,
      '',
      `Ratios (timestamps): p50 / goal ${r.p50VsGoal}, p95 / goal ${r.p95VsGoal}; p50 / KubeVirt ${pair(r.p50VsKubevirt!)},`,
      `p95 / KubeVirt ${pair(r.p95VsKubevirt!)}. Observed: p50 / goal ${r.observedP50VsGoal}, p95 / goal ${r.observedP95VsGoal}.`,
      `Wave / single VMI (p50): ${String(r.p50VsBaseline)} by timestamps, ${String(r.observedP50VsBaseline)} observed.`,
      `Goal ${report.meetsGoal ? 'met' : 'NOT met'}.`,
      '',
      `Median seconds from creation to entering each phase: ${Object.entries(report.phaseP50FromCreationS)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
      `Phases at the end: ${JSON.stringify(report.phasesAtEnd)}${report.createErrors.length ? `; create errors: ${report.createErrors.length}` : ''}.`,
      `Machine: ${String(m.cpus)} CPUs, ${report.memory.totalMiB} MiB; MemAvailable ${report.memory.availableMiB} MiB at start,`,
      `${report.memory.minAvailableMiBDuringRun} MiB at the lowest; loadavg ${JSON.stringify(m.loadavgAtStart)} at start,`,
      `${JSON.stringify(m.loadavgAtEnd)} at the end, 1-min peak ${String(m.peakLoad1DuringRun)}; ${String(m.qemusOnMachineAtStart)} QEMU`,
      `processes of other suites running at start. Launchers ran the compiled dist/: ${m.distFreshAtStart && m.distFreshAtEnd ? 'yes' : 'not throughout (a source edit made bin/virtkit.js fall back to ts-node)'}.`,
      `Clean-up: ${report.cleanup}. ${report.date}.`,
      '',
    ].join('\n'),
  );
  process.stdout.write(
    `density: N=${report.n} creation→Running p50 ${s.p50} s, p95 ${s.p95} s, max ${s.max} s (observed p50 ${o.p50} s, p95 ${o.p95} s)\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`density: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
