/**
 * The API resources virtkit reads and writes, and their REST paths: the only place paths are
 * built (kube/client.ts sends them). Pure.
 */

export interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const VIRTUAL_MACHINES: ResourceType = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  plural: 'virtualmachines',
  namespaced: true,
};
export const VIRTUAL_MACHINE_INSTANCES: ResourceType = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  plural: 'virtualmachineinstances',
  namespaced: true,
};
export const VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS: ResourceType = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstanceReplicaSet',
  plural: 'virtualmachineinstancereplicasets',
  namespaced: true,
};
export const VIRTUAL_MACHINE_POOLS: ResourceType = {
  apiVersion: 'pool.kubevirt.io/v1beta1',
  kind: 'VirtualMachinePool',
  plural: 'virtualmachinepools',
  namespaced: true,
};
/** A live migration of one VMI (kubevirt.io/v1 `vmim`), reconciled by controller/migration/. */
export const VIRTUAL_MACHINE_INSTANCE_MIGRATIONS: ResourceType = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstanceMigration',
  plural: 'virtualmachineinstancemigrations',
  namespaced: true,
};
/** migrations.kubevirt.io/v1alpha1 MigrationPolicy (cluster-scoped): migration settings for selected VMIs. */
export const MIGRATION_POLICIES: ResourceType = {
  apiVersion: 'migrations.kubevirt.io/v1alpha1',
  kind: 'MigrationPolicy',
  plural: 'migrationpolicies',
  namespaced: false,
};
export const KUBEVIRTS: ResourceType = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'KubeVirt',
  plural: 'kubevirts',
  namespaced: true,
};
export const PODS: ResourceType = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
export const EVENTS: ResourceType = { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true };
export const LEASES: ResourceType = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
};
export const DATA_VOLUMES: ResourceType = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  plural: 'datavolumes',
  namespaced: true,
};

/** KubeVirt's VM snapshots (snapshot.kubevirt.io/v1beta1): the request, and the data behind it. */
export const VIRTUAL_MACHINE_SNAPSHOTS: ResourceType = {
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineSnapshot',
  plural: 'virtualmachinesnapshots',
  namespaced: true,
};
export const VIRTUAL_MACHINE_RESTORES: ResourceType = {
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineRestore',
  plural: 'virtualmachinerestores',
  namespaced: true,
};
export const VIRTUAL_MACHINE_CLONES: ResourceType = {
  apiVersion: 'clone.kubevirt.io/v1beta1',
  kind: 'VirtualMachineClone',
  plural: 'virtualmachineclones',
  namespaced: true,
};
export const VIRTUAL_MACHINE_EXPORTS: ResourceType = {
  apiVersion: 'export.kubevirt.io/v1',
  kind: 'VirtualMachineExport',
  plural: 'virtualmachineexports',
  namespaced: true,
};
export const VIRTUAL_MACHINE_SNAPSHOT_CONTENTS: ResourceType = {
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineSnapshotContent',
  plural: 'virtualmachinesnapshotcontents',
  namespaced: true,
};

/** apps/v1 ControllerRevision: the VM controller's copies of instancetypes, preferences and start specs. */
export const CONTROLLER_REVISIONS: ResourceType = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  namespaced: true,
};

/** apps/v1 Deployment and DaemonSet: cluster mode's install, waited for by `virtkit up --runtime kubelet`. */
export const DEPLOYMENTS: ResourceType = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
};
export const DAEMON_SETS: ResourceType = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  namespaced: true,
};

function instancetypeKind(kind: string, plural: string, namespaced: boolean): ResourceType {
  return { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind, plural, namespaced };
}

export const VIRTUAL_MACHINE_INSTANCETYPES = instancetypeKind(
  'VirtualMachineInstancetype',
  'virtualmachineinstancetypes',
  true,
);
export const VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES = instancetypeKind(
  'VirtualMachineClusterInstancetype',
  'virtualmachineclusterinstancetypes',
  false,
);
export const VIRTUAL_MACHINE_PREFERENCES = instancetypeKind(
  'VirtualMachinePreference',
  'virtualmachinepreferences',
  true,
);
export const VIRTUAL_MACHINE_CLUSTER_PREFERENCES = instancetypeKind(
  'VirtualMachineClusterPreference',
  'virtualmachineclusterpreferences',
  false,
);

export const DATA_SOURCES: ResourceType = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataSource',
  plural: 'datasources',
  namespaced: true,
};

/** Multus's k8s.cni.cncf.io/v1 NetworkAttachmentDefinition: the secondary networks pods select. */
export const NETWORK_ATTACHMENT_DEFINITIONS: ResourceType = {
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  plural: 'network-attachment-definitions',
  namespaced: true,
};

/** Kubernetes' volume snapshots (snapshot.storage.k8s.io/v1, the external-snapshotter's CRDs). */
function volumeSnapshot(kind: string, plural: string, namespaced: boolean): ResourceType {
  return { apiVersion: 'snapshot.storage.k8s.io/v1', kind, plural, namespaced };
}
export const VOLUME_SNAPSHOTS = volumeSnapshot('VolumeSnapshot', 'volumesnapshots', true);
export const VOLUME_SNAPSHOT_CONTENTS = volumeSnapshot(
  'VolumeSnapshotContent',
  'volumesnapshotcontents',
  false,
);
export const VOLUME_SNAPSHOT_CLASSES = volumeSnapshot('VolumeSnapshotClass', 'volumesnapshotclasses', false);

function core(kind: string, plural: string, namespaced: boolean): ResourceType {
  return { apiVersion: 'v1', kind, plural, namespaced };
}

export const NODES = core('Node', 'nodes', false);
export const NAMESPACES = core('Namespace', 'namespaces', false);
export const PVCS = core('PersistentVolumeClaim', 'persistentvolumeclaims', true);
export const PVS = core('PersistentVolume', 'persistentvolumes', false);
export const STORAGE_CLASSES: ResourceType = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  namespaced: false,
};
export const SECRETS = core('Secret', 'secrets', true);
export const CONFIG_MAPS = core('ConfigMap', 'configmaps', true);
export const SERVICE_ACCOUNTS = core('ServiceAccount', 'serviceaccounts', true);
export const CUSTOM_RESOURCE_DEFINITIONS: ResourceType = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};

function rbac(kind: string, plural: string, namespaced: boolean): ResourceType {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind, plural, namespaced };
}

export const ROLES = rbac('Role', 'roles', true);
export const ROLE_BINDINGS = rbac('RoleBinding', 'rolebindings', true);
export const CLUSTER_ROLES = rbac('ClusterRole', 'clusterroles', false);
export const CLUSTER_ROLE_BINDINGS = rbac('ClusterRoleBinding', 'clusterrolebindings', false);

export const SUBJECT_ACCESS_REVIEWS: ResourceType = {
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SubjectAccessReview',
  plural: 'subjectaccessreviews',
  namespaced: false,
};

export const VALIDATING_WEBHOOK_CONFIGURATIONS: ResourceType = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  namespaced: false,
};

export const SERVICES = core('Service', 'services', true);
export const APISERVICES: ResourceType = {
  apiVersion: 'apiregistration.k8s.io/v1',
  kind: 'APIService',
  plural: 'apiservices',
  namespaced: false,
};

/**
 * KubeVirt's aggregated API (served by `virtkit api` behind an APIService). Its resources are
 * VMs and VMIs again, reached only through their subresources:
 * `objectPath(SUBRESOURCE_VIRTUAL_MACHINES, ns, name, 'start')` is
 * /apis/subresources.kubevirt.io/v1/namespaces/<ns>/virtualmachines/<name>/start.
 */
export const SUBRESOURCES_GROUP = 'subresources.kubevirt.io';
export const SUBRESOURCES_API_VERSION = `${SUBRESOURCES_GROUP}/v1`;
export const SUBRESOURCE_VIRTUAL_MACHINES: ResourceType = {
  apiVersion: SUBRESOURCES_API_VERSION,
  kind: 'VirtualMachine',
  plural: 'virtualmachines',
  namespaced: true,
};
export const SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES: ResourceType = {
  apiVersion: SUBRESOURCES_API_VERSION,
  kind: 'VirtualMachineInstance',
  plural: 'virtualmachineinstances',
  namespaced: true,
};

/** "virtualmachines.kubevirt.io", "pods": the resource as RBAC rules and kubectl name it. */
export function describeResource(rt: ResourceType): string {
  const group = rt.apiVersion.includes('/') ? rt.apiVersion.slice(0, rt.apiVersion.indexOf('/')) : '';
  return group ? `${rt.plural}.${group}` : rt.plural;
}

/** The discovery document of one group version: /api/v1 or /apis/<group>/<version>. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The discovery document of one API group: /apis/<group>. */
export function groupPath(group: string): string {
  return `/apis/${group}`;
}

/** A path below a group version that is no resource of it: /apis/<group>/<version>/<rest>. */
export function groupVersionSubPath(apiVersion: string, rest: string): string {
  return `${groupVersionPath(apiVersion)}/${rest.replace(/^\//, '')}`;
}

/** Collection path: all namespaces when `namespace` is undefined. */
export function collectionPath(rt: ResourceType, namespace?: string): string {
  const ns = rt.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(rt.apiVersion)}${ns}/${rt.plural}`;
}

export function objectPath(
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  return `${collectionPath(rt, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

/** Kube-OVN's kubeovn.io/v1 Subnet (cluster-scoped): the address blocks virtkit's IPAM allocates from. */
export const KUBE_OVN_SUBNETS: ResourceType = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'Subnet',
  plural: 'subnets',
  namespaced: false,
};

/** Kube-OVN's kubeovn.io/v1 IP (cluster-scoped): one allocated address of a pod or VM interface. */
export const KUBE_OVN_IPS: ResourceType = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  plural: 'ips',
  namespaced: false,
};

/** Kube-OVN's kubeovn.io/v1 IPPool (cluster-scoped): a slice of a Subnet for some namespaces or pods. */
export const KUBE_OVN_IPPOOLS: ResourceType = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'IPPool',
  plural: 'ippools',
  namespaced: false,
};

/** Kube-OVN's kubeovn.io/v1 Vlan (cluster-scoped): the VLAN ID of an underlay subnet. */
export const KUBE_OVN_VLANS: ResourceType = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'Vlan',
  plural: 'vlans',
  namespaced: false,
};

/** Kube-OVN's kubeovn.io/v1 ProviderNetwork (cluster-scoped; plural `provider-networks`): the node NIC an underlay's VLANs ride on. */
export const KUBE_OVN_PROVIDER_NETWORKS: ResourceType = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'ProviderNetwork',
  plural: 'provider-networks',
  namespaced: false,
};
