/**
 * What a change of an owned object (a pool's VM, a replica set's VMI) means to its owner, as
 * client-go's replica controllers handle it: the owner (found by the controller reference's kind,
 * name and UID in the owner cache) is woken; a new object fulfils a creation expectation, one
 * being or gone deleted a deletion expectation; an orphan may wake owners that could adopt it.
 */
import type { ObjectMeta } from '../../api/k8s/meta';
import { objectKey, type InformerHandlers } from '../../kube';
import type { Expectations } from './expectations';
import { controllerOf, isDeleting } from './ownership';

interface Meta {
  readonly metadata?: ObjectMeta;
}

/** The key of the owner of kind `kind` (in `owners`) that controls `obj`, if it is still there. */
export function ownerKeyIn(
  owners: { get(key: string): Meta | undefined },
  kind: string,
  obj: Meta,
): string | undefined {
  const ref = controllerOf(obj);
  if (!ref || ref.kind !== kind) return undefined;
  const key = `${obj.metadata?.namespace}/${ref.name}`;
  return owners.get(key)?.metadata?.uid === ref.uid ? key : undefined;
}

export interface OwnedWatch<T extends Meta> {
  readonly ownerKeyOf: (obj: T) => string | undefined;
  readonly expectations: Expectations;
  readonly enqueue: (key: string) => void;
  /** Owners that might adopt an orphan that appeared or whose labels changed. */
  readonly adopters?: (obj: T) => readonly string[];
}

export function ownedObjectHandlers<T extends Meta>(w: OwnedWatch<T>): InformerHandlers<T> {
  const deleted = (obj: T): void => {
    const key = w.ownerKeyOf(obj);
    if (!key) return;
    w.expectations.deletionObserved(key, objectKey(obj));
    w.enqueue(key);
  };
  const orphan = (obj: T): void => {
    if (!controllerOf(obj)) w.adopters?.(obj).forEach(w.enqueue);
  };
  return {
    onAdd: (obj) => {
      if (isDeleting(obj)) return deleted(obj);
      const key = w.ownerKeyOf(obj);
      if (!key) return orphan(obj);
      w.expectations.creationObserved(key);
      w.enqueue(key);
    },
    onUpdate: (old, cur) => {
      if (isDeleting(cur)) return deleted(cur);
      const oldKey = w.ownerKeyOf(old);
      const key = w.ownerKeyOf(cur);
      if (oldKey && oldKey !== key) w.enqueue(oldKey);
      if (key) w.enqueue(key);
      else if (JSON.stringify(old.metadata?.labels) !== JSON.stringify(cur.metadata?.labels)) orphan(cur);
    },
    onDelete: deleted,
  };
}
