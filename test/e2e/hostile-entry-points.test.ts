/**
 * The hostile corpus (test/fixtures/hostile-objects.ts) through the runtime's entry points, as if
 * each object had been written straight to storage without the webhook: every VMI-bearing case
 * (a VMI, or the VMI a VM, replica set or pool would create from its template) goes, with no
 * cluster, through
 *
 *  - the controller's check (SpecValidity, what the VM and VMI reconcilers ask before acting);
 *  - the handler's entry (preparePod: its spec guard, then the pod's directory and volumes),
 *    with the state directory in a temporary tree and a fake API that serves the VMI;
 *  - the handler's volume resolution on its own (resolveLaunchResources, as preparePod calls
 *    it), unguarded, into a pod directory of the tree: what is left of the defence if the guard
 *    were gone;
 *  - the launcher's planner (buildLaunchPlan, with a work directory in the tree and no feature
 *    gate on) and, when it plans, prepareAll of the plan's steps (qemu-img, genisoimage).
 *
 * Every case must be refused with its field named by the controller and by the handler before
 * anything is written; nothing may throw anything but the layers' own typed refusals; and a
 * snapshot of the whole tree (canaries planted beside and above every directory the code may
 * write in, where hostile relative paths would land) is unchanged outside those directories.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';
import { SpecValidity } from '../../api/validation/spec-validity';
import { createLogger } from '../../common/log';
import { plantCanary } from '../../common/canary.test-helper';
import { PodDir } from '../../handler/pods/pod-dir';
import { PodPrepareError, preparePod } from '../../handler/pods/prepare';
import type { PodJson } from '../../handler/pods/pod-types';
import { SpecGuard } from '../../handler/vmi/spec-guard';
import { VolumePrepareError } from '../../handler/volumes/plan';
import { resolveLaunchResources } from '../../handler/volumes/resolve';
import type { EventRecorder, KubeClient } from '../../kube';
import { buildLaunchPlan, type PlannableVmi } from '../../launcher/plan/build';
import { LaunchSpecError } from '../../launcher/plan/errors';
import { vmiFromObject } from '../../launcher/manifest';
import { ValidationError } from '../../api/validation/error';
import { validateAs } from '../../api/validation/validate';
import { VirtualMachineInstanceKind } from '../../api/kubevirt/v1/vmi-kind';
import type { LaunchContext } from '../../launcher/plan/types';
import { PrepareError, prepareAll } from '../../launcher/runtime/prepare';
import { pathOf, type Json } from '../fixtures/hostile-values';
import { VMI_SPEC_PATHS } from '../fixtures/kind-bases';
import { hostileCases, type HostileCase } from '../fixtures/hostile-objects';

/** A case as the VMI the runtime would see, and the field its refusal names there. */
interface RuntimeCase {
  readonly c: HostileCase;
  readonly vmi: Json;
  readonly field: string;
}

/**
 * Does the VMI have the shape its TypeScript type promises (the schema check alone)? The
 * planner and the volume resolution take typed VMIs: the spec guard in front of them (or
 * `virtkit launch`'s validation) keeps anything else away, so a crash of theirs on a
 * shapeless object is reported, not failed; on a well-shaped one it fails the test.
 */
const shapeOk = (vmi: Json): boolean =>
  !validateAs(VirtualMachineInstanceKind, vmi, { schemaOnly: true }).some((i) => i.severity === 'error');

function asVmi(c: HostileCase): RuntimeCase | undefined {
  const keys = VMI_SPEC_PATHS[c.kind];
  if (!keys) return undefined;
  const o = c.make();
  if (c.kind === 'VirtualMachineInstance') return { c, vmi: o, field: c.field };
  // A VM, replica set or pool becomes VMIs of its template: only what is inside the template
  // spec, and not the VM's own rules (an instance type conflict is the VM's, not its VMI's).
  const prefix = pathOf(keys);
  if (!c.field.startsWith(`${prefix}.`) && !c.field.startsWith(`${prefix}[`)) return undefined;
  if (c.id.includes('/rule/vm-')) return undefined;
  let spec: unknown = o;
  for (const k of keys) spec = spec && typeof spec === 'object' ? (spec as Json)[k] : undefined;
  const meta = (o.metadata ?? {}) as Json;
  return {
    c,
    vmi: {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: {
        name: meta.name ?? 'web',
        namespace: meta.namespace ?? 'default',
        uid: 'uid-1',
        generation: 1,
      },
      spec,
    },
    field: `spec${c.field.slice(prefix.length)}`,
  };
}

/** Every entry under `dir`: type, mode, and for files and links size, mtime and a hash of the content. */
function snapshot(dir: string, skip: (p: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (skip(p)) continue;
      const st = fs.lstatSync(p);
      const type = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file';
      const content =
        type === 'file'
          ? createHash('sha256').update(fs.readFileSync(p)).digest('hex')
          : type === 'link'
            ? fs.readlinkSync(p)
            : '';
      // A directory's entries are listed on their own; its mtime changes with any new allowed child.
      out[path.relative(dir, p)] =
        type === 'dir'
          ? `dir ${st.mode.toString(8)}`
          : `${type} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${content}`;
      if (type === 'dir') walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Typed refusals: what each layer may throw. Anything else is a crash. */
const TYPED = [PodPrepareError, VolumePrepareError, LaunchSpecError, PrepareError];
const isTyped = (e: unknown): boolean => TYPED.some((t) => e instanceof t);
const describeError = (e: unknown): string =>
  ((e as Error)?.stack ?? String(e)).split('\n').slice(0, 3).join(' | ');

let root: string;
let stateDir: string;
let workBase: string;
let baseImage: string;
let configDir: string;
const handlerDirs: string[] = [];
const launcherDirs: string[] = [];
let before: Record<string, string>;

/** Directories the code may write in: the launcher's work directories and the handler's pod directories. */
const allowedDirs = new Set<string>();
const allowed = (p: string): boolean => {
  for (let d = p; d !== path.dirname(d); d = path.dirname(d)) if (allowedDirs.has(d)) return true;
  return false;
};

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-hostile-runtime-')));
  stateDir = path.join(root, 'var', 'lib', 'virtkit');
  workBase = path.join(stateDir, 'launchers');
  fs.mkdirSync(path.join(stateDir, 'pods'), { recursive: true });
  fs.mkdirSync(workBase, { recursive: true });
  // Canaries beside and above every directory the code writes in: where `..` paths would land.
  for (const d of [
    root,
    path.join(root, 'var'),
    path.join(root, 'var', 'lib'),
    stateDir,
    path.join(stateDir, 'pods'),
    workBase,
  ])
    plantCanary(d);
  for (const d of [root, path.join(root, 'var', 'lib')]) {
    fs.mkdirSync(path.join(d, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(d, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    fs.writeFileSync(path.join(d, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
  }
  baseImage = path.join(root, 'images', 'base.img');
  fs.mkdirSync(path.dirname(baseImage), { recursive: true });
  fs.writeFileSync(baseImage, Buffer.alloc(1024 * 1024));
  configDir = path.join(root, 'configmaps', 'app-config');
  fs.mkdirSync(configDir, { recursive: true });
  fs.writeFileSync(path.join(configDir, 'app.conf'), 'x=1\n');
  before = snapshot(root, () => false);
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** A fake API: the VMI for the handler, one ConfigMap and one Secret; status writes and Events go nowhere. */
function fakeClient(vmi: Json): KubeClient {
  const objects: Record<string, unknown> = {
    'configmaps/app-config': { data: { 'app.conf': 'x=1\n' } },
    'secrets/app-secret': { data: { key: Buffer.from('v').toString('base64') } },
  };
  return {
    get: async () => structuredClone(vmi),
    getIfExists: async (rt: { plural: string }, _ns: string, name: string) => objects[`${rt.plural}/${name}`],
    apply: async (_rt: unknown, _ns: unknown, _name: unknown, body: unknown) => body,
  } as unknown as KubeClient;
}

const quiet = createLogger({
  component: 'hostile-test',
  destination: { write: () => undefined },
  level: 'error',
});
const noEvents = { record: async () => undefined } as unknown as EventRecorder;

function launchContext(vmi: Json, workDir: string): LaunchContext {
  const volumes = ((vmi.spec as Json | undefined)?.volumes ?? []) as unknown;
  const named = Array.isArray(volumes) ? volumes.filter((v): v is Json => !!v && typeof v === 'object') : [];
  const byName = (has: string, to: string) =>
    Object.fromEntries(
      named.filter((v) => v[has] && typeof v.name === 'string').map((v) => [v.name as string, to]),
    );
  return {
    workDir,
    accelerator: 'tcg',
    firmware: {},
    exists: (p) => fs.existsSync(p),
    // What the handler would have prepared: the base image of each container disk, a ConfigMap's files.
    containerDisks: byName('containerDisk', baseImage),
    volumeDirs: byName('configMap', configDir),
    featureGates: [],
  };
}

interface Tally {
  refused: number;
  accepted: number;
  crashes: string[];
  misses: string[];
  /** Crashes on objects without the typed shape, which the layer is never given (see shapeOk). */
  shapeless: string[];
}
const tally = (): Tally => ({ refused: 0, accepted: 0, crashes: [], misses: [], shapeless: [] });

describe('the runtime entry points with the hostile corpus', () => {
  const runtimeCases = hostileCases()
    .filter((c) => c.group !== 'gate')
    .map(asVmi)
    .filter((r): r is RuntimeCase => !!r);
  const gatedCases = hostileCases()
    .filter((c) => c.group === 'gate')
    .map(asVmi)
    .filter((r): r is RuntimeCase => !!r);
  const layers = {
    controller: tally(),
    handler: tally(),
    handlerResolve: tally(),
    launcherEntry: tally(),
    launcherPlan: tally(),
    launcherPrepare: tally(),
  };

  it('has thousands of VMI-bearing cases', () => {
    expect(runtimeCases.length).toBeGreaterThan(5_000);
    expect(gatedCases.length).toBeGreaterThan(50);
  });

  it('the controller refuses every case, naming the field, and never throws', () => {
    const validity = new SpecValidity();
    const t = layers.controller;
    runtimeCases.forEach((r, i) => {
      try {
        const problems = validity.problems(`ns/case-${i}`, r.vmi);
        if (!problems.length) t.misses.push(`${r.c.id}: accepted`);
        else if (!problems.some((p) => p.startsWith(`${r.field}: `)))
          t.misses.push(`${r.c.id}: problems ${JSON.stringify(problems.slice(0, 3))}`);
        else t.refused++;
      } catch (e) {
        t.crashes.push(`${r.c.id}: ${describeError(e)}`);
      }
    });
    expect(t.crashes).toEqual([]);
    expect(t.misses).toEqual([]);
  });

  it('the handler refuses every case before it touches its pod directory, naming the field', async () => {
    const t = layers.handler;
    const check = async (r: RuntimeCase, i: number, gate?: string) => {
      const uid = `h-${gate ? 'g' : 'c'}${i}`;
      const dir = PodDir.forPod(stateDir, uid);
      handlerDirs.push(dir.dir);
      allowedDirs.add(dir.dir);
      const guard = new SpecGuard({
        client: fakeClient(r.vmi),
        recorder: noEvents,
        featureGates: () => new Set(),
        log: quiet,
      });
      const pod: PodJson = {
        metadata: {
          name: `virt-launcher-${i}`,
          namespace: 'default',
          uid,
          annotations: { 'kubevirt.io/domain': 'web' },
        },
      } as PodJson;
      try {
        await preparePod(fakeClient(r.vmi), pod, dir, guard);
        t.misses.push(`${r.c.id}: prepared`);
      } catch (e) {
        if (!(e instanceof PodPrepareError)) t.crashes.push(`${r.c.id}: ${describeError(e)}`);
        else if (e.reason !== 'InvalidSpec')
          t.misses.push(`${r.c.id}: refused late, ${e.reason}: ${e.message.slice(0, 200)}`);
        else if (!e.message.includes(`${r.field}: `) && !e.message.includes(`${r.field} = `))
          t.misses.push(`${r.c.id}: ${e.message.slice(0, 300)}`);
        else t.refused++;
      }
      if (fs.existsSync(dir.dir)) t.misses.push(`${r.c.id}: the pod directory was created`);
    };
    for (const [i, r] of runtimeCases.entries()) await check(r, i);
    for (const [i, r] of gatedCases.entries()) await check(r, i, 'gate');
    expect(t.crashes).toEqual([]);
    expect(t.misses).toEqual([]);
  }, 600_000);

  it('the handler’s volume resolution alone writes nothing outside its pod directory and only refuses with its own error', async () => {
    const t = layers.handlerResolve;
    for (const [i, r] of [...runtimeCases, ...gatedCases].entries()) {
      const podDir = path.join(stateDir, 'pods', `r-${i}`);
      handlerDirs.push(podDir);
      allowedDirs.add(podDir);
      fs.mkdirSync(podDir, { recursive: true });
      const spec = r.vmi.spec as { volumes?: never } | undefined;
      try {
        await resolveLaunchResources(fakeClient(r.vmi), 'default', spec?.volumes, podDir);
        t.accepted++;
      } catch (e) {
        if (isTyped(e)) t.refused++;
        else (shapeOk(r.vmi) ? t.crashes : t.shapeless).push(`${r.c.id}: ${describeError(e)}`);
      }
    }
    expect(t.crashes).toEqual([]);
  }, 600_000);

  it('the launcher refuses every case on entry when it reads a manifest (virtkit launch), naming the field', () => {
    const t = layers.launcherEntry;
    for (const r of runtimeCases) {
      try {
        vmiFromObject(structuredClone(r.vmi), 'case.yaml', true);
        t.misses.push(`${r.c.id}: accepted`);
      } catch (e) {
        if (!(e instanceof ValidationError)) t.crashes.push(`${r.c.id}: ${describeError(e)}`);
        else if (!e.issues.some((i) => i.severity === 'error' && i.path === r.field))
          t.misses.push(`${r.c.id}: ${JSON.stringify(e.issues.map((i) => i.path).slice(0, 3))}`);
        else t.refused++;
      }
    }
    expect(t.crashes).toEqual([]);
    expect(t.misses).toEqual([]);
  });

  it('the launcher plans only what is safe, refuses gated features, and prepares inside its work directory', async () => {
    const plan = layers.launcherPlan;
    const prep = layers.launcherPrepare;
    /** Plans whose steps are the same but for their work directory are prepared once. */
    const prepared = new Set<string>();
    for (const [i, r] of [...runtimeCases, ...gatedCases].entries()) {
      const workDir = path.join(workBase, `l-${i}`);
      launcherDirs.push(workDir);
      allowedDirs.add(workDir);
      let planned;
      try {
        planned = buildLaunchPlan(r.vmi as unknown as PlannableVmi, launchContext(r.vmi, workDir));
        plan.accepted++;
      } catch (e) {
        if (e instanceof LaunchSpecError) {
          plan.refused++;
          if (
            r.c.group === 'gate' &&
            !e.problems.some((p) => p.path === r.field && p.message.includes(r.c.gate!))
          )
            plan.misses.push(`${r.c.id}: ${JSON.stringify(e.problems.map((p) => p.path))}`);
        } else (shapeOk(r.vmi) ? plan.crashes : plan.shapeless).push(`${r.c.id}: ${describeError(e)}`);
        continue;
      }
      if (r.c.group === 'gate') plan.misses.push(`${r.c.id}: planned with its feature gate off`);
      // Whatever was planned reaches QEMU without a raw control character.
      // eslint-disable-next-line no-control-regex
      const raw = planned.args.find((a) => /[\x00-\x1f\x7f]/.test(a));
      if (raw !== undefined) plan.misses.push(`${r.c.id}: argument ${JSON.stringify(raw)}`);
      const key = JSON.stringify(planned.prepare).split(workDir).join('<workdir>');
      if (prepared.has(key)) continue;
      prepared.add(key);
      try {
        await prepareAll(planned.prepare);
        prep.accepted++;
      } catch (e) {
        if (isTyped(e)) prep.refused++;
        else prep.crashes.push(`${r.c.id}: ${describeError(e)}`);
      }
    }
    expect(plan.crashes).toEqual([]);
    expect(plan.misses).toEqual([]);
    expect(prep.crashes).toEqual([]);
    expect(prepared.size).toBeGreaterThan(10);
  }, 900_000);

  it('touched nothing outside the pod and work directories', () => {
    const after = snapshot(root, (p) => allowedDirs.has(p));
    const expected = Object.fromEntries(Object.entries(before).filter(([p]) => !allowed(path.join(root, p))));
    expect(after).toEqual(expected);
    // The allowed directories are where they should be: inside the state dir.
    for (const d of [...handlerDirs, ...launcherDirs])
      expect(d.startsWith(`${stateDir}${path.sep}`)).toBe(true);
  });

  afterAll(() => {
    /** Shapeless crashes grouped by error and function, for the summary. */
    const grouped = (crashes: string[]): string => {
      const by = new Map<string, number>();
      for (const c of crashes) {
        const m = /: (\w+Error: [^|]*?) \| +at (\S+)/.exec(c);
        const key = m ? `${m[1].trim()} (in ${m[2]})` : c;
        by.set(key, (by.get(key) ?? 0) + 1);
      }
      return [...by].map(([k, n]) => `\n      ${n} x ${k}`).join('');
    };
    const line = (name: string, t: Tally) =>
      `${name}: ${t.refused} refused, ${t.accepted} accepted, ${t.crashes.length} crashes, ${t.misses.length} misses` +
      (t.shapeless.length
        ? `; ${t.shapeless.length} crashes on shapeless objects it is never given:${grouped(t.shapeless)}`
        : '');
    process.stderr.write(
      `hostile corpus at the runtime (${runtimeCases.length} cases, ${gatedCases.length} gated):\n  ${Object.entries(
        layers,
      )
        .map(([n, t]) => line(n, t))
        .join('\n  ')}\n`,
    );
  });
});
