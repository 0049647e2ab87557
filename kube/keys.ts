/** Object keys as the work queues and caches use them: "namespace/name" (or "name" cluster-wide). */

export interface KeyedObject {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export function objectKey(obj: KeyedObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
