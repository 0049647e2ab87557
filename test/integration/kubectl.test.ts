/** What kubectl users see: printer columns of `kubectl get vm,vmi` and `kubectl explain`. */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { findKind } from '../../api/registry';
import { applyStrict, createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { kubectl } from './support/kubectl';

const NAMESPACE = `kubectl-${process.pid}`;

function fixture(file: string): Json[] {
  const text = fs.readFileSync(path.join(__dirname, 'fixtures', file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Json);
}

function withNamespace(obj: Json): Json {
  return { ...obj, metadata: { ...(obj.metadata as Json), namespace: NAMESPACE } };
}

/** Header rows of kubectl's table output (one table per resource type). */
function headers(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('NAME '))
    .map((line) => line.trim().split(/\s{2,}/));
}

beforeAll(async () => {
  const client = await sharedClient();
  await createNamespace(client, NAMESPACE);
  await applyStrict(client, withNamespace(fixture('vm-containerdisk-cloudinit.yaml')[0]));
  const vmi = fixture('vmi-multus.yaml').find((o) => o.kind === 'VirtualMachineInstance');
  if (!vmi) throw new Error('vmi-multus.yaml: no VirtualMachineInstance in the fixture');
  await applyStrict(client, withNamespace(vmi));
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NAMESPACE);
});

describe('kubectl against virtkit CRDs', () => {
  test('`kubectl get vm,vmi` shows the printer columns of both kinds', () => {
    const res = kubectl(['get', 'vm,vmi', '-n', NAMESPACE]);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const [vmHeader, vmiHeader] = headers(res.stdout);
    // The columns KubeVirt users and tools read.
    expect(vmHeader).toEqual(expect.arrayContaining(['NAME', 'AGE', 'STATUS', 'READY']));
    expect(vmiHeader).toEqual(expect.arrayContaining(['NAME', 'AGE', 'PHASE', 'READY']));
    // And every column the kinds declare for the default view (priority 0; the others need -o wide).
    const declared = (apiVersion: string, kind: string): string[] =>
      (findKind(apiVersion, kind)?.printerColumns ?? [])
        .filter((c) => !c.priority)
        .map((c) => c.name.toUpperCase());
    expect(vmHeader).toEqual(expect.arrayContaining(declared('kubevirt.io/v1', 'VirtualMachine')));
    expect(vmiHeader).toEqual(expect.arrayContaining(declared('kubevirt.io/v1', 'VirtualMachineInstance')));
    expect(res.stdout).toMatch(/^virtualmachine\.kubevirt\.io\/fedora-web\s/m);
    expect(res.stdout).toMatch(/^virtualmachineinstance\.kubevirt\.io\/multi-nic\s/m);
  });

  test('`kubectl explain virtualmachine.spec.template.spec.domain` answers with a description and fields', () => {
    const res = kubectl(['explain', 'virtualmachine.spec.template.spec.domain']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^KIND:\s+VirtualMachine$/m);
    const description = /DESCRIPTION:\n([\s\S]*?)\n\n/.exec(res.stdout)?.[1]?.trim() ?? '';
    expect(description).not.toBe('');
    expect(description).not.toMatch(/<empty>/);
    expect(res.stdout).toMatch(/^\s+devices\s+<Object>/m);
  });

  test('`kubectl get` finds the kinds by their short names and categories', () => {
    const res = kubectl(['get', 'all', '-n', NAMESPACE, '-o', 'name']);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('virtualmachine.kubevirt.io/fedora-web');
  });
});
