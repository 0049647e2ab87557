/**
 * The example app: `npm run examples:synth` writes the fleet's manifests to
 * examples/cdk8s/dist/. Warnings (for example a snapshot of a VM defined elsewhere) are
 * printed with the construct path; errors stop the synth.
 */
import { join } from 'node:path';
import { App } from 'cdk8s';
import { FleetChart } from './fleet';

export function buildApp(outdir = join(__dirname, 'dist')): App {
  const app = new App({ outdir });
  new FleetChart(app, 'fleet');
  return app;
}

if (require.main === module) {
  buildApp().synth();
  process.stdout.write(`synthesized to ${join(__dirname, 'dist')}\n`);
}
