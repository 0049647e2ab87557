/**
 * Least privilege in local mode: the controller, the handler and the api component log in with
 * their own client certificates (users `virtkit-controller`, `virtkit-handler`, `virtkit-api`), bound to ClusterRoles that grant
 * only what their code uses (api/install/rbac.ts); KubeVirt's user roles are installed beside.
 */
import { componentRbac, userRoles, type ComponentName } from '../../api/install/rbac';
import { CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, type KubeClient } from '../../kube';

const COMPONENTS: readonly ComponentName[] = ['virtkit-controller', 'virtkit-handler', 'virtkit-api'];

/** Every RBAC object local mode installs, in apply order (roles before bindings). */
export function localRbacObjects(): Record<string, unknown>[] {
  const objects = [...COMPONENTS.flatMap((c) => componentRbac(c, { kind: 'User', name: c })), ...userRoles()];
  return [
    ...objects.filter((o) => o.kind === 'ClusterRole'),
    ...objects.filter((o) => o.kind !== 'ClusterRole'),
  ];
}

export async function installRbac(client: KubeClient): Promise<void> {
  for (const o of localRbacObjects()) {
    const name = (o.metadata as { name: string }).name;
    await client.apply(o.kind === 'ClusterRole' ? CLUSTER_ROLES : CLUSTER_ROLE_BINDINGS, undefined, name, o);
  }
}
