/**
 * One restore at a time per target (KubeVirt's vmrestore admitter): a VirtualMachineRestore is
 * refused at creation while another one in its namespace restores the same `spec.target` and is
 * not complete (`status.complete` not true). The restores come from `lookup` (the cluster's, see
 * ./restore-lookup.ts); a lookup that fails refuses the request (./admit.ts fails closed).
 */
import { isDeepStrictEqual } from 'util';
import type { AdmissionRequest, StatusCause } from './review';

/** The VirtualMachineRestores of one namespace. */
export type RestoreLookup = (namespace: string) => Promise<readonly Record<string, unknown>[]>;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;

/** A target as Go compares it: apiGroup, kind and name, null and absent alike. */
function target(restore: Json | undefined): Json {
  const t = obj(obj(restore?.spec)?.target);
  return { apiGroup: t?.apiGroup ?? undefined, kind: t?.kind ?? undefined, name: t?.name ?? undefined };
}

function isRestoreCreate(request: AdmissionRequest): boolean {
  if (request.operation !== 'CREATE') return false;
  const object = obj(request.object);
  const group = request.kind?.group;
  const kind = request.kind?.kind ?? object?.kind;
  if (kind !== 'VirtualMachineRestore') return false;
  if (group !== undefined) return group === 'snapshot.kubevirt.io';
  return typeof object?.apiVersion === 'string' && object.apiVersion.startsWith('snapshot.kubevirt.io/');
}

/** The refusal of a restore created while another of the same target is in progress (none otherwise). */
export async function restoreInProgressCauses(
  request: AdmissionRequest,
  lookup: RestoreLookup,
): Promise<StatusCause[]> {
  if (!isRestoreCreate(request)) return [];
  const object = obj(request.object) ?? {};
  const meta = obj(object.metadata);
  const ns = (typeof meta?.namespace === 'string' && meta.namespace) || request.namespace || '';
  const name = (typeof meta?.name === 'string' && meta.name) || request.name || '';
  const mine = target(object);
  const causes: StatusCause[] = [];
  for (const other of await lookup(ns)) {
    const otherName = obj(other.metadata)?.name;
    // The same name is the API server's to refuse (AlreadyExists), not a restore in progress.
    if (typeof otherName !== 'string' || (name !== '' && otherName === name)) continue;
    if (!isDeepStrictEqual(target(other), mine) || obj(other.status)?.complete === true) continue;
    causes.push({
      type: 'FieldValueInvalid',
      field: 'spec.target',
      message: `VirtualMachineRestore ${JSON.stringify(otherName)} in progress; it restores the same target (${String(mine.kind)} ${ns}/${String(mine.name)}) and is not complete (status.complete is not true): wait for ${ns}/${otherName} to complete, or delete it, then create this restore again`,
    });
  }
  return causes;
}
