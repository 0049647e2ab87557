/**
 * The project's example manifests: every YAML file under examples/<app>/dist (synthesized by
 * the cdk8s and template examples) and under examples/yaml (plain YAML), and applying them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { NAMESPACES } from '../../../kube';
import { ApiError, applyStrict, deleteNamespace, kindIsNamespaced, type Json, type KubeClient } from './api';

export { exampleManifestFiles, REPO_ROOT } from '../../fixtures/example-files';
import { REPO_ROOT } from '../../fixtures/example-files';

/** The objects of a multi-document YAML file (empty documents skipped). */
export function manifestObjects(file: string): Json[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Json | null)
    .filter((o): o is Json => o !== null && typeof o === 'object' && 'kind' in o);
}

/** Namespaces that manifests named and the helper had to create (removed by cleanupNamespaces). */
const created = new Set<string>();

/** Create namespace `name` unless it exists (as a user would before `kubectl apply`). */
async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  if (created.has(name)) return;
  try {
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    created.add(name);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) throw err;
  }
}

export async function cleanupNamespaces(client: KubeClient): Promise<void> {
  for (const name of created) await deleteNamespace(client, name);
  created.clear();
}

/**
 * Apply every object of `file` with fieldValidation=Strict, namespaced ones into `namespace`
 * unless they name their own (created when missing). Namespaces and CRDs go first so what depends on them finds them.
 * Returns "<file>: <kind>/<name>: <server message>" for each object refused.
 */
export async function applyManifestFile(
  client: KubeClient,
  file: string,
  namespace: string,
): Promise<string[]> {
  const rank = (o: Json): number =>
    o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2;
  const objects = manifestObjects(file).sort((a, b) => rank(a) - rank(b));
  const problems: string[] = [];
  for (const obj of objects) {
    const metadata = { ...((obj.metadata ?? {}) as Json) };
    const label = `${path.relative(REPO_ROOT, file)}: ${String(obj.kind)}/${String(metadata.name)}`;
    try {
      if (await kindIsNamespaced(client, String(obj.apiVersion), String(obj.kind))) {
        metadata.namespace ??= namespace;
        await ensureNamespace(client, String(metadata.namespace));
      }
      await applyStrict(client, { ...obj, metadata });
    } catch (err) {
      problems.push(`${label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return problems;
}
