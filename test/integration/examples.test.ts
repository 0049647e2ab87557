/**
 * Every example manifest (examples/yaml and the synthesized examples/<app>/dist) applies to
 * the real API server with field validation Strict.
 */
import * as path from 'path';
import { createNamespace, deleteNamespace, sharedClient } from './support/api';
import { applyManifestFile, cleanupNamespaces, exampleManifestFiles, REPO_ROOT } from './support/examples';

const NAMESPACE = `examples-${process.pid}`;
const files = exampleManifestFiles();

beforeAll(async () => {
  await createNamespace(await sharedClient(), NAMESPACE);
});

afterAll(async () => {
  await cleanupNamespaces(await sharedClient());
  await deleteNamespace(await sharedClient(), NAMESPACE);
});

describe('example manifests, fieldValidation=Strict', () => {
  test('include the plain YAML and the synthesized cdk8s fleet (npm test runs examples:synth first)', () => {
    const relative = files.map((f) => path.relative(REPO_ROOT, f));
    expect(relative.some((f) => f.startsWith('examples/yaml/'))).toBe(true);
    expect(relative.some((f) => f.startsWith('examples/cdk8s/dist/'))).toBe(true);
  });
  test.each(files.map((f) => [path.relative(REPO_ROOT, f), f]))('%s applies', async (_label, file) => {
    expect(await applyManifestFile(await sharedClient(), file, NAMESPACE)).toEqual([]);
  });
});
