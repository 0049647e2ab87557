/**
 * Cluster mode's costs on this machine, in one run: the images (`npm run images`: archive and
 * unpacked sizes, build or cache-lookup time), and `virtkit up` with the process runtime (the
 * same-run baseline: control plane, controller, api, handler as host processes) against
 * `virtkit up --runtime kubelet --nodes 2` (control plane, two kubelet nodes on containerd, the
 * images imported into each, the install applied and its Deployments Available), each `up`
 * measured from the command to its return and stopped with `virtkit down` after.
 *
 * Then, in each, a VM's creation to Running: the test guest from a LocalContainerDisk on the pod
 * network (masquerade), created with kubectl, timed until its VMI's phase is Running, deleted,
 * three times in a row; the median of each runtime and their ratio.
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
import { findBinary } from '../cli/local/binaries';
import { readState } from '../cli/local/state';
import { ensureGuestImage } from '../test/fixtures/guest/build';

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

const VM_RUNS = 3;

function kubectl(kubeconfig: string, args: string[], input?: string): string {
  const r = spawnSync(findBinary('kubectl'), args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: kubeconfig },
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The test guest on the pod network, its disk a file of the node (LocalContainerDisk). */
function benchVm(name: string, disk: string): string {
  return JSON.stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'default' },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          terminationGracePeriodSeconds: 5,
          domain: {
            resources: { requests: { memory: '128Mi' } },
            devices: {
              autoattachGraphicsDevice: false,
              disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }],
            },
          },
          volumes: [{ name: 'rootdisk', containerDisk: { image: `file://${disk}` } }],
        },
      },
    },
  });
}

/** Seconds from `kubectl apply` of a VM to its VMI's phase Running, VM_RUNS times. */
function vmCreateToRunning(kubeconfig: string, disk: string): number[] {
  const seconds: number[] = [];
  for (let i = 0; i < VM_RUNS; i++) {
    const name = `bench-${i}`;
    const started = process.hrtime.bigint();
    kubectl(kubeconfig, ['apply', '-f', '-'], benchVm(name, disk));
    const until = Date.now() + 300_000;
    for (;;) {
      const phase = spawnSync(findBinary('kubectl'), ['get', 'vmi', name, '-o', 'jsonpath={.status.phase}'], {
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: kubeconfig },
      }).stdout;
      if (phase === 'Running') break;
      if (Date.now() > until)
        throw new Error(`VM ${name} is not Running after 300 s (phase ${phase || 'none'})`);
      spawnSync('sleep', ['0.1']);
    }
    seconds.push(+(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2));
    kubectl(kubeconfig, ['delete', 'vm', name, '--wait=true', '--timeout=120s']);
  }
  return seconds;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * One `virtkit up --detach` with `args`, timed; then `vm` (the path of the guest's disk on its
 * nodes, after `prepare` put it there) timed from creation to Running; then `virtkit down`.
 */
function timedUp(
  args: string[],
  vm: { readonly disk: string; readonly prepare?: (stateDir: string) => void },
): UpRun & { vmSeconds: number[] } {
  // Short: kubelet nodes' Unix sockets live under it.
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-bench-'));
  try {
    const started = process.hrtime.bigint();
    const up = virtkit(['up', '--detach', '--feature-gates', 'LocalContainerDisk', ...args], stateDir);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (up.status !== 0) throw new Error(`virtkit up ${args.join(' ')} failed (${up.status}):\n${up.stderr}`);
    const importSeconds = [...up.stderr.matchAll(/: imported \S+ \(\d+ MiB\) in ([\d.]+)s$/gm)].map((m) =>
      Number(m[1]),
    );
    vm.prepare?.(stateDir);
    const vmSeconds = vmCreateToRunning(path.join(stateDir, 'kubeconfig'), vm.disk);
    return { seconds, importSeconds, vmSeconds };
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
  const guest = ensureGuestImage();
  const processUp = timedUp([], { disk: guest.disk });
  // On kubelet nodes the handler sees the node's /var/lib/virtkit: the disk goes there on each.
  const nodeDisk = '/var/lib/virtkit/bench-guest/disk.img';
  const kubeletUp = timedUp(['--runtime', 'kubelet', '--nodes', '2', '--images', imagesFile], {
    disk: nodeDisk,
    prepare: (stateDir) => {
      for (const n of readState(path.join(stateDir, 'state.json'))?.nodes ?? []) {
        const dir = path.join(n.dir, 'host', 'var-lib-virtkit', 'bench-guest');
        fs.mkdirSync(dir, { recursive: true });
        fs.copyFileSync(guest.disk, path.join(dir, 'disk.img'));
      }
    },
  });
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
    vmCreateToRunningProcess: processUp.vmSeconds,
    vmCreateToRunningKubelet: kubeletUp.vmSeconds,
    vmMedianKubeletOverProcess: +(median(kubeletUp.vmSeconds) / median(processUp.vmSeconds)).toFixed(2),
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
    "## A VM's creation to Running",
    '',
    `The test guest (containerDisk file, pod network), \`kubectl apply\` to VMI phase Running, ${VM_RUNS} times in a row (TCG where KVM does not work).`,
    '',
    '| runtime | seconds | median | ratio |',
    '| --- | --- | ---: | ---: |',
    `| process (local mode, the baseline) | ${report.vmCreateToRunningProcess.join(', ')} | ${median(report.vmCreateToRunningProcess)} | 1.00 |`,
    `| kubelet (launcher pods started by kubelet, handed off by the handler) | ${report.vmCreateToRunningKubelet.join(', ')} | ${median(report.vmCreateToRunningKubelet)} | ${report.vmMedianKubeletOverProcess} |`,
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
