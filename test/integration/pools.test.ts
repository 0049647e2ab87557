/**
 * The pool and replica set controllers against the real kube-apiserver of the integration run
 * (with its kube-controller-manager, so garbage collection is real), driven with `kubectl scale`
 * through the CRDs' scale subresource as users drive them:
 *  - a VirtualMachinePool of 3 makes VMs web-0..2 owned by it; scaled to 5 it adds web-3 and
 *    web-4, scaled to 1 it keeps web-0 (DescendingOrder scale-in); status.replicas and
 *    status.labelSelector follow, and `kubectl get vmpool` / `kubectl scale` find it by short name;
 *  - a changed template reaches the members (their spec is rewritten);
 *  - a VirtualMachineInstanceReplicaSet of 2 scales to 4 and to 1 the same way (`vmirs`);
 *  - deleting the pool garbage-collects its VMs; deleting the replica set its VMIs.
 *
 * No handler runs: VMIs stay Scheduling (their pods have a nodeSelector no node carries), so
 * readyReplicas stays 0 here; the end-to-end suites see members become Ready.
 */
import { randomBytes } from 'crypto';
import { ControllerManager } from '../../controller/manager';
import {
  applyStrict,
  createNamespace,
  deleteNamespace,
  sharedClient,
  type Json,
  type KubeClient,
} from './support/api';
import {
  objectPath,
  VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINE_POOLS,
  VIRTUAL_MACHINES,
} from '../../kube';
import { createLogger } from '../../common/log';
import { eventually as waitFor } from './support/eventually';
import { kubectl } from './support/kubectl';
import { readShared } from './support/shared-controlplane';

const ns = `pools-${randomBytes(3).toString('hex')}`;
const logs: string[] = [];
let client: KubeClient;
let manager: ControllerManager;

/** Wait for `probe`; a timeout shows the controller's last log lines. */
function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, probe, { context: () => `controller log:\n${logs.slice(-20).join('\n')}` });
}

/** Wait until the object is gone (finalizers done, garbage collected). */
async function gone(rt: typeof VIRTUAL_MACHINES, name: string): Promise<void> {
  await eventually(`${rt.kind} ${name} gone`, async () =>
    (await client.getIfExists(rt, ns, name)) ? undefined : true,
  );
}

type Obj = Json & { metadata: Json & { name: string; ownerReferences?: Json[]; deletionTimestamp?: string } };

async function list(rt: typeof VIRTUAL_MACHINES, labelSelector: string): Promise<Obj[]> {
  return (await client.list<Obj>(rt, ns, { labelSelector })).items;
}

const live = (items: Obj[]): Obj[] => items.filter((o) => !o.metadata.deletionTimestamp);
const names = (items: Obj[]): string[] => items.map((o) => o.metadata.name).sort();

/** Wait until exactly `want` (sorted) are the names of the live objects. */
async function namesAre(rt: typeof VIRTUAL_MACHINES, selector: string, want: string[]): Promise<Obj[]> {
  return eventually(`${rt.kind}s ${want.join(', ')}`, async () => {
    const items = await list(rt, selector);
    return names(items).join() === [...want].sort().join() && live(items).length === want.length
      ? items
      : undefined;
  });
}

async function countIs(rt: typeof VIRTUAL_MACHINES, selector: string, want: number): Promise<Obj[]> {
  return eventually(`${want} ${rt.kind}s`, async () => {
    const items = await list(rt, selector);
    return items.length === want && live(items).length === want ? items : undefined;
  });
}

async function statusOf(
  rt: typeof VIRTUAL_MACHINES,
  name: string,
  want: (s: Json) => boolean,
): Promise<Json> {
  return eventually(`${rt.kind} ${name} status`, async () => {
    const o = await client.get<Json>(rt, ns, name);
    const s = (o.status ?? {}) as Json;
    return want(s) ? s : undefined;
  });
}

function scale(resource: string, replicas: number): void {
  const res = kubectl(['scale', resource, `--replicas=${replicas}`, '-n', ns]);
  if (res.status !== 0) throw new Error(`kubectl scale ${resource} failed: ${res.stderr}`);
}

const vmiSpec = (): Json => ({
  // No node carries this label: pods stay unscheduled even if another suite registers a Node.
  nodeSelector: { 'virtkit.io/it-node': `none-${ns}` },
  terminationGracePeriodSeconds: 0,
  domain: { memory: { guest: '64Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
  volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'shared-root' } }],
});

function poolManifest(replicas: number, memory = '64Mi'): Json {
  const spec = vmiSpec();
  (spec.domain as Json).memory = { guest: memory };
  return {
    apiVersion: 'pool.kubevirt.io/v1beta1',
    kind: 'VirtualMachinePool',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'pool-web' } },
      scaleInStrategy: { proactive: { selectionPolicy: { sortPolicy: 'DescendingOrder' } } },
      virtualMachineTemplate: {
        metadata: { labels: { app: 'pool-web' } },
        spec: {
          runStrategy: 'Halted',
          template: { metadata: { labels: { app: 'pool-web' } }, spec },
        },
      },
    },
  };
}

beforeAll(async () => {
  client = await sharedClient();
  await createNamespace(client, ns);
  manager = await ControllerManager.create({
    connection: { kubeconfig: readShared().kubeconfig },
    namespace: ns,
    log: createLogger({
      component: 'virtkit-controller',
      destination: { write: (line: string) => void logs.push(line) },
    }),
  });
  await manager.start();
});

afterAll(async () => {
  // The pool's finalizer needs the controller: delete what is left before stopping it.
  await client.delete(VIRTUAL_MACHINE_POOLS, ns, 'web').catch(() => undefined);
  await gone(VIRTUAL_MACHINE_POOLS, 'web').catch(() => undefined);
  await manager?.stop();
  await deleteNamespace(client, ns);
});

describe('VirtualMachinePool', () => {
  const selector = 'app=pool-web';

  test('a pool of 3 makes web-0..2, owned by the pool, with the pool finalizer and revision label', async () => {
    await applyStrict(client, poolManifest(3));
    const vms = await namesAre(VIRTUAL_MACHINES, selector, ['web-0', 'web-1', 'web-2']);
    const pool = await client.get<Obj>(VIRTUAL_MACHINE_POOLS, ns, 'web');
    for (const vm of vms) {
      expect(vm.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'pool.kubevirt.io/v1beta1',
          kind: 'VirtualMachinePool',
          name: 'web',
          uid: pool.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(vm.metadata.finalizers).toContain('pool.kubevirt.io/finalizer');
      expect((vm.metadata.labels as Json)['kubevirt.io/vm-pool-revision-name']).toMatch(/^web-\d+$/);
    }
    const status = await statusOf(VIRTUAL_MACHINE_POOLS, 'web', (s) => s.replicas === 3);
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 0, labelSelector: 'app=pool-web' });
    const fresh = await client.get<Obj>(VIRTUAL_MACHINE_POOLS, ns, 'web');
    expect(fresh.metadata.finalizers).toContain('pool.kubevirt.io/finalizer');
  });

  test('`kubectl scale vmpool/web --replicas=5` adds web-3 and web-4', async () => {
    const got = kubectl(['get', 'vmpool', 'web', '-n', ns, '-o', 'name']);
    expect(got.stdout.trim()).toBe('virtualmachinepool.pool.kubevirt.io/web');
    scale('vmpool/web', 5);
    await namesAre(VIRTUAL_MACHINES, selector, ['web-0', 'web-1', 'web-2', 'web-3', 'web-4']);
    await statusOf(VIRTUAL_MACHINE_POOLS, 'web', (s) => s.replicas === 5);
    // The scale subresource reads status.replicas and status.labelSelector.
    const scaleObj = await client.getPath<Json>(objectPath(VIRTUAL_MACHINE_POOLS, ns, 'web', 'scale'));
    expect(scaleObj.spec).toEqual({ replicas: 5 });
    expect(scaleObj.status).toEqual({ replicas: 5, selector: 'app=pool-web' });
  });

  test('`--replicas=1` removes the highest indexes first (DescendingOrder) and keeps web-0', async () => {
    scale('vmpool/web', 1);
    await namesAre(VIRTUAL_MACHINES, selector, ['web-0']);
    await statusOf(VIRTUAL_MACHINE_POOLS, 'web', (s) => s.replicas === 1);
  });

  test('a member deleted by hand comes back under its own name', async () => {
    scale('vmpool/web', 2);
    await namesAre(VIRTUAL_MACHINES, selector, ['web-0', 'web-1']);
    const before = await client.get<Obj>(VIRTUAL_MACHINES, ns, 'web-1');
    await client.delete(VIRTUAL_MACHINES, ns, 'web-1');
    await eventually('web-1 replaced', async () => {
      const vm = await client.getIfExists<Obj>(VIRTUAL_MACHINES, ns, 'web-1');
      return vm && vm.metadata.uid !== before.metadata.uid && !vm.metadata.deletionTimestamp ? vm : undefined;
    });
  });

  test('a changed template reaches the members', async () => {
    await applyStrict(client, poolManifest(2, '96Mi'));
    await eventually('members with 96Mi', async () => {
      const vms = await list(VIRTUAL_MACHINES, selector);
      const mem = vms.map(
        (vm) => ((((vm.spec as Json).template as Json).spec as Json).domain as Json).memory as Json,
      );
      return vms.length === 2 && mem.every((m) => m.guest === '96Mi') ? true : undefined;
    });
  });

  test('with the proactive update strategy (the default) a running member restarts with the new template', async () => {
    const live = poolManifest(1);
    (live.metadata as Json).name = 'live';
    const spec = live.spec as Json;
    spec.selector = { matchLabels: { app: 'pool-live' } };
    const tmpl = spec.virtualMachineTemplate as Json;
    tmpl.metadata = { labels: { app: 'pool-live' } };
    const vmSpec = tmpl.spec as Json;
    vmSpec.runStrategy = 'Always';
    (vmSpec.template as Json).metadata = { labels: { app: 'pool-live' } };
    await applyStrict(client, live);
    const first = await eventually('VMI live-0', async () =>
      client.getIfExists<Obj>(VIRTUAL_MACHINE_INSTANCES, ns, 'live-0'),
    );
    const firstRevision = (first.metadata.labels as Json)['kubevirt.io/vm-pool-revision-name'];
    expect(firstRevision).toMatch(/^live-\d+$/);
    const domain = (((vmSpec.template as Json).spec as Json).domain ?? {}) as Json;
    domain.memory = { guest: '80Mi' };
    await applyStrict(client, live);
    const second = await eventually('VMI live-0 restarted with 80Mi', async () => {
      const vmi = await client.getIfExists<Obj>(VIRTUAL_MACHINE_INSTANCES, ns, 'live-0');
      const mem = ((vmi?.spec as Json | undefined)?.domain as Json | undefined)?.memory as Json | undefined;
      return vmi && vmi.metadata.uid !== first.metadata.uid && mem?.guest === '80Mi' ? vmi : undefined;
    });
    expect((second.metadata.labels as Json)['kubevirt.io/vm-pool-revision-name']).not.toBe(firstRevision);
    await client.delete(VIRTUAL_MACHINE_POOLS, ns, 'live');
    await countIs(VIRTUAL_MACHINES, 'app=pool-live', 0);
  });

  test('deleting the pool garbage-collects its VMs', async () => {
    await client.delete(VIRTUAL_MACHINE_POOLS, ns, 'web');
    await countIs(VIRTUAL_MACHINES, selector, 0);
    await gone(VIRTUAL_MACHINE_POOLS, 'web');
  });

  test('a pool whose selector misses its template says so in ReplicaFailure and creates nothing', async () => {
    const bad = poolManifest(2);
    (bad.metadata as Json).name = 'bad';
    (bad.spec as Json).selector = { matchLabels: { app: 'elsewhere' } };
    await client.create(VIRTUAL_MACHINE_POOLS, ns, bad);
    const s = await statusOf(VIRTUAL_MACHINE_POOLS, 'bad', (st) =>
      ((st.conditions as Json[] | undefined) ?? []).some((c) => c.type === 'ReplicaFailure'),
    );
    const failure = (s.conditions as Json[]).find((c) => c.type === 'ReplicaFailure') as Json;
    expect(failure.message).toMatch(/spec\.selector/);
    expect(await list(VIRTUAL_MACHINES, 'app=elsewhere')).toEqual([]);
    await client.delete(VIRTUAL_MACHINE_POOLS, ns, 'bad');
    await gone(VIRTUAL_MACHINE_POOLS, 'bad');
  });
});

describe('VirtualMachineInstanceReplicaSet', () => {
  const selector = 'app=rs-web';
  const manifest = (replicas: number): Json => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceReplicaSet',
    metadata: { name: 'fleet', namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'rs-web' } },
      template: { metadata: { labels: { app: 'rs-web' } }, spec: vmiSpec() },
    },
  });

  test('a replica set of 2 makes 2 VMIs named from its name, owned by it', async () => {
    await applyStrict(client, manifest(2));
    const vmis = await countIs(VIRTUAL_MACHINE_INSTANCES, selector, 2);
    const rs = await client.get<Obj>(VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS, ns, 'fleet');
    for (const vmi of vmis) {
      expect(vmi.metadata.name).toMatch(/^fleet[a-z0-9]{5}$/);
      expect(vmi.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceReplicaSet',
          name: 'fleet',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const status = await statusOf(VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS, 'fleet', (s) => s.replicas === 2);
    expect(status).toMatchObject({ replicas: 2, readyReplicas: 0, labelSelector: 'app=rs-web' });
  });

  test('`kubectl scale vmirs/fleet` to 4 and to 1', async () => {
    scale('vmirs/fleet', 4);
    await countIs(VIRTUAL_MACHINE_INSTANCES, selector, 4);
    await statusOf(VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS, 'fleet', (s) => s.replicas === 4);
    scale('vmirs/fleet', 1);
    await countIs(VIRTUAL_MACHINE_INSTANCES, selector, 1);
    await statusOf(VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS, 'fleet', (s) => s.replicas === 1);
  });

  test('paused, it neither adds nor removes VMIs and says ReplicaPaused', async () => {
    await applyStrict(client, { ...manifest(1), spec: { ...(manifest(1).spec as Json), paused: true } });
    const s = await statusOf(VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS, 'fleet', (st) =>
      ((st.conditions as Json[] | undefined) ?? []).some((c) => c.type === 'ReplicaPaused'),
    );
    expect((s.conditions as Json[]).find((c) => c.type === 'ReplicaPaused')).toMatchObject({
      status: 'True',
      reason: 'Paused',
    });
    scale('vmirs/fleet', 3);
    await new Promise((r) => setTimeout(r, 2000));
    expect(live(await list(VIRTUAL_MACHINE_INSTANCES, selector))).toHaveLength(1);
    await applyStrict(client, manifest(3));
    await countIs(VIRTUAL_MACHINE_INSTANCES, selector, 3);
  });

  test('deleting the replica set garbage-collects its VMIs', async () => {
    await client.delete(VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS, ns, 'fleet');
    await countIs(VIRTUAL_MACHINE_INSTANCES, selector, 0);
  });
});
