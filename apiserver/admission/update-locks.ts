/**
 * What an UPDATE may not change while a snapshot or a restore holds the object: KubeVirt's
 * vm-storage-status and vmrestore admitters, judged from the old and the new object. Pure.
 *
 * - A VirtualMachine with `status.snapshotInProgress` keeps its volumes
 *   (`spec.template.spec.volumes`) and its running state (`spec.running` / `spec.runStrategy`)
 *   until the snapshot is done: the snapshot copies exactly those volumes, and a VM that starts
 *   or stops under it would change how (online, offline) it is taken.
 * - A VirtualMachine with `status.restoreInProgress` is not started by an update: its run
 *   strategy may not change to anything but Halted. KubeVirt's first rule refused every spec
 *   change unless the strategy was Halted, which also refused the restore controller's own
 *   rewrite of a stopped Manual VM; its later rule refuses any run strategy change, which also
 *   refuses stopping it. virtkit refuses what would start the VM and nothing else, with the
 *   first rule's words ("Cannot start VM until restore ... completes").
 * - A VirtualMachineRestore's spec is immutable after creation.
 * - A VirtualMachineInstanceMigration's spec is immutable after creation (KubeVirt's
 *   migration-update admitter): the controller has already acted on it.
 *
 * The status read is the new object's: on an update of the main resource the API server hands
 * admission the stored status (the status subresource is written separately).
 */
import { isDeepStrictEqual } from 'util';
import type { AdmissionRequest, StatusCause } from './review';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The request's kind when its group is `group` (the request's kind, else the object's apiVersion). */
export function kindIn(request: AdmissionRequest, object: Json, group: string): string | undefined {
  const requestGroup = request.kind?.group;
  if (requestGroup !== undefined) return requestGroup === group ? request.kind?.kind : undefined;
  const apiVersion = str(object.apiVersion) ?? '';
  return apiVersion.startsWith(`${group}/`) ? (request.kind?.kind ?? str(object.kind)) : undefined;
}

function namespacedName(object: Json, request: AdmissionRequest): { ns: string; name: string } {
  const meta = obj(object.metadata);
  return {
    ns: str(meta?.namespace) ?? request.namespace ?? '',
    name: str(meta?.name) ?? request.name ?? '',
  };
}

/** null and absent are the same to Go's pointers. */
const given = (v: unknown): unknown => (v === null ? undefined : v);

/** How `spec` states its running state, as written: `spec.runStrategy "Always"`, `spec.running true`. */
function runningText(spec: Json | undefined): string {
  const parts: string[] = [];
  if (given(spec?.runStrategy) !== undefined)
    parts.push(`spec.runStrategy ${JSON.stringify(spec?.runStrategy)}`);
  if (given(spec?.running) !== undefined) parts.push(`spec.running ${JSON.stringify(spec?.running)}`);
  return parts.join(' and ') || 'neither spec.running nor spec.runStrategy';
}

/** KubeVirt's RunStrategy(): spec.runStrategy, else running true = Always, else Halted. */
function runStrategyOf(spec: Json | undefined): string {
  const strategy = given(spec?.runStrategy);
  if (typeof strategy === 'string') return strategy;
  return spec?.running === true ? 'Always' : 'Halted';
}

function vmCauses(object: Json, old: Json, request: AdmissionRequest): StatusCause[] {
  const status = obj(object.status);
  const spec = obj(object.spec);
  const oldSpec = obj(old.spec);
  const { ns, name } = namespacedName(object, request);
  const causes: StatusCause[] = [];

  const snapshot = str(status?.snapshotInProgress);
  if (snapshot) {
    const wait = `wait for VirtualMachineSnapshot ${ns}/${snapshot} to finish (status.snapshotInProgress is cleared then) or delete it, then apply the change again`;
    const volumes = (s: Json | undefined): unknown => given(obj(obj(obj(s?.template)?.spec))?.volumes) ?? [];
    if (!isDeepStrictEqual(volumes(oldSpec), volumes(spec)))
      causes.push({
        type: 'FieldValueInvalid',
        field: 'spec',
        message: `Cannot update vm disks or volumes until snapshot ${JSON.stringify(snapshot)} completes; VirtualMachine ${ns}/${name} changes spec.template.spec.volumes while the snapshot copies them: ${wait}`,
      });
    else if (
      given(oldSpec?.running) !== given(spec?.running) ||
      given(oldSpec?.runStrategy) !== given(spec?.runStrategy)
    )
      causes.push({
        type: 'FieldValueInvalid',
        field: 'spec',
        message: `Cannot update vm running state until snapshot ${JSON.stringify(snapshot)} completes; VirtualMachine ${ns}/${name} changes ${runningText(oldSpec)} to ${runningText(spec)}: ${wait}`,
      });
  }

  const restore = str(status?.restoreInProgress);
  if (restore && !isDeepStrictEqual(oldSpec, spec)) {
    const before = runStrategyOf(oldSpec);
    const after = runStrategyOf(spec);
    if (after !== before && after !== 'Halted')
      causes.push({
        type: 'FieldValueInvalid',
        field: 'spec',
        message: `Cannot start VM until restore ${JSON.stringify(restore)} completes; VirtualMachine ${ns}/${name} changes ${runningText(oldSpec)} to ${runningText(spec)} (run strategy ${before} to ${after}) while VirtualMachineRestore ${ns}/${restore} rewrites its volumes: wait for the restore to complete (status.complete: true; status.restoreInProgress is cleared then) or delete it, then start the VM`,
      });
  }
  return causes;
}

/** The top-level fields of `spec` an update changes, as `spec.a, spec.b` (or `spec`). */
function changedSpecFields(object: Json, old: Json): string {
  const changed = Object.keys({ ...obj(old.spec), ...obj(object.spec) })
    .filter((k) => !isDeepStrictEqual(obj(old.spec)?.[k], obj(object.spec)?.[k]))
    .sort()
    .map((k) => `spec.${k}`);
  return changed.join(', ') || 'spec';
}

function restoreCauses(object: Json, old: Json, request: AdmissionRequest): StatusCause[] {
  if (isDeepStrictEqual(old.spec, object.spec)) return [];
  const { ns, name } = namespacedName(object, request);
  const changed = changedSpecFields(object, old);
  return [
    {
      type: 'FieldValueInvalid',
      field: 'spec',
      // KubeVirt's words are "spec in immutable after creation"; the typo is not kept.
      message: `spec is immutable after creation; this update of VirtualMachineRestore ${ns}/${name} changes ${changed}: to restore differently, create a new VirtualMachineRestore (delete this one first if it is not complete)`,
    },
  ];
}

function migrationCauses(object: Json, old: Json, request: AdmissionRequest): StatusCause[] {
  if (isDeepStrictEqual(old.spec, object.spec)) return [];
  const { ns, name } = namespacedName(object, request);
  return [
    {
      type: 'FieldValueInvalid',
      field: 'spec',
      message: `update of Migration object's spec is restricted; this update of VirtualMachineInstanceMigration ${ns}/${name} changes ${changedSpecFields(object, old)}: to migrate differently, delete this migration (which cancels it if it has not ended) and create a new one`,
    },
  ];
}

/**
 * The refusals of an UPDATE that a snapshot or restore in progress forbids, or that changes the
 * spec of a restore or a migration (none for anything else).
 */
export function updateLockCauses(request: AdmissionRequest): StatusCause[] {
  if (request.operation !== 'UPDATE') return [];
  const object = obj(request.object);
  const old = obj(request.oldObject);
  if (!object || !old) return [];
  if (kindIn(request, object, 'kubevirt.io') === 'VirtualMachine') return vmCauses(object, old, request);
  if (kindIn(request, object, 'snapshot.kubevirt.io') === 'VirtualMachineRestore')
    return restoreCauses(object, old, request);
  if (kindIn(request, object, 'kubevirt.io') === 'VirtualMachineInstanceMigration')
    return migrationCauses(object, old, request);
  return [];
}
