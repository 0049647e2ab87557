/**
 * KubeVirt-style manifests apply to the real API server with field validation Strict and come
 * back with exactly the spec that was sent: no field pruned, none altered.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import {
  applyStrict,
  createNamespace,
  deleteNamespace,
  kindIsNamespaced,
  readBack,
  refOf,
  sharedClient,
  type Json,
} from './support/api';

const NAMESPACE = `manifests-${process.pid}`;

function load(file: string): Json[] {
  const text = fs.readFileSync(path.join(__dirname, 'fixtures', file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Json);
}

async function placed(obj: Json): Promise<Json> {
  const client = await sharedClient();
  const namespaced = await kindIsNamespaced(client, String(obj.apiVersion), String(obj.kind));
  const metadata = { ...(obj.metadata as Json) };
  if (namespaced) metadata.namespace = NAMESPACE;
  return { ...obj, metadata };
}

beforeAll(async () => {
  await createNamespace(await sharedClient(), NAMESPACE);
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NAMESPACE);
});

const cases: [string, Json][] = [
  'vm-containerdisk-cloudinit.yaml',
  'vmi-multus.yaml',
  'instancetype-preference.yaml',
].flatMap((file) =>
  load(file).map((obj): [string, Json] => [`${file}: ${obj.kind}/${(obj.metadata as Json).name}`, obj]),
);

describe('KubeVirt-style manifests, fieldValidation=Strict', () => {
  test.each(cases)('%s applies and reads back unchanged', async (_label, raw) => {
    const client = await sharedClient();
    const obj = await placed(raw);
    const applied = await applyStrict(client, obj);
    expect(applied.spec).toEqual(obj.spec);
    const stored = await readBack(client, refOf(obj));
    expect(stored.spec).toEqual(obj.spec);
    expect((stored.metadata as Json).labels).toEqual((obj.metadata as Json).labels);
  });

  test('an unknown field is refused with the field named, not pruned', async () => {
    const client = await sharedClient();
    const vm = await placed(load('vm-containerdisk-cloudinit.yaml')[0]);
    const spec = vm.spec as Json;
    const bad = {
      ...vm,
      metadata: { ...(vm.metadata as Json), name: 'typo' },
      spec: { ...spec, runStrategyy: 'Always' },
    };
    await expect(applyStrict(client, bad)).rejects.toThrow(/runStrategyy/);
  });
});
