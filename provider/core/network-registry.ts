/**
 * The Multus networks (NetworkAttachmentDefinitions) this program declares through its
 * components, so a VM that names one is not refused at preview, when it does not exist in the
 * cluster yet. One registry per process: a TypeScript program's, or the component provider's,
 * which serves every component of one YAML / Python program for one operation.
 *
 * Components of one program may be constructed concurrently (the component provider gets their
 * Construct requests as the engine gets their registrations), so a VM that finds its network
 * neither here nor in the cluster can wait a moment for it to be declared (whenDeclared).
 */

/** A NetworkAttachmentDefinition by namespace and name; no namespace: the provider's default one. */
export interface NetworkRef {
  readonly namespace?: string;
  readonly name: string;
}

const declared: NetworkRef[] = [];
const waiters = new Set<() => void>();

/** True when a declared network is `nad`, an unset namespace on either side meaning `defaultNamespace`. */
function matches(entry: NetworkRef, nad: NetworkRef, defaultNamespace: string): boolean {
  return (
    entry.name === nad.name && (entry.namespace || defaultNamespace) === (nad.namespace || defaultNamespace)
  );
}

/** Note that this program declares `nad` (a MultusNetwork component's object). */
export function declareNetwork(nad: NetworkRef): void {
  if (declared.some((d) => d.name === nad.name && d.namespace === nad.namespace)) return;
  declared.push({ name: nad.name, ...(nad.namespace ? { namespace: nad.namespace } : {}) });
  for (const wake of [...waiters]) wake();
}

/** Whether this program declares `nad`. */
export function isDeclared(nad: NetworkRef, defaultNamespace: string): boolean {
  return declared.some((d) => matches(d, nad, defaultNamespace));
}

/** Whether this program declares `nad` now or within `waitMs`. */
export function whenDeclared(nad: NetworkRef, defaultNamespace: string, waitMs: number): Promise<boolean> {
  if (isDeclared(nad, defaultNamespace)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (found: boolean): void => {
      clearTimeout(timer);
      waiters.delete(wake);
      resolve(found);
    };
    const wake = (): void => {
      if (isDeclared(nad, defaultNamespace)) finish(true);
    };
    const timer = setTimeout(() => finish(false), waitMs);
    waiters.add(wake);
  });
}

/** Forget every declaration (unit tests). */
export function forgetDeclaredNetworks(): void {
  declared.length = 0;
}
