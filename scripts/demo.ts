/**
 * `npm run demo`: virtkit end to end on this machine, as a user would drive it.
 *
 *  1. the CRDs virtkit serves and the example manifests, checked as KubeVirt admission would;
 *  2. the cdk8s example fleet synthesized;
 *  3. `virtkit up --detach --nodes 2`: a real control plane plus virtkit's controller and two
 *     node handlers;
 *  4. a VirtualMachine applied with kubectl, booted under QEMU, its state and console shown;
 *  5. the running VM live-migrated to the other node with `virtkit migrate`;
 *  6. the VM stopped gracefully with `virtkit stop` (the subresource API), then `virtkit down`.
 *
 * `npm run demo -- --keep` leaves the cluster and the VM running.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { crds } from '../api/crd/generate';
import { describeObject, validateObject } from '../api/validation/validate';
import { readManifests } from '../cli/manifests';
import { findBinary } from '../cli/local/binaries';
import { exampleManifestFiles } from '../test/fixtures/example-files';
import { ensureGuestImage } from '../test/fixtures/guest/build';
import { waitFor } from '../test/fixtures/guest/harness';

const root = path.resolve(__dirname, '..');
const stateDir = path.join(root, '.virtkit');
const keep = process.argv.includes('--keep');
const virtkit = (args: string[]) =>
  execFileSync(process.execPath, [path.join(root, 'bin', 'virtkit.js'), ...args], {
    cwd: root,
    stdio: 'inherit',
  });

function heading(text: string): void {
  console.log(`\n=== ${text} ===`);
}

function showCrds(): void {
  heading('CustomResourceDefinitions (virtkit crds --with-network-crds)');
  const all = crds({ withNetworkCrds: true });
  const byGroup = new Map<string, string[]>();
  for (const crd of all) {
    const spec = crd.spec as { group: string; names: { kind: string } };
    byGroup.set(spec.group, [...(byGroup.get(spec.group) ?? []), spec.names.kind]);
  }
  for (const [group, kinds] of byGroup) console.log(`  ${group.padEnd(34)} ${kinds.join(', ')}`);
  console.log(`  ${all.length} CRDs`);
}

function synthExamples(): void {
  heading('cdk8s example fleet (npm run examples:synth)');
  execFileSync(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      // In the repository `virtkit/<entry>` resolves to the sources (as `npm run examples:synth` does).
      '-r',
      path.join(root, 'examples', 'template-library', 'in-repo.ts'),
      path.join(root, 'examples', 'cdk8s', 'main.ts'),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

function validateExamples(): void {
  heading('Example manifests, checked as KubeVirt admission would (virtkit validate)');
  const files = exampleManifestFiles();
  let bad = 0;
  for (const file of files) {
    for (const m of readManifests(file)) {
      const errors = validateObject(m.object).filter((i) => i.severity === 'error');
      if (errors.length) bad++;
      console.log(
        `  ${errors.length ? 'INVALID' : 'ok     '} ${describeObject(m.object).padEnd(58)} ${path.relative(root, file)}`,
      );
      for (const e of errors) console.log(`            ${e.path}: ${e.message}`);
    }
  }
  if (bad) throw new Error(`${bad} example object(s) are invalid`);
}

function kubectl(args: string[], input?: string): string {
  const r = spawnSync(findBinary('kubectl'), args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: path.join(stateDir, 'kubeconfig') },
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

function jsonpath(kind: string, expr: string): string {
  try {
    return kubectl(['get', kind, '-n', 'demo', '-o', `jsonpath=${expr}`]).trim();
  } catch {
    return '';
  }
}

/** The launcher's serial log of the demo VMI, found through its pod's uid. */
function consoleLog(): string | undefined {
  const uid = jsonpath('pods', '{.items[0].metadata.uid}');
  if (!uid) return undefined;
  // QEMU writes it in its own directory under the launcher's work directory, in the state of
  // the node the pod runs on (handler/, handler-2/...).
  for (const node of fs.readdirSync(stateDir).filter((d) => /^handler(-\d+)?$/.test(d))) {
    const file = path.join(stateDir, node, 'pods', uid, 'w', 'qemu', 'serial.log');
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

async function bootVm(): Promise<void> {
  heading('Local cluster (virtkit up --detach)');
  // The demo VM boots a disk image file built on this machine: a local container disk, which the
  // LocalContainerDisk feature gate allows (registries come with issue 13).
  virtkit(['up', '--detach', '--nodes', '2', '--feature-gates', 'LocalContainerDisk']);

  heading('A VirtualMachine from examples/demo/demo-vm.yaml (kubectl apply)');
  const image = ensureGuestImage();
  const manifest = fs
    .readFileSync(path.join(root, 'examples', 'demo', 'demo-vm.yaml'), 'utf8')
    .replace('image: IMAGE', `image: file://${image.disk}`);
  process.stdout.write(kubectl(['apply', '-f', '-'], manifest));
  await waitFor(
    () => jsonpath('vm/demo', '{.status.printableStatus}/{.status.ready}') === 'Running/true',
    180_000,
    'the VM to be Running and Ready',
  );
  console.log(kubectl(['get', 'vm,vmi', '-n', 'demo', '-o', 'wide']));
  console.log(kubectl(['get', 'pods', '-n', 'demo', '-o', 'wide']));

  heading('Its serial console');
  let log: string | undefined;
  await waitFor(
    () => {
      log = consoleLog();
      return !!log && fs.readFileSync(log, 'utf8').includes('VIRTKIT-GUEST-BOOTED');
    },
    120_000,
    'the guest boot marker on the console',
  );
  const lines = fs.readFileSync(log!, 'utf8').split('\n');
  console.log(
    lines
      .slice(0, lines.findIndex((l) => l.includes('VIRTKIT-GUEST-BOOTED')) + 3)
      .map((l) => `  | ${l}`)
      .join('\n'),
  );
  console.log(`  (console log: ${path.relative(root, log!)})`);

  heading('Live migration to the other node (virtkit migrate)');
  const from = jsonpath('vmi/demo', '{.status.nodeName}');
  virtkit(['migrate', 'demo', '-n', 'demo', '--kubeconfig', path.join(stateDir, 'kubeconfig')]);
  await waitFor(
    () => {
      const to = jsonpath('vmi/demo', '{.status.nodeName}');
      return (
        to !== '' && to !== from && jsonpath('vmi/demo', '{.status.migrationState.completed}') === 'true'
      );
    },
    180_000,
    'the VMI to run on the other node',
  );
  console.log(kubectl(['get', 'vmim,vmi', '-n', 'demo', '-o', 'wide']));
  const moved = kubectl([
    'get',
    'events',
    '-n',
    'demo',
    '--field-selector',
    'reason=Migrated',
    '-o',
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  console.log(
    moved
      .trim()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );

  if (keep) {
    console.log(
      `\nThe VM keeps running. export KUBECONFIG=${path.join(stateDir, 'kubeconfig')}; stop everything with: npx virtkit down`,
    );
    return;
  }
  heading("Stop it gracefully (virtkit stop: KubeVirt's subresource API sets runStrategy Halted)");
  const kubeconfig = path.join(stateDir, 'kubeconfig');
  // Watch the shutdown on the console through the API server (virtkit console, on a pipe).
  const watcher = spawn(
    process.execPath,
    [
      path.join(root, 'bin', 'virtkit.js'),
      'console',
      'demo',
      '-n',
      'demo',
      '--no-history',
      '--kubeconfig',
      kubeconfig,
    ],
    { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let seen = '';
  let said = '';
  watcher.stdout.on('data', (d: Buffer) => (seen += d.toString()));
  watcher.stderr.on('data', (d: Buffer) => (said += d.toString()));
  const ended = new Promise<void>((resolve) => watcher.once('exit', () => resolve()));
  await waitFor(() => said.includes('Successfully connected'), 60_000, 'virtkit console to connect');
  virtkit(['stop', 'demo', '-n', 'demo', '--kubeconfig', kubeconfig]);
  await waitFor(
    () => jsonpath('vm/demo', '{.status.printableStatus}') === 'Stopped',
    120_000,
    'the VM to be Stopped',
  );
  console.log(kubectl(['get', 'vm', '-n', 'demo']));
  // The console ends when the guest has gone.
  await Promise.race([ended, new Promise((r) => setTimeout(r, 10_000))]);
  watcher.kill();
  console.log('  what virtkit console showed while the guest shut down:');
  console.log(
    seen
      .trim()
      .split('\n')
      .slice(-3)
      .map((l) => `  | ${l}`)
      .join('\n'),
  );
}

async function main(): Promise<void> {
  showCrds();
  synthExamples();
  validateExamples();
  try {
    await bootVm();
  } finally {
    if (!keep) {
      heading('Tear down (virtkit down)');
      virtkit(['down']);
    }
  }
}

main().catch((e: unknown) => {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
