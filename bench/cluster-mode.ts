/**
 * Cluster mode's costs on this machine, in one run: the images (`npm run images`: archive and
 * unpacked sizes, build or cache-lookup time), and `virtkit up` with the process runtime (the
 * same-run baseline: control plane, controller, api, handler as host processes) against
 * `virtkit up --runtime kubelet --nodes 2` (control plane, two kubelet nodes on containerd, the
 * images imported into each, the install applied and its Deployments Available), each `up`
 * measured from the command to its return and stopped with `virtkit down` after.
 *
 * Not measured yet: a VM's creation to Running in cluster mode against local mode, which needs
 * the cluster-mode handler (issue 17).
 *
 * Report: bench/reports/cluster-mode.{json,md}. Needs root (kubelet nodes).
 * Run: TS_NODE_PROJECT=tsconfig.json npx ts-node --transpile-only bench/cluster-mode.ts (or npm run bench)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImages } from '../images/build';
import { measuredCommit } from './lib/commit';

const ROOT = path.resolve(__dirname, '..');
const VIRTKIT = path.join(ROOT, 'bin', 'virtkit.js');
const MiB = 2 ** 20;

interface UpRun {
  readonly seconds: number;
  /** `<node>: imported <ref> (<n> MiB) in <s>s` lines of the kubelet runtime. */
  readonly importSeconds: number[];
}

function virtkit(args: string[], stateDir: string): { status: number | null; stderr: string } {
  return spawnSync(process.execPath, [VIRTKIT, ...args, '--state-dir', stateDir], {
    encoding: 'utf8',
    timeout: 900_000,
  });
}

/** One `virtkit up --detach` with `args`, timed, then `virtkit down`. */
function timedUp(args: string[]): UpRun {
  // Short: kubelet nodes' Unix sockets live under it.
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-bench-'));
  try {
    const started = process.hrtime.bigint();
    const up = virtkit(['up', '--detach', ...args], stateDir);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (up.status !== 0) throw new Error(`virtkit up ${args.join(' ')} failed (${up.status}):\n${up.stderr}`);
    const importSeconds = [...up.stderr.matchAll(/: imported \S+ \(\d+ MiB\) in ([\d.]+)s$/gm)].map((m) =>
      Number(m[1]),
    );
    return { seconds, importSeconds };
  } finally {
    const down = virtkit(['down'], stateDir);
    if (down.status !== 0) console.error(`virtkit down: ${down.stderr}`);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('bench/cluster-mode.ts needs root (kubelet nodes)');
  const imagesStarted = Date.now();
  const images = buildImages({ repo: ROOT, log: (l) => console.error(`images: ${l}`) });
  const imagesSeconds = (Date.now() - imagesStarted) / 1000;
  const imagesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vk-bench-images-')), 'images.json');
  fs.writeFileSync(imagesFile, JSON.stringify(images));
  // The baseline first, then cluster mode, each on a machine with nothing else of virtkit running.
  const processUp = timedUp([]);
  const kubeletUp = timedUp(['--runtime', 'kubelet', '--nodes', '2', '--images', imagesFile]);
  fs.rmSync(path.dirname(imagesFile), { recursive: true, force: true });

  const report = {
    measuredAt: new Date().toISOString(),
    commit: measuredCommit(),
    machine: { cpus: os.cpus().length, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), load: os.loadavg() },
    images: images.map((i) => ({
      name: i.name,
      ref: i.ref,
      archiveMiB: +(i.archiveBytes / MiB).toFixed(1),
      unpackedMiB: +(i.rootfsBytes / MiB).toFixed(1),
      layers: i.layers.length,
      user: i.user,
      cached: i.cached,
    })),
    imagesSeconds: +imagesSeconds.toFixed(1),
    upProcessSeconds: +processUp.seconds.toFixed(1),
    upKubeletSeconds: +kubeletUp.seconds.toFixed(1),
    upKubeletOverProcess: +(kubeletUp.seconds / processUp.seconds).toFixed(2),
    imageImportSeconds: kubeletUp.importSeconds,
    vmCreateToRunning: 'not measured yet: needs the cluster-mode handler (issue 17)',
  };
  const outDir = path.join(ROOT, 'bench', 'reports');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'cluster-mode.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = [
    '# Cluster mode on this machine',
    '',
    `Measured ${report.measuredAt} at commit ${report.commit}; ${report.machine.cpus} CPUs, ${report.machine.memoryGiB} GiB, load ${report.machine.load.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    '## Images',
    '',
    '| image | archive (compressed) MiB | unpacked MiB | layers | user |',
    '| --- | ---: | ---: | ---: | --- |',
    ...report.images.map(
      (i) => `| ${i.ref} | ${i.archiveMiB} | ${i.unpackedMiB} | ${i.layers} | ${i.user} |`,
    ),
    '',
    `Built or found in the cache in ${report.imagesSeconds} s (${report.images.every((i) => i.cached) ? 'all cached' : 'built'}).`,
    '',
    '## virtkit up',
    '',
    '| run | seconds | ratio |',
    '| --- | ---: | ---: |',
    `| \`up\` (process runtime, the baseline) | ${report.upProcessSeconds} | 1.00 |`,
    `| \`up --runtime kubelet --nodes 2\` (nodes, image import, install Available) | ${report.upKubeletSeconds} | ${report.upKubeletOverProcess} |`,
    '',
    `Image imports (ctr images import, per image and node): ${report.imageImportSeconds.map((s) => `${s} s`).join(', ')}.`,
    '',
    `A VM's creation to Running in cluster mode against local mode: ${report.vmCreateToRunning}.`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'cluster-mode.md'), md);
  console.log(md);
}

try {
  main();
} catch (e) {
  console.error(`bench/cluster-mode.ts: ${(e as Error).message}`);
  process.exitCode = 1;
}
