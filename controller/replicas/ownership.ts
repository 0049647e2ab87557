/**
 * Which objects a replica controller owns, as Kubernetes' controller-ref manager decides it:
 * an object controlled by the owner (same kind and UID) is its own while the selector matches,
 * and released when it no longer does (unless the owner is being deleted); an orphan the
 * selector matches is adopted (where the controller adopts: the replica set does, the pool does
 * not); an object controlled by someone else is never touched. Pure.
 */
import type { ObjectMeta, OwnerReference } from '../../api/k8s/meta';
import { selectorMatches, type ParsedSelector } from './label-selector';

export interface Owner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: ObjectMeta;
}

interface Owned {
  readonly metadata?: ObjectMeta;
}

/** The controller reference an owner puts on what it creates (controller, blocks owner deletion). */
export function controllerRefTo(owner: Owner): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function controllerOf(obj: Owned): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

export function isControlledBy(obj: Owned, owner: Owner): boolean {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.kind === owner.kind && ref.uid === owner.metadata?.uid;
}

export const isDeleting = (obj: Owned): boolean => Boolean(obj.metadata?.deletionTimestamp);

export interface Claim<T> {
  /** Controlled by the owner and selected. */
  readonly owned: T[];
  /** Orphans to adopt (only when adoption is on). */
  readonly adopt: T[];
  /** Controlled by the owner but no longer selected: drop the owner reference. */
  readonly release: T[];
}

export function claim<T extends Owned>(
  owner: Owner,
  selector: ParsedSelector,
  objects: readonly T[],
  options: { readonly adopt: boolean },
): Claim<T> {
  const out: Claim<T> = { owned: [], adopt: [], release: [] };
  const ownerDeleting = isDeleting(owner);
  for (const obj of objects) {
    const matches = selectorMatches(selector, obj.metadata?.labels);
    if (isControlledBy(obj, owner)) {
      if (matches) out.owned.push(obj);
      else if (!ownerDeleting) out.release.push(obj);
    } else if (!controllerOf(obj) && options.adopt && matches && !ownerDeleting && !isDeleting(obj)) {
      out.adopt.push(obj);
    }
  }
  return out;
}

/** JSON patch that adds the owner's controller reference to an orphan (fails if it gained one). */
export function adoptPatch(obj: Owned, owner: Owner): unknown[] {
  const refs = obj.metadata?.ownerReferences;
  return [
    { op: 'test', path: '/metadata/uid', value: obj.metadata?.uid },
    refs
      ? { op: 'test', path: '/metadata/ownerReferences', value: refs }
      : { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata?.resourceVersion },
    {
      op: refs ? 'replace' : 'add',
      path: '/metadata/ownerReferences',
      value: [...(refs ?? []), controllerRefTo(owner)],
    },
  ];
}

/** JSON patch that drops the owner's reference (and `finalizer`, when it holds it). */
export function releasePatch(obj: Owned, owner: Owner, finalizer?: string): unknown[] {
  const refs = obj.metadata?.ownerReferences ?? [];
  const ops: unknown[] = [
    { op: 'test', path: '/metadata/uid', value: obj.metadata?.uid },
    { op: 'test', path: '/metadata/ownerReferences', value: refs },
    {
      op: 'replace',
      path: '/metadata/ownerReferences',
      value: refs.filter((r) => r.uid !== owner.metadata?.uid),
    },
  ];
  const fins = obj.metadata?.finalizers ?? [];
  if (finalizer && fins.includes(finalizer))
    ops.push(
      { op: 'test', path: '/metadata/finalizers', value: fins },
      { op: 'replace', path: '/metadata/finalizers', value: fins.filter((f) => f !== finalizer) },
    );
  return ops;
}
