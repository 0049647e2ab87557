/** Reads a VMI (or a VirtualMachine, whose template is used) from a YAML/JSON manifest. */
import * as fs from 'fs';
import type { PlannableVmi } from './plan/build';

export class ManifestError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ManifestError';
  }
}

interface Shape {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { template?: { metadata?: { name?: string }; spec?: unknown } };
}

/**
 * The runnable VMI of a parsed object. With `validate`, checks it against the API model first
 * (user input); the handler's launcher skips that (admission already did, and loading every
 * schema costs the launcher tens of MiB).
 */
export function vmiFromObject(obj: unknown, file: string, validate = true): PlannableVmi {
  const o = obj as Shape;
  if (!o || typeof o !== 'object') throw new ManifestError(file, 'the document is not an object');
  if (o.kind !== 'VirtualMachineInstance' && o.kind !== 'VirtualMachine') {
    throw new ManifestError(
      file,
      `kind ${JSON.stringify(o.kind)} cannot be launched; give a VirtualMachineInstance or a VirtualMachine`,
    );
  }
  if (validate) assertLaunchable(obj, o, file);
  if (o.kind === 'VirtualMachine') {
    const spec = o.spec?.template?.spec;
    if (!spec)
      throw new ManifestError(file, 'spec.template.spec is missing; a VirtualMachine needs a VMI template');
    return {
      metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace, uid: o.metadata?.uid },
      spec: spec as PlannableVmi['spec'],
    };
  }
  return obj as PlannableVmi;
}

function assertLaunchable(obj: unknown, o: Shape, file: string): void {
  // Loaded on demand: see vmiFromObject.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const validation = require('../api/validation/validate') as typeof import('../api/validation/validate');
  const errors = require('../api/validation/error') as typeof import('../api/validation/error');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { validateObject } = validation;
  const { ValidationError } = errors;
  const issues = validateObject(obj).filter((i) => i.severity === 'error');
  if (issues.length)
    throw new ValidationError(
      `${String(o.kind)} ${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? '(unnamed)'} in ${file}`,
      issues,
    );
}

/** The first VMI or VM in a (possibly multi-document) YAML file. */
export function readVmiManifest(file: string, validate = true): PlannableVmi {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ManifestError(file, `cannot read the file: ${(e as Error).message}`);
  }
  const objects = parseDocuments(text, file).filter(
    (o) => o && (o.kind === 'VirtualMachineInstance' || o.kind === 'VirtualMachine'),
  );
  if (!objects.length)
    throw new ManifestError(file, 'no VirtualMachineInstance or VirtualMachine in the file');
  return vmiFromObject(objects[0], file, validate);
}

/**
 * JSON (what the handler writes) is parsed directly; YAML (what users write) loads the YAML
 * parser on demand, so the per-VM launcher does not carry it.
 */
function parseDocuments(text: string, file: string): Shape[] {
  if (text.trimStart().startsWith('{')) {
    try {
      return [JSON.parse(text) as Shape];
    } catch {
      // not JSON after all: YAML is a superset, let its parser report the problem
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseAllDocuments } = require('yaml') as typeof import('yaml');
  const docs = parseAllDocuments(text);
  for (const doc of docs) {
    if (doc.errors.length) throw new ManifestError(file, `not valid YAML: ${doc.errors[0]!.message}`);
  }
  return docs.map((d) => d.toJS() as Shape);
}
