import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { validateObject } from 'virtkit/api';
import { buildApp } from './main';

type Manifest = { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } };

function synthesize(): Manifest[] {
  const app = buildApp(mkdtempSync(join(tmpdir(), 'virtkit-example-')));
  return app.charts.flatMap((c) => Testing.synth(c) as Manifest[]);
}

describe('examples/cdk8s fleet', () => {
  test('every synthesized object passes api/ validation with zero errors', () => {
    const objects = synthesize();
    const problems = objects.flatMap((o) =>
      validateObject(o)
        .filter((i) => i.severity === 'error')
        .map((i) => `${o.kind} ${o.metadata?.name}: ${i.path}: ${i.message}`),
    );
    expect(problems).toEqual([]);
  });

  test('the fleet has the web pool, the database VM with snapshots and the networks', () => {
    const kinds = synthesize().map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'VirtualMachinePool/web',
        'VirtualMachine/db',
        'VirtualMachineSnapshot/db-mon',
        'VirtualMachineSnapshot/db-thu',
        'NetworkAttachmentDefinition/backup',
        'NetworkAttachmentDefinition/underlay',
        'Subnet/underlay-vlan100',
        'Vlan/vlan100',
        'ProviderNetwork/underlay',
      ]),
    );
  });
});
