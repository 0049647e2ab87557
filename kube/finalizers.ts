/**
 * JSON patches that add or remove one finalizer. Each is guarded by a `test` of what it was
 * computed from (the finalizer list, or the resourceVersion when there is none), so a writer
 * that got there first makes it fail and the key is tried again, never losing that writer's
 * finalizer. undefined when there is nothing to do. Pure.
 */

interface WithFinalizers {
  readonly metadata?: { readonly finalizers?: readonly string[]; readonly resourceVersion?: string };
}

export function addFinalizerPatch(obj: WithFinalizers, finalizer: string): unknown[] | undefined {
  const current = obj.metadata?.finalizers;
  if (current?.includes(finalizer)) return undefined;
  if (!current?.length)
    return [
      { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata?.resourceVersion },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  return [
    { op: 'test', path: '/metadata/finalizers', value: [...current] },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

export function removeFinalizerPatch(obj: WithFinalizers, finalizer: string): unknown[] | undefined {
  const current = obj.metadata?.finalizers ?? [];
  if (!current.includes(finalizer)) return undefined;
  return [
    { op: 'test', path: '/metadata/finalizers', value: [...current] },
    { op: 'replace', path: '/metadata/finalizers', value: current.filter((f) => f !== finalizer) },
  ];
}
