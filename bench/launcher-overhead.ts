/**
 * Launcher memory overhead for a 1 vCPU / 1 GiB VM, next to KubeVirt's per-VM overhead budget
 * for that size (about 290 MiB: 240 MiB fixed + 8 MiB per vCPU + 8 MiB IO thread + 32 MiB video).
 *
 * It compiles the launcher to JavaScript (as a published package runs it), starts
 * `virtkit launcher` with the test guest, waits for the boot marker and a quiet moment, and reads:
 *   - the launcher's RSS (VmRSS of the node process),
 *   - QEMU's RSS minus the resident part of the guest RAM mapping (from /proc/PID/smaps),
 * so "total" is what the VM costs beyond its guest memory. Written to
 * bench/reports/launcher-overhead.{json,md} as ratios against the budget and the goals.
 * Run: npx ts-node --transpile-only bench/launcher-overhead.ts  (or npm run bench)
 */
import { measuredCommit } from './lib/commit';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LauncherClient } from '../launcher/api/client';
import { memoryOverhead } from '../api/sizing';
import { ensureGuestImage, GuestMarkers } from '../test/fixtures/guest/build';
import { guestResourcesFile, guestVmi, waitFor, waitForConsole } from '../test/fixtures/guest/harness';

const MiB = 2 ** 20;
const KUBEVIRT_BUDGET_MIB = 290;
const GOAL_LAUNCHER_MIB = 40;
const GOAL_TOTAL_MIB = 96;
const ROOT = path.resolve(__dirname, '..');

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resident bytes of the largest anonymous mapping at least `size` long: QEMU's guest RAM. */
function guestRamResident(pid: number, size: number): number {
  const smaps = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n');
  let best = 0;
  let current = -1;
  for (const line of smaps) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) {
      const len = Number.parseInt(range[2]!, 16) - Number.parseInt(range[1]!, 16);
      current = len >= size ? len : -1;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current >= 0) best = Math.max(best, Number(rss[1]) * 1024);
  }
  return best;
}

/**
 * The entry the handler really starts (`node bin/virtkit.js launcher`), run from the compiled
 * tree so no TypeScript loader sits in the measured process.
 */
function compiledEntry(): string {
  execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  return path.join(ROOT, 'bin', 'virtkit.js');
}

async function main(): Promise<void> {
  ensureGuestImage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-bench-overhead-'));
  const entry = compiledEntry();
  const vmi = guestVmi({ name: 'overhead', memory: '1Gi' });
  // KubeVirt's budget includes video; keep the default graphics device like a real VM.
  vmi.spec.domain.devices.autoattachGraphicsDevice = true;
  // The handler hands the launcher its VMI as JSON.
  const file = path.join(dir, 'vmi.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', ...vmi }),
  );
  const workDir = path.join(dir, 'work');
  // The test guest's disk is a local image file: the handler would pass the cluster's
  // LocalContainerDisk gate in the resources file.
  const child = spawn(
    process.execPath,
    [entry, 'launcher', '--workdir', workDir, '--vmi', file, '--resources', guestResourcesFile(dir)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const client = new LauncherClient(path.join(workDir, 'launcher.sock'));
  try {
    await waitFor(
      async () => {
        if (exited !== undefined) throw new Error(`the launcher exited with ${exited} before the VM ran`);
        return client.status().then(
          (s) => s.state === 'Running',
          () => false,
        );
      },
      120_000,
      'the VM to run',
    );
    const status = await client.status();
    await waitForConsole(status.serialLog!, GuestMarkers.booted, 120_000);
    await new Promise((r) => setTimeout(r, 5000));
    // Use the control API once more, as the handler would, before measuring.
    await client.stats();
    const launcherRss = rssBytes(child.pid!);
    const qemuRss = rssBytes(status.pid!);
    const guestResident = guestRamResident(status.pid!, status.guestMemoryBytes);
    const qemuOverhead = qemuRss - guestResident;
    const total = launcherRss + qemuOverhead;
    const formula = memoryOverhead(vmi.spec);
    const report = {
      vm: {
        vcpus: status.vcpus,
        guestMemoryMiB: status.guestMemoryBytes / MiB,
        accelerator: status.accelerator,
      },
      measuredMiB: {
        launcherRss: +(launcherRss / MiB).toFixed(1),
        qemuRss: +(qemuRss / MiB).toFixed(1),
        guestRamResident: +(guestResident / MiB).toFixed(1),
        qemuOverhead: +(qemuOverhead / MiB).toFixed(1),
        total: +(total / MiB).toFixed(1),
      },
      kubevirtBudgetMiB: KUBEVIRT_BUDGET_MIB,
      goalsMiB: { launcher: GOAL_LAUNCHER_MIB, total: GOAL_TOTAL_MIB },
      ratios: {
        totalVsKubevirtBudget: +(total / MiB / KUBEVIRT_BUDGET_MIB).toFixed(3),
        launcherVsGoal: +(launcherRss / MiB / GOAL_LAUNCHER_MIB).toFixed(3),
        totalVsGoal: +(total / MiB / GOAL_TOTAL_MIB).toFixed(3),
        formulaVsMeasured: +(formula / total).toFixed(3),
      },
      memoryOverheadFormulaMiB: +(formula / MiB).toFixed(1),
      date: new Date().toISOString(),
      commit: measuredCommit(),
    };
    const outDir = path.join(ROOT, 'bench/reports');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'launcher-overhead.json'), JSON.stringify(report, null, 2) + '\n');
    const m = report.measuredMiB;
    fs.writeFileSync(
      path.join(outDir, 'launcher-overhead.md'),
      [
        '# Launcher memory overhead (1 vCPU / 1 GiB)',
        '',
        `Accelerator: ${report.vm.accelerator}. Measured ${report.date} at commit ${report.commit}.`,
        '',
        '| measure | MiB | ratio |',
        '| --- | ---: | ---: |',
        `| launcher RSS | ${m.launcherRss} | ${report.ratios.launcherVsGoal} of the ${GOAL_LAUNCHER_MIB} MiB goal |`,
        `| QEMU RSS | ${m.qemuRss} | |`,
        `| guest RAM resident (subtracted) | ${m.guestRamResident} | |`,
        `| total overhead (launcher + QEMU - guest RAM) | ${m.total} | ${report.ratios.totalVsGoal} of the ${GOAL_TOTAL_MIB} MiB goal; ${report.ratios.totalVsKubevirtBudget} of KubeVirt's ${KUBEVIRT_BUDGET_MIB} MiB |`,
        `| memoryOverhead() for this VM | ${report.memoryOverheadFormulaMiB} | ${report.ratios.formulaVsMeasured} x measured |`,
        '',
      ].join('\n'),
    );
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`launcher-overhead: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
