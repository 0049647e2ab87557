import { componentRbac, userRoles, whereaboutsRbac } from './rbac';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  subjects?: unknown[];
};
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

const role = (name: string): Obj =>
  (userRoles() as Obj[]).find((o) => o.kind === 'ClusterRole' && o.metadata.name === name)!;
const grants = (r: Obj, group: string, resource: string, verb: string): boolean =>
  (r.rules ?? []).some(
    (x) => x.apiGroups.includes(group) && x.resources.includes(resource) && x.verbs.includes(verb),
  );

test('virtkit api reads the front-proxy settings through the built-in Role in kube-system, nothing broader', () => {
  const objs = componentRbac('virtkit-api', { kind: 'User', name: 'virtkit-api' }) as Obj[];
  const rb = objs.find((o) => o.kind === 'RoleBinding');
  expect(rb).toMatchObject({
    metadata: { name: 'virtkit:api:extension-apiserver-authentication-reader', namespace: 'kube-system' },
    roleRef: { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
    subjects: [{ kind: 'User', name: 'virtkit-api' }],
  });
  expect(componentRbac('virtkit-controller', { kind: 'User', name: 'c' }).map((o) => o.kind)).toEqual([
    'ClusterRole',
    'ClusterRoleBinding',
  ]);
});

test("KubeVirt's user roles: edit may act on VMs through the subresource API, view may not", () => {
  const S = 'subresources.kubevirt.io';
  for (const [resource, verb] of [
    ['virtualmachines/start', 'update'],
    ['virtualmachines/stop', 'update'],
    ['virtualmachineinstances/console', 'get'],
    ['virtualmachineinstances/vnc/screenshot', 'get'],
    ['virtualmachines/portforward', 'get'],
  ]) {
    expect([resource, grants(role('kubevirt.io:edit'), S, resource, verb)]).toEqual([resource, true]);
    expect([resource, grants(role('kubevirt.io:admin'), S, resource, verb)]).toEqual([resource, true]);
    expect([resource, grants(role('kubevirt.io:view'), S, resource, verb)]).toEqual([resource, false]);
  }
  expect(grants(role('kubevirt.io:view'), S, 'virtualmachineinstances/guestosinfo', 'get')).toBe(true);
  expect(grants(role('kubevirt.io:default'), S, 'version', 'get')).toBe(true);
  const binding = (userRoles() as Obj[]).find((o) => o.kind === 'ClusterRoleBinding');
  expect(binding?.subjects).toEqual(
    expect.arrayContaining([expect.objectContaining({ kind: 'Group', name: 'system:authenticated' })]),
  );
});

test('whereabouts gets a Role in kube-system with only its own objects and its lock Lease', () => {
  const objs = whereaboutsRbac({ kind: 'User', name: 'virtkit-whereabouts' }) as Obj[];
  expect(objs.map((o) => [o.kind, o.metadata.namespace])).toEqual([
    ['Role', 'kube-system'],
    ['RoleBinding', 'kube-system'],
  ]);
  const r = objs[0];
  const W = 'whereabouts.cni.cncf.io';
  for (const verb of ['get', 'list', 'create', 'patch']) expect(grants(r, W, 'ippools', verb)).toBe(true);
  for (const verb of ['get', 'create', 'delete'])
    expect(grants(r, W, 'overlappingrangeipreservations', verb)).toBe(true);
  expect(grants(r, 'coordination.k8s.io', 'leases', 'update')).toBe(true);
  // Nothing it does not call: no deletes of pools, no watch, no pods, no cluster-wide role.
  expect(grants(r, W, 'ippools', 'delete')).toBe(false);
  expect(grants(r, W, 'nodeslicepools', 'get')).toBe(false);
  expect(grants(r, '', 'pods', 'list')).toBe(false);
  expect((r.rules ?? []).flatMap((x) => x.verbs)).not.toContain('*');
  expect(objs[1]).toMatchObject({
    roleRef: { kind: 'Role', name: 'virtkit:whereabouts' },
    subjects: [{ kind: 'User', name: 'virtkit-whereabouts' }],
  });
});

test('the controller may run live migrations and evacuations, and no more than that needs', () => {
  const [clusterRole] = componentRbac('virtkit-controller', { kind: 'User', name: 'c' }) as Obj[];
  const K = 'kubevirt.io';
  // Watch migrations, patch their finalizer and label, write their status.
  for (const verb of ['list', 'watch', 'patch'])
    expect([verb, grants(clusterRole, K, 'virtualmachineinstancemigrations', verb)]).toEqual([verb, true]);
  expect(grants(clusterRole, K, 'virtualmachineinstancemigrations/status', 'update')).toBe(true);
  // The settings: the KubeVirt object, the policies, and the namespace's labels at the hand-off.
  for (const verb of ['list', 'watch']) {
    expect(grants(clusterRole, K, 'kubevirts', verb)).toBe(true);
    expect(grants(clusterRole, 'migrations.kubevirt.io', 'migrationpolicies', verb)).toBe(true);
  }
  expect(grants(clusterRole, '', 'namespaces', 'get')).toBe(true);
  // The target pod, the VMI's migrationState and labels, and the pods it deletes.
  for (const verb of ['create', 'delete']) expect(grants(clusterRole, '', 'pods', verb)).toBe(true);
  expect(grants(clusterRole, K, 'virtualmachineinstances/status', 'update')).toBe(true);
  expect(grants(clusterRole, K, 'virtualmachineinstances', 'patch')).toBe(true);
  // The evacuation controller creates migrations and marks launcher pods for the descheduler.
  expect(grants(clusterRole, K, 'virtualmachineinstancemigrations', 'create')).toBe(true);
  expect(grants(clusterRole, '', 'pods', 'patch')).toBe(true);
  expect(grants(clusterRole, '', 'events', 'create')).toBe(true);
  // Users delete migrations; the controller never does, nor edits policies or namespaces.
  for (const verb of ['delete', 'update'])
    expect([verb, grants(clusterRole, K, 'virtualmachineinstancemigrations', verb)]).toEqual([verb, false]);
  for (const verb of ['create', 'update', 'patch', 'delete'])
    expect(grants(clusterRole, 'migrations.kubevirt.io', 'migrationpolicies', verb)).toBe(false);
  for (const verb of ['list', 'watch', 'patch'])
    expect(grants(clusterRole, '', 'namespaces', verb)).toBe(false);
});
