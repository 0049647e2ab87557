/**
 * The demo: what virtkit does today, end to end, on this machine. Each step prints what it
 * made; a failing step stops the demo with its error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { crds } from '../api/crd/generate';
import { describeObject, validateObject } from '../api/validation/validate';
import { readManifests } from '../cli/manifests';

const root = path.resolve(__dirname, '..');

function heading(text: string): void {
  console.log(`\n=== ${text} ===`);
}

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : e.name.match(/\.ya?ml$/) ? [path.join(dir, e.name)] : []));
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

function validateExamples(): void {
  heading('Example manifests, checked as KubeVirt admission would');
  const files = [...yamlFiles(path.join(root, 'examples', 'yaml')), ...yamlFiles(path.join(root, 'examples', 'cdk8s', 'dist'))];
  let bad = 0;
  for (const file of files) {
    for (const m of readManifests(file)) {
      const errors = validateObject(m.object).filter((i) => i.severity === 'error');
      if (errors.length) bad++;
      console.log(`  ${errors.length ? 'INVALID' : 'ok     '} ${describeObject(m.object).padEnd(60)} ${path.relative(root, file)}`);
      for (const e of errors) console.log(`            ${e.path}: ${e.message}`);
    }
  }
  if (bad) throw new Error(`${bad} example object(s) are invalid`);
}

async function main(): Promise<void> {
  showCrds();
  validateExamples();
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
