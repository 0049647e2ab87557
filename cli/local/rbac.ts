/**
 * Least privilege in local mode: the controller, the handler and the api component log in with
 * their own client certificates (users `virtkit-controller`, `virtkit-handler`, `virtkit-api`;
 * `virtkit-whereabouts` for the IPAM plugin the handler runs, a Role in kube-system), bound to ClusterRoles that grant
 * only what their code uses (api/install/rbac.ts) and, for the api, the built-in Role that reads
 * the API server's front-proxy settings; KubeVirt's user roles are installed beside, and the
 * API server's kubelet client is bound to system:kubelet-api-admin.
 */
import { componentRbac, userRoles, whereaboutsRbac, type ComponentName } from '../../api/install/rbac';
import {
  CLUSTER_ROLE_BINDINGS,
  CLUSTER_ROLES,
  ROLE_BINDINGS,
  ROLES,
  type KubeClient,
  type ResourceType,
} from '../../kube';
import { KUBELET_CLIENT_USER } from './pki';

const COMPONENTS: readonly ComponentName[] = ['virtkit-controller', 'virtkit-handler', 'virtkit-api'];
/** The user of the whereabouts IPAM plugin's client certificate (cli/local/pki.ts). */
export const WHEREABOUTS_USER = 'virtkit-whereabouts';

/**
 * kube-apiserver towards kubelet nodes (logs, exec, port-forward): kubelets authorize it with
 * SubjectAccessReviews, which the built-in system:kubelet-api-admin role answers. With
 * `--runtime kubelet` this is local mode's only RBAC: the install brings the components' own.
 */
export function kubeletApiAccessBinding(): Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `virtkit:${KUBELET_CLIENT_USER}` },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'system:kubelet-api-admin',
    },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: KUBELET_CLIENT_USER }],
  };
}

/** Every RBAC object local mode installs, in apply order (roles before bindings). */
export function localRbacObjects(): Record<string, unknown>[] {
  const objects = [
    ...COMPONENTS.flatMap((c) => componentRbac(c, { kind: 'User', name: c })),
    // The whereabouts plugin the handler runs, as its own user (pki.ts), in kube-system only.
    ...whereaboutsRbac({ kind: 'User', name: WHEREABOUTS_USER }),
    ...userRoles(),
    kubeletApiAccessBinding(),
  ];
  const isRole = (o: Record<string, unknown>): boolean => o.kind === 'ClusterRole' || o.kind === 'Role';
  return [...objects.filter(isRole), ...objects.filter((o) => !isRole(o))];
}

const RESOURCE_OF: Readonly<Record<string, ResourceType>> = {
  ClusterRole: CLUSTER_ROLES,
  ClusterRoleBinding: CLUSTER_ROLE_BINDINGS,
  Role: ROLES,
  RoleBinding: ROLE_BINDINGS,
};

export async function installRbac(
  client: KubeClient,
  objects: readonly Record<string, unknown>[] = localRbacObjects(),
): Promise<void> {
  for (const o of objects) {
    const { name, namespace } = o.metadata as { name: string; namespace?: string };
    const rt = RESOURCE_OF[String(o.kind)];
    if (!rt) throw new Error(`installRbac: no resource for kind ${String(o.kind)}`);
    await client.apply(rt, namespace, name, o);
  }
}
