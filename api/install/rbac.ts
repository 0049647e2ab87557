/**
 * RBAC of virtkit's components and KubeVirt's aggregated user roles, as plain objects: what
 * local mode applies and what cluster mode's install (./render.ts) ships. Each component's role
 * grants exactly the verbs its code uses (the runtime suites run the components under these
 * roles, so a missing verb fails them); users get `kubevirt.io:view`, `kubevirt.io:edit` and
 * `kubevirt.io:admin`, aggregated into Kubernetes' view, edit and admin, and everyone
 * `kubevirt.io:default` (the subresource API's version). Pure.
 */
import { virtkitKinds } from '../registry';
import { VOLUME_SNAPSHOT_GROUP } from '../volumesnapshot/v1/well-known';

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  /** Only these objects (get, update, patch, delete: Kubernetes cannot limit create or list by name). */
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

export type RbacSubject =
  | { readonly kind: 'User'; readonly name: string }
  | { readonly kind: 'ServiceAccount'; readonly name: string; readonly namespace: string };

const rule = (apiGroups: string[], resources: string[], verbs: string[]): PolicyRule => ({
  apiGroups,
  resources,
  verbs,
});
const READ = ['get', 'list', 'watch'];
/** What an informer needs: its reads come from the cache, never a get. */
const LIST_WATCH = ['list', 'watch'];
/** The four kinds of instancetype.kubevirt.io: what VMs name in spec.instancetype and spec.preference. */
const INSTANCETYPE_RESOURCES = [
  'virtualmachineinstancetypes',
  'virtualmachineclusterinstancetypes',
  'virtualmachinepreferences',
  'virtualmachineclusterpreferences',
];

/**
 * The VM and VMI controllers (controller/): what controller/ and kube/ call for it. The VM
 * controller watches the instancetypes and preferences VMs name (both scopes), and keeps its
 * copies of them and of each VMI's start spec in ControllerRevisions it creates, reads, and
 * deletes (an older start revision, or one of the same name holding another spec);
 * `inferFromVolume` gets the PVC, DataVolume or DataSource a volume is made from.
 */
export const CONTROLLER_RULES: readonly PolicyRule[] = [
  rule(['kubevirt.io'], ['virtualmachines'], [...LIST_WATCH, 'create', 'delete', 'patch', 'update']),
  rule(['kubevirt.io'], ['virtualmachines/status'], ['patch', 'update']),
  rule(['kubevirt.io'], ['virtualmachineinstances'], [...LIST_WATCH, 'create', 'delete', 'patch', 'update']),
  rule(['kubevirt.io'], ['virtualmachineinstances/status'], ['patch', 'update']),
  rule([''], ['pods'], [...LIST_WATCH, 'create', 'delete']),
  // The launcher pods' readiness gate, kubevirt.io/virtual-machine-unpaused (controller/vmi/unpaused-condition.ts).
  rule([''], ['pods/status'], ['patch']),
  rule([''], ['events'], ['create']),
  rule(['instancetype.kubevirt.io'], INSTANCETYPE_RESOURCES, READ),
  rule(['apps'], ['controllerrevisions'], [...READ, 'create', 'delete']),
  // inferFromVolume reads the labels of a volume's PVC, DataVolume or DataSource. The DataVolume
  // controller (controller/datavolume/) watches DataVolumes, writes their status, creates the
  // claims (patched to record a finished import, adopt a populated claim, or hand it over when a
  // succeeded DataVolume is garbage-collected) and the worker pods, resolves DataSources and reads
  // StorageClasses (binding mode, default class); the VM controller creates the DataVolumes of
  // spec.dataVolumeTemplates and adopts orphans by patch. Owner references that block deletion
  // need update on the owner's finalizers where OwnerReferencesPermissionEnforcement is on.
  rule([''], ['persistentvolumeclaims'], [...READ, 'create', 'delete', 'patch']),
  rule([''], ['persistentvolumeclaims/finalizers'], ['update']),
  rule(['cdi.kubevirt.io'], ['datavolumes'], [...READ, 'create', 'delete', 'patch']),
  rule(['cdi.kubevirt.io'], ['datavolumes/status', 'datavolumes/finalizers'], ['update']),
  // DataSources: read for sourceRef; their status (no subresource) written by update.
  rule(['cdi.kubevirt.io'], ['datasources'], [...READ, 'update']),
  // The DataVolumes of a VM's dataVolumeTemplates may clone from another namespace: admission
  // authorized the VM's ServiceAccount; the controller creates them as KubeVirt's does, with the
  // right to clone from anywhere.
  rule(['cdi.kubevirt.io'], ['datavolumes/source'], ['create']),
  rule(['storage.k8s.io'], ['storageclasses'], LIST_WATCH),
  rule(['kubevirt.io'], ['virtualmachines/finalizers'], ['update']),
  // Kube-OVN's IPAM (controller/kubeovn/): it reads Subnets, IPPools and Vlans and the
  // NetworkAttachmentDefinitions of a VMI's Multus networks (is it kube-ovn?), keeps IP
  // objects, and writes the Subnets' and IPPools' address counts.
  rule(['kubeovn.io'], ['subnets', 'ippools'], ['list']),
  rule(['kubeovn.io'], ['subnets/status', 'ippools/status'], ['update']),
  rule(['kubeovn.io'], ['vlans'], ['get']),
  rule(['kubeovn.io'], ['ips'], ['list', 'create', 'update', 'delete']),
  rule(['k8s.cni.cncf.io'], ['network-attachment-definitions'], ['get']),
  // The pool and replica set controllers (controller/pool/, controller/replicaset/): they read
  // their owners, patch the pool's finalizer, write status, and set blockOwnerDeletion on the VMs
  // and VMIs they create, which needs update on the owner's finalizers where
  // OwnerReferencesPermissionEnforcement is on. They create, update, delete and patch (finalizer,
  // owner reference) VMs, and create, delete and patch (adoption) VMIs.
  rule(['pool.kubevirt.io'], ['virtualmachinepools'], [...LIST_WATCH, 'patch']),
  rule(['pool.kubevirt.io'], ['virtualmachinepools/status', 'virtualmachinepools/finalizers'], ['update']),
  rule(['kubevirt.io'], ['virtualmachineinstancereplicasets'], LIST_WATCH),
  rule(
    ['kubevirt.io'],
    ['virtualmachineinstancereplicasets/status', 'virtualmachineinstancereplicasets/finalizers'],
    ['update'],
  ),
  // Kubernetes' volume snapshots of local volumes (controller/volumesnapshot/): it watches
  // snapshots, contents and classes, patches finalizers onto snapshots (and, with the claims'
  // patch above, pvc-as-source-protection onto their claims), writes snapshot status, makes,
  // binds (patch) and deletes contents, and gets a snapshot to confirm it is gone before its
  // content goes.
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshots'], [...READ, 'patch']),
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshots/status'], ['update']),
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshotcontents'], ['list', 'watch', 'create', 'delete', 'patch']),
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshotclasses'], ['list', 'watch']),
  // KubeVirt's VM snapshots (controller/snapshot/): it watches snapshots and contents, patches
  // their finalizers, writes their status, creates and deletes contents, creates the
  // ControllerRevision copies a snapshot owns (create granted above) and the VolumeSnapshots a
  // content owns (getting one an earlier round made), both with blockOwnerDeletion; it locks the
  // source VM (virtualmachines/status update and patch, granted above) and freezes and thaws
  // the guest through the subresource API. Its snapshot API rules stand on their own, so either
  // snapshot controller can change without the other losing a verb.
  rule(['snapshot.kubevirt.io'], ['virtualmachinesnapshots'], ['list', 'watch', 'patch']),
  rule(
    ['snapshot.kubevirt.io'],
    ['virtualmachinesnapshots/status', 'virtualmachinesnapshots/finalizers'],
    ['update'],
  ),
  rule(
    ['snapshot.kubevirt.io'],
    ['virtualmachinesnapshotcontents'],
    ['list', 'watch', 'create', 'delete', 'patch'],
  ),
  rule(
    ['snapshot.kubevirt.io'],
    ['virtualmachinesnapshotcontents/status', 'virtualmachinesnapshotcontents/finalizers'],
    ['update'],
  ),
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshots'], ['get', 'list', 'watch', 'create']),
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshotclasses'], ['list', 'watch']),
  rule(
    ['subresources.kubevirt.io'],
    ['virtualmachineinstances/freeze', 'virtualmachineinstances/unfreeze'],
    ['update'],
  ),
  // KubeVirt's VM restores (controller/restore/): it watches restores, patches their finalizer
  // and owner, writes their status; it creates the restored claims and DataVolumes (granted
  // above), marks a claim for its DataVolume and deletes what a restore replaces (patch and
  // delete granted above), creates or replaces the target VM (granted above), restores the
  // instancetype and preference revisions and hands them to the VM (patch), and stops a running
  // target through the subresource API when the restore asks to.
  rule(['snapshot.kubevirt.io'], ['virtualmachinerestores'], ['list', 'watch', 'patch']),
  rule(['snapshot.kubevirt.io'], ['virtualmachinerestores/status'], ['update']),
  rule(['apps'], ['controllerrevisions'], ['patch']),
  rule(['subresources.kubevirt.io'], ['virtualmachines/stop'], ['update']),
  // KubeVirt's VM clones (controller/clone/): it watches clones, writes their status, and deletes
  // a Succeeded clone whose target VM is gone; it creates and deletes the temporary snapshot and
  // restore of each clone (watched above), owned by the clone with blockOwnerDeletion (update on
  // the clone's finalizers).
  rule(['clone.kubevirt.io'], ['virtualmachineclones'], ['list', 'watch', 'delete']),
  rule(['clone.kubevirt.io'], ['virtualmachineclones/status', 'virtualmachineclones/finalizers'], ['update']),
  rule(['snapshot.kubevirt.io'], ['virtualmachinesnapshots', 'virtualmachinerestores'], ['create', 'delete']),
  // KubeVirt's VM exports (controller/export/): it watches exports, writes their status and
  // deletes one whose TTL has passed; it makes (with blockOwnerDeletion) the exporter pod (pods
  // granted above), its Service (watched by label), the token and TLS Secrets (reading the TLS
  // Secret back for the link's CA) and a VM's manifests ConfigMap; for the external link it reads
  // `virtkit api`'s Service and the APIService whose caBundle is that server's CA.
  rule(['export.kubevirt.io'], ['virtualmachineexports'], ['list', 'watch', 'delete']),
  rule(
    ['export.kubevirt.io'],
    ['virtualmachineexports/status', 'virtualmachineexports/finalizers'],
    ['update'],
  ),
  rule([''], ['services'], [...LIST_WATCH, 'create']),
  { apiGroups: [''], resources: ['services'], resourceNames: ['virtkit-api'], verbs: ['get'] },
  rule([''], ['secrets'], ['get', 'create']),
  rule([''], ['configmaps'], ['create']),
  rule(['apiregistration.k8s.io'], ['apiservices'], ['get']),
  // KubeVirt's live migrations (controller/migration/): it watches migrations, adds their
  // finalizer and kubevirt.io/vmi-name label by patch and writes their status; it reads the
  // cluster's migration settings (KubeVirt objects, MigrationPolicies) and, at the hand-off, the
  // labels of the VMI's namespace (a policy's namespaceSelector). The target pod, the VMI's
  // migrationState and labels, and the deletion of the target or source pod use the pod and VMI
  // verbs granted above.
  rule(['kubevirt.io'], ['virtualmachineinstancemigrations'], ['list', 'watch', 'patch']),
  // The evacuation controller (controller/migration/evacuation.ts) creates the migrations of
  // VMIs marked for evacuation, and sets or removes the descheduler's eviction-in-progress
  // annotation on their launcher pods by patch; its Events use the events rule above.
  rule(['kubevirt.io'], ['virtualmachineinstancemigrations'], ['create']),
  rule([''], ['pods'], ['patch']),
  rule(['kubevirt.io'], ['virtualmachineinstancemigrations/status'], ['update']),
  rule(['kubevirt.io'], ['kubevirts'], ['list', 'watch']),
  rule(['migrations.kubevirt.io'], ['migrationpolicies'], ['list', 'watch']),
  rule([''], ['namespaces'], ['get']),
  // Leader election.
  rule(['coordination.k8s.io'], ['leases'], ['get', 'create', 'update']),
];

/**
 * The node handler (handler/): its Node (labels, status, the endpoint annotations of its node
 * API and Kube-OVN tunnel, all by patch), the other Nodes' tunnel endpoints, its node Lease, the launcher pods of its node, the VMI status it owns, the
 * cluster's feature gates (KubeVirt objects), Events about VMIs it refuses or soft-reboots, (as
 * kubelet in local mode) the claims, secrets and config maps a launcher pod's volumes name and a
 * CDI worker pod's volumes and secretKeyRef env name (the same get, pods and pods/status verbs),
 * (as Multus in local mode) the NetworkAttachmentDefinitions a launcher pod selects and its
 * network-status annotation, as the node's local volume provisioner the claims, volumes and
 * StorageClasses it serves, and as its snapshotter the VolumeSnapshotContents of its volumes.
 */
export const HANDLER_RULES: readonly PolicyRule[] = [
  // get: its own Node (the kubelet runtime checks it exists; the process runtime's heartbeat
  // reads its conditions); create: the process runtime registers it; patch: labels, taints,
  // endpoint annotations. list and watch: the other nodes' Kube-OVN tunnel endpoints.
  rule([''], ['nodes'], ['get', 'list', 'watch', 'create', 'patch']),
  // The process runtime's node status (a strategic merge patch).
  rule([''], ['nodes/status'], ['patch']),
  // The process runtime's node Lease in kube-node-lease, written by server-side apply (a patch
  // that creates it the first time).
  rule(['coordination.k8s.io'], ['leases'], ['create', 'patch']),
  // Launcher and worker pods: informers (list, watch); the process runtime deletes a pod whose
  // processes stopped and writes Multus's network-status annotation (patch) and, as kubelet,
  // the pod's status (patch).
  rule([''], ['pods'], [...LIST_WATCH, 'delete', 'patch']),
  rule([''], ['pods/status'], ['patch']),
  rule(['k8s.cni.cncf.io'], ['network-attachment-definitions'], ['get']),
  // Kube-OVN's node half (handler/network/kubeovn/uplinks.ts): a VLAN underlay pod's
  // ProviderNetwork names the NIC its VLAN rides on, on this node. (Kube-OVN's plural is
  // provider-networks, with the dash: api/kubeovn/v1/kinds.ts.)
  rule(['kubeovn.io'], ['provider-networks'], ['get']),
  // The VMI informer; get: a launcher pod's VMI read fresh at its hand-off (handler/pods/prepare.ts).
  rule(['kubevirt.io'], ['virtualmachineinstances'], READ),
  // The status the handler owns, by JSON patch.
  rule(['kubevirt.io'], ['virtualmachineinstances/status'], ['patch']),
  // The feature gates (kube/feature-gates.ts): an informer, no get.
  rule(['kubevirt.io'], ['kubevirts'], LIST_WATCH),
  rule([''], ['events'], ['create']),
  rule([''], ['secrets', 'configmaps'], ['get']),
  // The node's local volume provisioner (handler/storage/): claims to serve, the volumes it
  // creates and deletes, the classes that name it (an informer, no get).
  rule([''], ['persistentvolumeclaims'], READ),
  rule([''], ['persistentvolumes'], [...READ, 'create', 'delete']),
  rule(['storage.k8s.io'], ['storageclasses'], LIST_WATCH),
  // The node's snapshotter (handler/storage/local-snapshots.ts): it watches contents, claims one
  // (the node annotation) and drops its finalizer by patch, and writes its status; the
  // provisioner reads the VolumeSnapshot a claim restores and its content.
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshotcontents'], [...READ, 'patch']),
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshotcontents/status'], ['update']),
  rule([VOLUME_SNAPSHOT_GROUP], ['volumesnapshots'], ['get']),
];

/**
 * `virtkit api`: admission reads the feature gates from the KubeVirt object; the VM verbs of the
 * subresource API (apiserver/subresources/vm-state-handlers.ts) read the VM and its VMI, patch
 * the VM's run strategy and its status.stateChangeRequests, and the VMI's grace period; the VMI
 * verbs that reach a node (pause, guestosinfo, console...: apiserver/subresources/node-client.ts)
 * read the VMI's Node for the endpoint its handler published. The handlers themselves are
 * called with the api's node client certificate, not through the API server. `expand-spec` and
 * `expand-vm-spec` (apiserver/subresources/expand-spec.ts) read the instancetype and preference
 * a VM names, namespaced or cluster-wide. `addvolume` / `removevolume`
 * (apiserver/subresources/volumes.ts) patch the VMI's spec, or the VM's status.volumeRequests:
 * the same get and patch. The upload proxy (apiserver/upload/proxy.ts) reads the claim a token
 * names and its upload pod (Ready, and on which node).
 */
export const API_RULES: readonly PolicyRule[] = [
  // The feature gates (kube/feature-gates.ts, an informer) and a pod eviction's cluster-wide
  // evictionStrategy (a list): no get.
  rule(['kubevirt.io'], ['kubevirts'], LIST_WATCH),
  rule(['kubevirt.io'], ['virtualmachines', 'virtualmachineinstances'], ['get', 'patch']),
  rule(['kubevirt.io'], ['virtualmachines/status'], ['patch']),
  rule([''], ['nodes'], ['get']),
  rule(['instancetype.kubevirt.io'], INSTANCETYPE_RESOURCES, ['get']),
  rule([''], ['persistentvolumeclaims', 'pods'], ['get']),
  // Admission asks whether the creator of a DataVolume (or a VM's ServiceAccount) may clone from
  // another namespace (apiserver/admission/clone-authorization.ts).
  rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
  // Admission checks a VM's fixed Kube-OVN address and IP pool against the Subnets, IPPools and
  // IP objects (apiserver/admission/kube-ovn-addresses.ts).
  rule(['kubeovn.io'], ['subnets', 'ippools', 'ips'], ['list']),
  // Admission refuses a second VirtualMachineRestore of a target while one is in progress
  // (apiserver/admission/restores-in-progress.ts).
  rule(['snapshot.kubevirt.io'], ['virtualmachinerestores'], ['list']),
  // The export proxy (apiserver/export/proxy.ts) reads the export a request names (its exporter
  // pod's node comes from the pods get above).
  rule(['export.kubevirt.io'], ['virtualmachineexports'], ['get']),
  // Admission refuses a migration of a VMI already moving (apiserver/admission/migrations.ts);
  // the `migrate` subresource creates the VirtualMachineInstanceMigration (subresources/vm-migrate.ts).
  rule(['kubevirt.io'], ['virtualmachineinstancemigrations'], ['list', 'create']),
  // Admission of pod evictions marks a VMI for evacuation (status.evacuationNodeName) before it
  // refuses the eviction of its launcher pod (apiserver/admission/pod-eviction.ts).
  rule(['kubevirt.io'], ['virtualmachineinstances/status'], ['patch']),
];

export const COMPONENT_RULES = {
  'virtkit-controller': CONTROLLER_RULES,
  'virtkit-handler': HANDLER_RULES,
  'virtkit-api': API_RULES,
} as const;

export type ComponentName = keyof typeof COMPONENT_RULES;

/** A Role that Kubernetes itself provides, bound to a component in that Role's namespace. */
export interface NamespacedRoleRef {
  readonly namespace: string;
  readonly role: string;
}

/**
 * Built-in namespaced Roles each component is bound to. `virtkit api` authenticates the
 * subresource API's callers like every aggregated API server: with the front-proxy settings
 * kube-apiserver publishes in kube-system/extension-apiserver-authentication, which the Role
 * `extension-apiserver-authentication-reader` (and nothing broader) lets it read.
 */
export const NAMESPACED_ROLES: Readonly<Record<ComponentName, readonly NamespacedRoleRef[]>> = {
  'virtkit-controller': [],
  'virtkit-handler': [],
  'virtkit-api': [{ namespace: 'kube-system', role: 'extension-apiserver-authentication-reader' }],
};

const LABELS = { 'app.kubernetes.io/part-of': 'virtkit' };

function subjectOf(subject: RbacSubject): Record<string, string> {
  return subject.kind === 'User'
    ? { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: subject.name }
    : { kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace };
}

/** The ClusterRole of one component, its binding to `subject`, and its RoleBindings to built-in Roles. */
export function componentRbac(component: ComponentName, subject: RbacSubject): Record<string, unknown>[] {
  const name = `virtkit:${component.replace(/^virtkit-/, '')}`;
  const roleBindings = NAMESPACED_ROLES[component].map((r) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${name}:${r.role}`, namespace: r.namespace, labels: LABELS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: r.role },
    subjects: [subjectOf(subject)],
  }));
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: LABELS },
      rules: COMPONENT_RULES[component].map((r) => ({ ...r })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [subjectOf(subject)],
    },
    ...roleBindings,
  ];
}

/**
 * Subresources of KubeVirt's subresource API (subresources.kubevirt.io) users act through, as
 * KubeVirt's roles grant them: GET routes need `get`, PUT routes `update`.
 */
const READ_SUBRESOURCES = [
  'virtualmachineinstances/guestosinfo',
  'virtualmachineinstances/filesystemlist',
  'virtualmachineinstances/userlist',
  'virtualmachineinstances/sev/fetchcertchain',
  'virtualmachineinstances/sev/querylaunchmeasurement',
  'virtualmachines/expand-spec',
];
const CONNECT_SUBRESOURCES = [
  'virtualmachineinstances/console',
  'virtualmachineinstances/vnc',
  'virtualmachineinstances/vnc/screenshot',
  'virtualmachineinstances/portforward',
  'virtualmachines/portforward',
];
const ACTION_SUBRESOURCES = [
  'virtualmachineinstances/pause',
  'virtualmachineinstances/unpause',
  'virtualmachineinstances/addvolume',
  'virtualmachineinstances/removevolume',
  'virtualmachineinstances/freeze',
  'virtualmachineinstances/unfreeze',
  'virtualmachineinstances/softreboot',
  'virtualmachineinstances/reset',
  'virtualmachineinstances/sev/setupsession',
  'virtualmachineinstances/sev/injectlaunchsecret',
  'virtualmachines/start',
  'virtualmachines/stop',
  'virtualmachines/restart',
  'virtualmachines/migrate',
  'virtualmachines/addvolume',
  'virtualmachines/removevolume',
  'virtualmachines/memorydump',
];

/** Namespaced virtkit resources by API group (what users create in their namespaces). */
function namespacedByGroup(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const k of virtkitKinds().filter((x) => x.scope === 'Namespaced'))
    m.set(k.group, [...(m.get(k.group) ?? []), k.plural].sort());
  return m;
}

function userRole(level: 'view' | 'edit' | 'admin'): Record<string, unknown> {
  const write = ['create', 'delete', 'patch', 'update'];
  const verbs =
    level === 'view'
      ? READ
      : level === 'edit'
        ? [...READ, ...write]
        : [...READ, ...write, 'deletecollection'];
  const rules: PolicyRule[] = [...namespacedByGroup()].map(([group, resources]) =>
    rule([group], resources, verbs),
  );
  // Cluster-wide instancetypes and preferences are what namespaced VMs refer to: readable by all.
  rules.push(
    rule(
      ['instancetype.kubevirt.io'],
      ['virtualmachineclusterinstancetypes', 'virtualmachineclusterpreferences'],
      READ,
    ),
  );
  rules.push(rule(['subresources.kubevirt.io'], READ_SUBRESOURCES, ['get']));
  // Expanding a VM given in the body reads only the instancetype and preference it names, which
  // every role may read (in its namespace, and the cluster-wide ones): every role may.
  rules.push(rule(['subresources.kubevirt.io'], ['expand-vm-spec'], ['update']));
  if (level !== 'view') {
    rules.push(rule(['subresources.kubevirt.io'], CONNECT_SUBRESOURCES, ['get']));
    rules.push(rule(['subresources.kubevirt.io'], ACTION_SUBRESOURCES, ['update']));
    // CDI's upload tokens (its admin and edit roles grant them): who may write a claim may upload to it.
    rules.push(rule(['upload.cdi.kubevirt.io'], ['uploadtokenrequests'], ['create']));
    // CDI's edit and admin roles: cloning out of this namespace (a DataVolume in another
    // namespace whose source is a claim or DataSource here) is allowed to who may edit here.
    rules.push(rule(['cdi.kubevirt.io'], ['datavolumes/source'], ['create']));
  }
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: `kubevirt.io:${level}`,
      labels: { ...LABELS, [`rbac.authorization.k8s.io/aggregate-to-${level}`]: 'true' },
    },
    rules,
  };
}

/**
 * KubeVirt's `kubevirt.io:default`: every user may read the subresource API's `version` (what
 * `virtctl version` asks) and `guestfs`, bound to system:authenticated and
 * system:unauthenticated as KubeVirt binds it (the API server still decides who is anonymous).
 */
function defaultRole(): Record<string, unknown>[] {
  const name = 'kubevirt.io:default';
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: LABELS },
      rules: [rule(['subresources.kubevirt.io'], ['version', 'guestfs'], ['get', 'list'])],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: ['system:authenticated', 'system:unauthenticated'].map((g) => ({
        kind: 'Group',
        apiGroup: 'rbac.authorization.k8s.io',
        name: g,
      })),
    },
  ];
}

/** KubeVirt's user roles, aggregated into Kubernetes' view, edit and admin, and kubevirt.io:default. */
export function userRoles(): Record<string, unknown>[] {
  return [userRole('view'), userRole('edit'), userRole('admin'), ...defaultRole()];
}

/**
 * The whereabouts IPAM plugin the handler runs for NetworkAttachmentDefinitions (its v0.9.2
 * calls): in its one namespace, it lists the IPPools (its connectivity check), gets, creates and
 * JSON-patches the IPPool of a range, gets, creates and deletes OverlappingRangeIPReservations,
 * and serialises allocations with a Lease (`whereabouts`: leader election's get, create,
 * update). NodeSlicePools are not granted: the handler refuses `node_slice_size`.
 */
export const WHEREABOUTS_RULES: readonly PolicyRule[] = [
  rule(['whereabouts.cni.cncf.io'], ['ippools'], ['get', 'list', 'create', 'patch']),
  rule(['whereabouts.cni.cncf.io'], ['overlappingrangeipreservations'], ['get', 'create', 'delete']),
  rule(['coordination.k8s.io'], ['leases'], ['get', 'create', 'update']),
];

/** The namespace whereabouts keeps its objects in (its kubeconfig's context; its DaemonSet's in a cluster). */
export const WHEREABOUTS_NAMESPACE = 'kube-system';

/** whereabouts' Role in its namespace and the binding of `subject` to it. */
export function whereaboutsRbac(subject: RbacSubject): Record<string, unknown>[] {
  const name = 'virtkit:whereabouts';
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: WHEREABOUTS_NAMESPACE, labels: LABELS },
      rules: WHEREABOUTS_RULES.map((r) => ({ ...r })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: WHEREABOUTS_NAMESPACE, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [subjectOf(subject)],
    },
  ];
}
