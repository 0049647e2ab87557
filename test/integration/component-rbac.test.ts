/**
 * Issue 17: every component's RBAC is exactly what it uses. This suite shows it for the
 * controller (`virtkit controller`, run as a host process with a ServiceAccount token in a
 * kubeconfig, as a Deployment runs it): under its full ClusterRole (api/install/rbac.ts's
 * CONTROLLER_RULES) it turns ready and runs a VM's start and stop without one 403; then, for every
 * granted (verb, resource), it runs again under that role minus that one verb and sees the
 * failure a user would see: a 403 in its log naming the verb and the resource, plus the missing
 * effect (it never turns ready, exits, or leaves the VMI, pod, status or Event unwritten). Every
 * granted verb has such a case or an exemption below that says why it has none, so a verb added
 * to the role without a use (or a use without a test) fails the last test here.
 *
 * The api (`virtkit api`, API_RULES) and the handler (HANDLER_RULES) have their own suites
 * (api-rbac.test.ts, handler-rbac.test.ts).
 *
 * The controller only watches this suite's namespace (--namespace), keeps its leader Lease there
 * (--leader-elect-namespace), and runs without Kube-OVN IPAM (--no-kube-ovn-ipam), so it never
 * writes what other suites on the shared control plane own. Its role is a ClusterRole of this
 * suite's own name, never virtkit:controller (which the in-process controller suites use).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { CONTROLLER_RULES } from '../../api/install/rbac';
import { volumeSnapshotCrds } from '../../api/crd/generate';
import { installVolumeSnapshotCrds } from '../../cli/local/crds';
import {
  CLUSTER_ROLE_BINDINGS,
  CLUSTER_ROLES,
  CONTROLLER_REVISIONS,
  EVENTS,
  isServed,
  LEASES,
  PODS,
  SERVICE_ACCOUNTS,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
  VOLUME_SNAPSHOTS,
  type KubeClient,
  type ResourceType,
} from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { REPO_ROOT } from './support/examples';
import {
  forbiddenIn,
  grantsOf,
  logMessages,
  keyOf,
  RoleUnderTest,
  writeServiceAccountKubeconfig,
  type Grant,
  startComponent,
  stopComponent,
  type ComponentProcess,
} from './support/rbac-denial';

const suffix = randomBytes(3).toString('hex');
const NS = `crbac-${suffix}`;
const SA = 'virtkit-controller';
const ROLE = `virtkit-it-crbac-${suffix}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-crbac-'));
const WAIT_MS = 60_000;

/**
 * Granted verbs this suite has no denial case for, and why. Verbs of list and watch get a
 * start-up case unless listed here; every other verb needs a SCENARIO case or an entry here.
 */
const NOT_REACHED = 'used by a controller path this scenario (start and stop one VM) does not reach';
const EXEMPT: Readonly<Record<string, string>> = {
  // Reached only by other controllers' or features' paths (each covered by its own suite under the full role).
  'create virtualmachines.kubevirt.io': `${NOT_REACHED}: pools and restores create VMs`,
  'delete virtualmachines.kubevirt.io': `${NOT_REACHED}: pools scale down, restores replace a VM`,
  'update virtualmachines.kubevirt.io': `${NOT_REACHED}: pools update their VMs`,
  'patch virtualmachines/status.kubevirt.io': `${NOT_REACHED}: volume requests (addvolume) and snapshot locks`,
  'update virtualmachineinstances.kubevirt.io': `${NOT_REACHED}: replica sets`,
  'patch virtualmachineinstances/status.kubevirt.io': `${NOT_REACHED}: migrations`,
  'update virtualmachines/finalizers.kubevirt.io': `${NOT_REACHED}: blockOwnerDeletion on DataVolumes of dataVolumeTemplates`,
  'delete controllerrevisions.apps': `${NOT_REACHED}: an older start revision (a VM whose generation changed)`,
  'patch controllerrevisions.apps': `${NOT_REACHED}: restores hand revisions to the VM`,
  'get controllerrevisions.apps': `${NOT_REACHED}: a start revision that already exists`,
  'patch pods': `${NOT_REACHED}: evacuation annotations`,
  'get virtualmachineinstancetypes.instancetype.kubevirt.io': `${NOT_REACHED}: an instancetype missing from the cache`,
  'get virtualmachineclusterinstancetypes.instancetype.kubevirt.io': `${NOT_REACHED}: an instancetype missing from the cache`,
  'get virtualmachinepreferences.instancetype.kubevirt.io': `${NOT_REACHED}: a preference missing from the cache`,
  'get virtualmachineclusterpreferences.instancetype.kubevirt.io': `${NOT_REACHED}: a preference missing from the cache`,
  'get persistentvolumeclaims': `${NOT_REACHED}: inferFromVolume`,
  'create persistentvolumeclaims': `${NOT_REACHED}: DataVolumes and restores`,
  'delete persistentvolumeclaims': `${NOT_REACHED}: DataVolumes and restores`,
  'patch persistentvolumeclaims': `${NOT_REACHED}: DataVolumes and volume snapshots`,
  'update persistentvolumeclaims/finalizers': `${NOT_REACHED}: blockOwnerDeletion on claims`,
  'get datavolumes.cdi.kubevirt.io': `${NOT_REACHED}: inferFromVolume`,
  'create datavolumes.cdi.kubevirt.io': `${NOT_REACHED}: dataVolumeTemplates`,
  'delete datavolumes.cdi.kubevirt.io': `${NOT_REACHED}: dataVolumeTemplates and restores`,
  'patch datavolumes.cdi.kubevirt.io': `${NOT_REACHED}: DataVolume adoption`,
  'update datavolumes/status.cdi.kubevirt.io': `${NOT_REACHED}: the DataVolume controller`,
  'update datavolumes/finalizers.cdi.kubevirt.io': `${NOT_REACHED}: blockOwnerDeletion on worker pods`,
  'create datavolumes/source.cdi.kubevirt.io': `${NOT_REACHED}: cross-namespace clones`,
  'get datasources.cdi.kubevirt.io': `${NOT_REACHED}: inferFromVolume`,
  'update datasources.cdi.kubevirt.io': `${NOT_REACHED}: the DataSource controller`,
  'patch virtualmachinepools.pool.kubevirt.io': `${NOT_REACHED}: the pool controller`,
  'update virtualmachinepools/status.pool.kubevirt.io': `${NOT_REACHED}: the pool controller`,
  'update virtualmachinepools/finalizers.pool.kubevirt.io': `${NOT_REACHED}: the pool controller`,
  'update virtualmachineinstancereplicasets/status.kubevirt.io': `${NOT_REACHED}: the replica set controller`,
  'update virtualmachineinstancereplicasets/finalizers.kubevirt.io': `${NOT_REACHED}: the replica set controller`,
  'get volumesnapshots.snapshot.storage.k8s.io': `${NOT_REACHED}: snapshots`,
  'patch volumesnapshots.snapshot.storage.k8s.io': `${NOT_REACHED}: snapshots`,
  'create volumesnapshots.snapshot.storage.k8s.io': `${NOT_REACHED}: VM snapshots`,
  'update volumesnapshots/status.snapshot.storage.k8s.io': `${NOT_REACHED}: snapshots`,
  'create volumesnapshotcontents.snapshot.storage.k8s.io': `${NOT_REACHED}: snapshots`,
  'delete volumesnapshotcontents.snapshot.storage.k8s.io': `${NOT_REACHED}: snapshots`,
  'patch volumesnapshotcontents.snapshot.storage.k8s.io': `${NOT_REACHED}: snapshots`,
  'patch virtualmachinesnapshots.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'create virtualmachinesnapshots.snapshot.kubevirt.io': `${NOT_REACHED}: clones`,
  'delete virtualmachinesnapshots.snapshot.kubevirt.io': `${NOT_REACHED}: clones`,
  'update virtualmachinesnapshots/status.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'update virtualmachinesnapshots/finalizers.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'create virtualmachinesnapshotcontents.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'delete virtualmachinesnapshotcontents.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'patch virtualmachinesnapshotcontents.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'update virtualmachinesnapshotcontents/status.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'update virtualmachinesnapshotcontents/finalizers.snapshot.kubevirt.io': `${NOT_REACHED}: VM snapshots`,
  'update virtualmachineinstances/freeze.subresources.kubevirt.io': `${NOT_REACHED}: online snapshots (guest agent)`,
  'update virtualmachineinstances/unfreeze.subresources.kubevirt.io': `${NOT_REACHED}: online snapshots (guest agent)`,
  'patch virtualmachinerestores.snapshot.kubevirt.io': `${NOT_REACHED}: restores`,
  'create virtualmachinerestores.snapshot.kubevirt.io': `${NOT_REACHED}: clones`,
  'delete virtualmachinerestores.snapshot.kubevirt.io': `${NOT_REACHED}: clones`,
  'update virtualmachinerestores/status.snapshot.kubevirt.io': `${NOT_REACHED}: restores`,
  'update virtualmachines/stop.subresources.kubevirt.io': `${NOT_REACHED}: restores of a running target`,
  'delete virtualmachineclones.clone.kubevirt.io': `${NOT_REACHED}: clones`,
  'update virtualmachineclones/status.clone.kubevirt.io': `${NOT_REACHED}: clones`,
  'update virtualmachineclones/finalizers.clone.kubevirt.io': `${NOT_REACHED}: clones`,
  'delete virtualmachineexports.export.kubevirt.io': `${NOT_REACHED}: exports past their TTL`,
  'update virtualmachineexports/status.export.kubevirt.io': `${NOT_REACHED}: exports`,
  'update virtualmachineexports/finalizers.export.kubevirt.io': `${NOT_REACHED}: exports`,
  'create services': `${NOT_REACHED}: exports`,
  'get secrets': `${NOT_REACHED}: exports`,
  'create secrets': `${NOT_REACHED}: exports`,
  'create configmaps': `${NOT_REACHED}: exports`,
  'get services': `${NOT_REACHED}: exports' external links (virtkit-api only)`,
  'get apiservices.apiregistration.k8s.io': `${NOT_REACHED}: exports' external links`,
  'patch virtualmachineinstancemigrations.kubevirt.io': `${NOT_REACHED}: migrations`,
  'create virtualmachineinstancemigrations.kubevirt.io': `${NOT_REACHED}: evacuation`,
  'update virtualmachineinstancemigrations/status.kubevirt.io': `${NOT_REACHED}: migrations`,
  'get namespaces': `${NOT_REACHED}: migrations (a policy's namespaceSelector)`,
  'get network-attachment-definitions.k8s.cni.cncf.io': `${NOT_REACHED}: Kube-OVN IPAM of Multus networks`,
  // Kube-OVN IPAM is switched off here (--no-kube-ovn-ipam), so this suite never writes the
  // Subnets of other suites; the Kube-OVN suites run it under the full role.
  'list subnets.kubeovn.io': 'Kube-OVN IPAM is off in this suite (it would write Subnets cluster-wide)',
  'list ippools.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
  'update subnets/status.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
  'update ippools/status.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
  'get vlans.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
  'list ips.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
  'create ips.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
  'update ips.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
  'delete ips.kubeovn.io': 'Kube-OVN IPAM is off in this suite',
};

// ---------------------------------------------------------------------------------------------
// The controller process.

type Controller = ComponentProcess;

let admin: KubeClient;
let kubeconfig: string;

function startController(): Controller {
  return startComponent(
    [
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      NS,
      '--leader-elect',
      '--leader-elect-namespace',
      NS,
      '--metrics-port',
      '0',
      '--metrics-host',
      '127.0.0.1',
      '--no-kube-ovn-ipam',
      '--workers',
      '1',
    ],
    dir,
    REPO_ROOT,
  );
}

const stopController = stopComponent;

/** Every message the controller logged (its JSON lines' msg and err), quotes unescaped. */
const messages = (c: Controller): string[] => logMessages(c.output);

const tail = (c: Controller): string => `controller log:\n${c.output.split('\n').slice(-30).join('\n')}`;

/** The 403 of `g` as the controller logs it. */
const forbiddenLine = (c: Controller, g: Grant): string | undefined => forbiddenIn(c.output, g);

function waitForbidden(c: Controller, g: Grant): Promise<string> {
  return eventually(`a 403 naming ${keyOf(g)} in the controller's log`, async () => forbiddenLine(c, g), {
    timeoutMs: WAIT_MS,
    context: () => tail(c),
  });
}

function metricsPort(c: Controller): number | undefined {
  for (const l of c.output.split('\n')) {
    try {
      const o = JSON.parse(l) as Json;
      if (o.msg === 'started' && typeof o.metricsPort === 'number') return o.metricsPort;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('no answer from /readyz')));
  });
}

async function waitReady(c: Controller): Promise<void> {
  await eventually(
    'the controller to answer 200 on /readyz',
    async () => {
      const port = metricsPort(c);
      return port !== undefined && (await readyz(port)) === 200 ? true : undefined;
    },
    { timeoutMs: WAIT_MS, context: () => tail(c) },
  );
}

// ---------------------------------------------------------------------------------------------
// The role under test.

let role: RoleUnderTest;

/** The controller's role, minus `denied`; resolves once the API server's authorizer says so. */
const grant = (denied?: Grant): Promise<void> => role.grant(denied);

// ---------------------------------------------------------------------------------------------
// The scenario: a VM started (runStrategy Always) and stopped (Halted). Its launcher pod selects
// a node no one has, so it is never scheduled and no guest runs.

function vmManifest(name: string): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          nodeSelector: { 'virtkit.io/it-node': `none-${NS}` },
          domain: { memory: { guest: '64Mi' }, devices: {} },
        },
      },
    },
  };
}

interface Obj {
  status?: { printableStatus?: string; phase?: string; conditions?: { type: string; status: string }[] };
  metadata?: {
    name?: string;
    uid?: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { uid?: string }[];
  };
  involvedObject?: { name?: string };
}

const getObj = (rt: ResourceType, name: string): Promise<Obj | undefined> =>
  admin.getIfExists<Obj>(rt, NS, name);

async function launcherPods(vmi: string): Promise<Obj[]> {
  const pods = await admin.list<Obj>(PODS, NS, { labelSelector: 'kubevirt.io=virt-launcher' });
  return pods.items.filter((p) => p.metadata?.name?.startsWith(`virt-launcher-${vmi}-`));
}

async function eventsAbout(name: string): Promise<Obj[]> {
  return (await admin.list<Obj>(EVENTS, NS)).items.filter((e) => e.involvedObject?.name === name);
}

async function revisionsOf(vmUid: string): Promise<Obj[]> {
  return (await admin.list<Obj>(CONTROLLER_REVISIONS, NS)).items.filter((r) =>
    r.metadata?.ownerReferences?.some((o) => o.uid === vmUid),
  );
}

const halt = (name: string): Promise<unknown> =>
  admin.mergePatch(VIRTUAL_MACHINES, NS, name, { spec: { runStrategy: 'Halted' } });

/** Removes what a case made (finalizers first: no controller runs now) and waits for it to go. */
async function cleanUp(): Promise<void> {
  for (const rt of [VIRTUAL_MACHINES, VIRTUAL_MACHINE_INSTANCES]) {
    for (const o of (await admin.list<Obj>(rt, NS)).items) {
      const name = o.metadata?.name ?? '';
      if (o.metadata?.finalizers?.length)
        await admin.mergePatch(rt, NS, name, { metadata: { finalizers: null } }).catch(() => undefined);
      await admin.delete(rt, NS, name).catch(() => undefined);
    }
  }
  for (const rt of [PODS, CONTROLLER_REVISIONS, LEASES])
    for (const o of (await admin.list<Obj>(rt, NS)).items)
      await admin.delete(rt, NS, o.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
  await eventually(
    'the case objects to go',
    async () => {
      for (const rt of [VIRTUAL_MACHINES, VIRTUAL_MACHINE_INSTANCES, PODS, LEASES])
        if ((await admin.list(rt, NS)).items.length) return undefined;
      return true;
    },
    { timeoutMs: WAIT_MS },
  );
}

let caseNumber = 0;

/** Grants the role minus `denied`, creates a VM, runs the controller, hands both to `body`. */
async function withController(
  denied: Grant | undefined,
  body: (c: Controller, vm: string) => Promise<void>,
): Promise<void> {
  await grant(denied);
  const vm = `vm-${++caseNumber}`;
  await admin.create(VIRTUAL_MACHINES, NS, vmManifest(vm));
  const c = startController();
  try {
    await body(c, vm);
  } finally {
    await stopController(c);
    await cleanUp();
  }
}

// ---------------------------------------------------------------------------------------------
// Cases.

/** Grants whose denial produced the expected failure (the last test checks every grant). */
const shown = new Set<string>();

/**
 * The scenario's writes: with the verb denied, what stays undone (checked once the 403 is in
 * the log, so the write was tried and refused).
 */
interface ScenarioCase {
  /** The step that needs the verb: the start of the VM, or its stop after a full start. */
  readonly at: 'start' | 'stop';
  readonly effect: string;
  check(vm: string): Promise<void>;
}

async function expectNoVmi(vm: string): Promise<void> {
  expect(await getObj(VIRTUAL_MACHINE_INSTANCES, vm)).toBeUndefined();
}

const SCENARIO: Readonly<Record<string, ScenarioCase>> = {
  'patch virtualmachines.kubevirt.io': {
    at: 'start',
    effect: 'the VM gets no finalizer and no VMI is created',
    async check(vm) {
      expect((await getObj(VIRTUAL_MACHINES, vm))?.metadata?.finalizers ?? []).toEqual([]);
      await expectNoVmi(vm);
    },
  },
  'create controllerrevisions.apps': {
    at: 'start',
    effect: 'no start revision, so no VMI',
    check: expectNoVmi,
  },
  'create virtualmachineinstances.kubevirt.io': {
    at: 'start',
    effect: 'no VMI',
    check: expectNoVmi,
  },
  'update virtualmachines/status.kubevirt.io': {
    at: 'start',
    effect: 'the VMI is created but the VM status is never written',
    async check(vm) {
      await eventually('the VMI', () => getObj(VIRTUAL_MACHINE_INSTANCES, vm), { timeoutMs: WAIT_MS });
      expect((await getObj(VIRTUAL_MACHINES, vm))?.status?.printableStatus).toBeUndefined();
    },
  },
  'create pods': {
    at: 'start',
    effect: 'the VMI exists but has no launcher pod',
    async check(vm) {
      expect(await getObj(VIRTUAL_MACHINE_INSTANCES, vm)).toBeDefined();
      expect(await launcherPods(vm)).toEqual([]);
    },
  },
  'update virtualmachineinstances/status.kubevirt.io': {
    at: 'start',
    effect: 'the launcher pod is made but the VMI status (phase) is never written',
    async check(vm) {
      await eventually('the launcher pod', async () => ((await launcherPods(vm)).length ? true : undefined), {
        timeoutMs: WAIT_MS,
      });
      expect((await getObj(VIRTUAL_MACHINE_INSTANCES, vm))?.status?.phase).toBeUndefined();
    },
  },
  'patch pods/status': {
    at: 'start',
    effect:
      "the launcher pod never gets its readiness gate's condition (kubevirt.io/virtual-machine-unpaused)",
    async check(vm) {
      const pods = await launcherPods(vm);
      expect(pods.length).toBeGreaterThan(0);
      expect(pods.map(unpausedCondition)).toEqual(pods.map(() => undefined));
    },
  },
  'create events': {
    at: 'start',
    effect: 'the VM starts, but no Event about it or its VMI is recorded',
    async check(vm) {
      await eventually('the launcher pod', async () => ((await launcherPods(vm)).length ? true : undefined), {
        timeoutMs: WAIT_MS,
      });
      expect(await eventsAbout(vm)).toEqual([]);
    },
  },
  'delete virtualmachineinstances.kubevirt.io': {
    at: 'stop',
    effect: 'the halted VM keeps its VMI',
    async check(vm) {
      expect((await getObj(VIRTUAL_MACHINE_INSTANCES, vm))?.metadata?.deletionTimestamp).toBeUndefined();
    },
  },
  'delete pods': {
    at: 'stop',
    effect: "the stopping VMI's launcher pod stays",
    async check(vm) {
      const pods = await launcherPods(vm);
      expect(pods.length).toBeGreaterThan(0);
    },
  },
  // Also used at stop (the VMI's finalizers removed), but the start needs it first.
  'patch virtualmachineinstances.kubevirt.io': {
    at: 'start',
    effect: 'the VMI never gets its foreground finalizer, so no launcher pod is made',
    async check(vm) {
      expect(await getObj(VIRTUAL_MACHINE_INSTANCES, vm)).toBeDefined();
      expect(await launcherPods(vm)).toEqual([]);
    },
  },
};

/** The launcher pod's readiness gate condition, as the VMI controller writes it. */
function unpausedCondition(pod: Obj): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'kubevirt.io/virtual-machine-unpaused')?.status;
}

/** Leader election (--leader-elect, the Deployment's setting): its Lease verbs. */
const LEASE_CASES: Readonly<Record<string, string>> = {
  'get leases.coordination.k8s.io': 'it never leads, so no VMI is created',
  'create leases.coordination.k8s.io': 'it never leads, so no VMI is created',
  'update leases.coordination.k8s.io': 'it cannot renew, steps down and exits 1',
};

/** Runs the start (and stop) under the current role; asserts each effect of the full role. */
async function fullScenario(c: Controller, vm: string): Promise<void> {
  await waitReady(c);
  const vmi = await eventually('the VMI', () => getObj(VIRTUAL_MACHINE_INSTANCES, vm), {
    timeoutMs: WAIT_MS,
    context: () => tail(c),
  });
  await eventually('the launcher pod', async () => ((await launcherPods(vm)).length ? true : undefined), {
    timeoutMs: WAIT_MS,
    context: () => tail(c),
  });
  await eventually(
    "the VM status, the VMI phase, an Event, the pod's unpaused condition and the start revision",
    async () => {
      const v = await getObj(VIRTUAL_MACHINES, vm);
      const i = await getObj(VIRTUAL_MACHINE_INSTANCES, vm);
      if (!v?.status?.printableStatus || !i?.status?.phase) return undefined;
      if (!v.metadata?.finalizers?.length) return undefined;
      if (!(await eventsAbout(vm)).length) return undefined;
      // Not paused: the launcher pod's readiness gate is True.
      if (!(await launcherPods(vm)).every((p) => unpausedCondition(p) === 'True')) return undefined;
      return (await revisionsOf(v.metadata.uid ?? '')).length ? true : undefined;
    },
    { timeoutMs: WAIT_MS, context: () => tail(c) },
  );
  expect(vmi.metadata?.uid).toBeDefined();
}

async function fullStop(c: Controller, vm: string): Promise<void> {
  await halt(vm);
  await eventually(
    'the VMI and its launcher pod to go, the VM to say Stopped',
    async () => {
      if (await getObj(VIRTUAL_MACHINE_INSTANCES, vm)) return undefined;
      if ((await launcherPods(vm)).length) return undefined;
      return (await getObj(VIRTUAL_MACHINES, vm))?.status?.printableStatus === 'Stopped' ? true : undefined;
    },
    { timeoutMs: WAIT_MS, context: () => tail(c) },
  );
}

const ALL = grantsOf(CONTROLLER_RULES);

beforeAll(async () => {
  admin = await sharedClient();
  // The install's rules of the controller, in a ClusterRole of this suite's name.
  role = new RoleUnderTest(admin, { name: ROLE, namespace: NS, serviceAccount: SA, rules: CONTROLLER_RULES });
  fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
  await createNamespace(admin, NS);
  await admin.create(SERVICE_ACCOUNTS, NS, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: SA },
  });
  await admin.create(CLUSTER_ROLE_BINDINGS, undefined, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
    subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NS }],
  });
  kubeconfig = path.join(dir, 'controller.kubeconfig');
  writeServiceAccountKubeconfig(kubeconfig, NS, SA);
  // The snapshot.storage.k8s.io informers start only once the API server serves that API (it is
  // optional in a cluster): served here, as local mode serves it, so their grants are tested.
  await installVolumeSnapshotCrds(admin, volumeSnapshotCrds());
  expect(await isServed(admin, VOLUME_SNAPSHOTS)).toBe(true);
});

afterAll(async () => {
  await admin.delete(CLUSTER_ROLE_BINDINGS, undefined, ROLE).catch(() => undefined);
  await admin.delete(CLUSTER_ROLES, undefined, ROLE).catch(() => undefined);
  await cleanUp().catch(() => undefined);
  await deleteNamespace(admin, NS);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('with its full role the controller turns ready, starts and stops a VM, and is never refused', async () => {
  await withController(undefined, async (c, vm) => {
    await fullScenario(c, vm);
    await fullStop(c, vm);
    expect(messages(c).filter((m) => /forbidden|\b403\b/i.test(m))).toEqual([]);
  });
});

const startupGrants = ALL.filter((g) => (g.verb === 'list' || g.verb === 'watch') && !(keyOf(g) in EXEMPT));

describe('without a verb it lists or watches at start-up', () => {
  test.each(startupGrants.map((g) => [keyOf(g), g] as const))('%s: a 403 naming it', async (key, g) => {
    await withController(g, async (c) => {
      const line = await waitForbidden(c, g);
      expect(line).toContain(kubeconfig);
      if (g.verb === 'list') {
        // ControllerManager.checkAccess lists the main kinds and each owner controller's before
        // anything starts: a 403 there is one fatal line and exit status 1. Any other refused
        // list leaves its informer's cache empty: the controller never turns ready.
        const outcome = await eventually(
          'the controller to exit or serve /readyz',
          async () =>
            c.child.exitCode !== null ? 'exited' : metricsPort(c) !== undefined ? 'serving' : undefined,
          { timeoutMs: WAIT_MS, context: () => tail(c) },
        );
        if (outcome === 'exited') {
          expect(await c.exited).toBe(1);
          const fatal = c.output.split('\n').find((l) => l.includes('"level":"fatal"'));
          expect(fatal).toContain(`may not list ${g.group ? `${g.resource}.${g.group}` : g.resource}`);
        } else {
          expect(await readyz(metricsPort(c)!)).not.toBe(200);
        }
      }
      // A refused watch is retried with back-off and logged each time (above); readiness,
      // which follows the informers' first lists, does not show it.
    });
    shown.add(key);
  });
});

describe('without a verb the scenario writes', () => {
  test.each(Object.entries(SCENARIO).map(([k, sc]) => [k, sc.effect, sc] as const))(
    '%s: %s',
    async (key, _effect, sc) => {
      const g = ALL.find((x) => keyOf(x) === key);
      expect(g).toBeDefined();
      await withController(g, async (c, vm) => {
        if (sc.at === 'stop') {
          await fullScenario(c, vm);
          await halt(vm);
        }
        await waitForbidden(c, g!);
        await sc.check(vm);
      });
      shown.add(key);
    },
  );

  test.each(Object.entries(LEASE_CASES))('%s: %s', async (key) => {
    const g = ALL.find((x) => keyOf(x) === key)!;
    await withController(g, async (c, vm) => {
      await waitForbidden(c, g);
      if (g.verb === 'update') {
        expect(await c.exited).toBe(1);
        expect(messages(c).some((m) => m.includes('lost the leader lease'))).toBe(true);
      } else {
        await expectNoVmi(vm);
      }
    });
    shown.add(key);
  });
});

test('every granted verb was shown to be needed, or is exempt with a reason', () => {
  const scenario = new Set([...Object.keys(SCENARIO), ...Object.keys(LEASE_CASES)]);
  const granted = new Set(ALL.map(keyOf));
  // No exemption or case for a verb the role no longer grants.
  expect([...scenario, ...Object.keys(EXEMPT)].filter((k) => !granted.has(k))).toEqual([]);
  // No verb both exempt and tested.
  expect([...scenario].filter((k) => k in EXEMPT)).toEqual([]);
  // Every grant: its denial showed the failure, or it is exempt.
  expect(ALL.map(keyOf).filter((k) => !shown.has(k) && !(k in EXEMPT))).toEqual([]);
});
