/**
 * The controller against the real kube-apiserver of the integration run (no handler, no
 * kubelet): VMs become VMIs and launcher pods with KubeVirt's labels, owners and resources;
 * run strategies and start/stop requests act as KubeVirt's; a restarted controller makes no
 * duplicates; a standby does nothing while another instance holds the Lease.
 *
 * What needs the handler (phase Running, Ready=True, guest boot, graceful shutdown) is not
 * tested here; docs/controller.md lists the end-to-end tests the handler adds. Without a
 * kubelet, a pod bound to a node never terminates by itself: the test that binds one deletes
 * it with gracePeriodSeconds 0, as kubelet would confirm the termination.
 */
import { randomBytes } from 'crypto';
import * as http from 'http';
import { ControllerManager } from '../../controller/manager';
import { memoryOverhead } from '../../api/sizing';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import {
  applyStrict,
  createNamespace,
  deleteNamespace,
  sharedClient,
  type Json,
  type KubeClient,
} from './support/api';
import { EVENTS, KUBEVIRTS, LEASES, PODS, VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube';
import { createLogger } from '../../common/log';
import { readShared } from './support/shared-controlplane';

const ns = `ctl-${randomBytes(3).toString('hex')}`;
const logs: string[] = [];
const managers: ControllerManager[] = [];
let client: KubeClient;

async function startController(
  extra: Partial<Parameters<typeof ControllerManager.create>[0]> = {},
): Promise<ControllerManager> {
  const m = await ControllerManager.create({
    connection: { kubeconfig: readShared().kubeconfig },
    namespace: ns,
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    log: createLogger({
      component: 'virtkit-controller',
      destination: { write: (line: string) => void logs.push(line) },
    }),
    ...extra,
  });
  managers.push(m);
  await m.start();
  return m;
}

async function stopController(m: ControllerManager): Promise<void> {
  await m.stop();
  managers.splice(managers.indexOf(m), 1);
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}\ncontroller log:\n${logs.slice(-20).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function getOrUndefined(rt: typeof VIRTUAL_MACHINES, name: string): Promise<Json | undefined> {
  return client.getIfExists(rt, ns, name);
}

async function podsOf(vmiUid: string): Promise<Json[]> {
  return (await client.list(PODS, ns, { labelSelector: `kubevirt.io/created-by=${vmiUid}` })).items;
}

function vmManifest(name: string, runStrategy: string): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: ns },
    spec: {
      runStrategy,
      template: {
        metadata: {
          labels: { 'kubevirt.io/vm': name, app: 'controller-it' },
          annotations: { 'example.org/note': 'from-template' },
        },
        spec: {
          // No node carries this label: pods stay unscheduled even if another suite registers a Node.
          nodeSelector: { 'virtkit.io/it-node': `none-${ns}` },
          terminationGracePeriodSeconds: 10,
          domain: {
            cpu: { cores: 2 },
            memory: { guest: '128Mi' },
            devices: { disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }] },
          },
          volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: `${name}-root` } }],
        },
      },
    },
  };
}

const status = (o: Json | undefined): Json => (o?.status ?? {}) as Json;
const meta = (o: Json | undefined): Json => (o?.metadata ?? {}) as Json;

async function vmStatusIs(name: string, printable: string): Promise<Json> {
  return eventually(`VM ${name} printableStatus ${printable}`, async () => {
    const vm = await getOrUndefined(VIRTUAL_MACHINES, `${name}`);
    return status(vm).printableStatus === printable ? vm : undefined;
  });
}

async function patchStatus(name: string, body: Json): Promise<void> {
  await client.mergePatch(VIRTUAL_MACHINES, ns, name, body, { subresource: 'status' });
}

beforeAll(async () => {
  client = await sharedClient();
  await createNamespace(client, ns);
});

afterAll(async () => {
  for (const m of [...managers]) await m.stop();
  await deleteNamespace(client, ns);
});

describe('virtkit controller on a real kube-apiserver', () => {
  let controller: ControllerManager;
  let vmiUid = '';

  test('runStrategy Always: the VMI and its launcher pod appear with KubeVirt labels, owners and resources', async () => {
    controller = await startController();
    await applyStrict(client, vmManifest('vm1', 'Always'));
    const vm = await eventually('VM vm1 with its finalizer', async () => {
      const o = await getOrUndefined(VIRTUAL_MACHINES, `vm1`);
      return (meta(o).finalizers as string[] | undefined)?.includes(
        'kubevirt.io/virtualMachineControllerFinalize',
      )
        ? o
        : undefined;
    });
    const vmi = await eventually('VMI vm1', () => getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm1`));
    vmiUid = String(meta(vmi).uid);
    expect(meta(vmi).ownerReferences).toEqual([
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        name: 'vm1',
        uid: meta(vm).uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(meta(vmi).labels).toMatchObject({ 'kubevirt.io/vm': 'vm1', app: 'controller-it' });
    expect(meta(vmi).annotations).toMatchObject({
      'example.org/note': 'from-template',
      'kubevirt.io/vm-generation': '1',
    });
    expect(meta(vmi).finalizers).toEqual(
      expect.arrayContaining(['kubevirt.io/virtualMachineControllerFinalize']),
    );

    const pods = await eventually('the launcher pod', async () => {
      const p = await podsOf(vmiUid);
      return p.length ? p : undefined;
    });
    expect(pods).toHaveLength(1);
    const pod = pods[0];
    const podSpec = pod.spec as Json;
    expect(String(meta(pod).name)).toMatch(/^virt-launcher-vm1-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(meta(pod).labels).toMatchObject({
      'kubevirt.io': 'virt-launcher',
      'kubevirt.io/created-by': vmiUid,
      'vm.kubevirt.io/name': 'vm1',
      'kubevirt.io/domain': 'vm1',
      'kubevirt.io/vm': 'vm1',
    });
    expect(meta(pod).annotations).toMatchObject({ 'kubevirt.io/domain': 'vm1' });
    const embedded = JSON.parse(
      String((meta(pod).annotations as Json)['virtkit.io/vmi']),
    ) as VirtualMachineInstance;
    expect(embedded.metadata?.uid).toBe(vmiUid);
    expect(meta(pod).ownerReferences).toEqual([
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        name: 'vm1',
        uid: vmiUid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(podSpec.restartPolicy).toBe('Never');
    expect(podSpec.terminationGracePeriodSeconds).toBe(40);
    expect(podSpec.nodeSelector).toEqual({
      'virtkit.io/it-node': `none-${ns}`,
      'kubevirt.io/schedulable': 'true',
    });
    const compute = (podSpec.containers as Json[]).find((c) => c.name === 'compute') as Json;
    expect(compute.command).toEqual(['virtkit', 'launcher']);
    const expectedMemory = 128 * 2 ** 20 + memoryOverhead(embedded.spec);
    // KubeVirt's devices: tun always, kvm unless a KubeVirt object allows software emulation (none here).
    expect(compute.resources).toEqual({
      requests: {
        memory: String(expectedMemory),
        cpu: '200m',
        'devices.kubevirt.io/tun': '1',
        'devices.kubevirt.io/kvm': '1',
      },
      limits: { 'devices.kubevirt.io/tun': '1', 'devices.kubevirt.io/kvm': '1' },
    });
    expect(podSpec.volumes).toEqual(
      expect.arrayContaining([{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'vm1-root' } }]),
    );

    // No node matches: the scheduler says Unschedulable and the VM shows it.
    const vmNow = await vmStatusIs('vm1', 'ErrorUnschedulable');
    expect(status(vmNow)).toMatchObject({
      created: true,
      ready: false,
      runStrategy: 'Always',
      desiredGeneration: 1,
      observedGeneration: 1,
    });
    const vmiNow = await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm1`);
    expect(status(vmiNow).phase).toBe('Scheduling');
    expect((status(vmiNow).phaseTransitionTimestamps as Json[]).map((t) => t.phase)).toEqual([
      'Pending',
      'Scheduling',
    ]);
    expect(meta(vmiNow).finalizers).toEqual(expect.arrayContaining(['foregroundDeleteVirtualMachine']));

    const events = (await client.list(EVENTS, ns)).items;
    const reasons = events.map((e) => `${(e.involvedObject as Json).kind}/${e.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining(['VirtualMachine/SuccessfulCreate', 'VirtualMachineInstance/SuccessfulCreate']),
    );
  });

  test('metrics use KubeVirt names', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${controller.metricsPort}/metrics`, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    expect(text).toMatch(/kubevirt_vmi_phase_count\{[^}]*phase="scheduling"[^}]*\} 1/);
    expect(text).toMatch(/kubevirt_number_of_vms\{namespace="[^"]+"\} 1/);
    expect(text).toContain('kubevirt_vmi_phase_transition_time_from_creation_seconds_bucket');
    expect(text).toMatch(/kubevirt_workqueue_adds_total\{name="virt-controller-vm"\} [1-9]/);
  });

  test('patching to Halted deletes the VMI and its pod; the VM reads Stopped', async () => {
    await client.mergePatch(VIRTUAL_MACHINES, ns, 'vm1', { spec: { runStrategy: 'Halted' } });
    await eventually('VMI vm1 gone', async () =>
      (await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm1`)) ? undefined : true,
    );
    // An unscheduled pod is removed by the API server as soon as it is deleted.
    await eventually('launcher pod gone', async () =>
      (await podsOf(vmiUid)).length === 0 ? true : undefined,
    );
    const vm = await vmStatusIs('vm1', 'Stopped');
    expect(status(vm)).toMatchObject({ created: false, ready: false, runStrategy: 'Halted' });
    expect((status(vm).conditions as Json[]).find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'VMINotExists',
    });
  });

  test('a KubeVirt object with developerConfiguration.useEmulation: the next launcher pod asks for no kvm device; without it again, the one after does', async () => {
    const resourcesOfNewPod = async (name: string): Promise<Record<string, Record<string, string>>> => {
      await applyStrict(client, vmManifest(name, 'Always'));
      const vmi = await eventually(`VMI ${name}`, () => getOrUndefined(VIRTUAL_MACHINE_INSTANCES, name));
      const pod = await eventually(
        `the launcher pod of ${name}`,
        async () => (await podsOf(String(meta(vmi).uid)))[0],
      );
      const compute = ((pod.spec as Json).containers as Json[]).find((c) => c.name === 'compute') as Json;
      await client.delete(VIRTUAL_MACHINES, ns, name);
      return compute.resources as Record<string, Record<string, string>>;
    };
    await client.create(KUBEVIRTS, ns, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'KubeVirt',
      metadata: { name: 'emulation', namespace: ns },
      spec: { configuration: { developerConfiguration: { useEmulation: true } } },
    });
    try {
      // The controller's informer sees the object first (the next pod is rendered with it).
      await eventually('the controller to read useEmulation', async () => {
        const r = await resourcesOfNewPod(`emu-${randomBytes(2).toString('hex')}`);
        return r.requests['devices.kubevirt.io/kvm'] === undefined ? r : undefined;
      }).then((r) => {
        expect(r.limits['devices.kubevirt.io/kvm']).toBeUndefined();
        expect(r.requests['devices.kubevirt.io/tun']).toBe('1');
      });
    } finally {
      await client.delete(KUBEVIRTS, ns, 'emulation');
    }
    const again = await eventually('kvm asked for again', async () => {
      const r = await resourcesOfNewPod(`kvm-${randomBytes(2).toString('hex')}`);
      return r.requests['devices.kubevirt.io/kvm'] === '1' ? r : undefined;
    });
    expect(again.limits['devices.kubevirt.io/kvm']).toBe('1');
  });

  test('runStrategy Manual: nothing starts by itself; Start and Stop requests are obeyed and cleared', async () => {
    await applyStrict(client, vmManifest('vm2', 'Manual'));
    await vmStatusIs('vm2', 'Stopped');
    expect(await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm2`)).toBeUndefined();

    await patchStatus('vm2', { status: { stateChangeRequests: [{ action: 'Start' }] } });
    const vmi = await eventually('VMI vm2', () => getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm2`));
    const vm = await eventually('start request cleared', async () => {
      const o = await getOrUndefined(VIRTUAL_MACHINES, `vm2`);
      return status(o).stateChangeRequests === undefined && status(o).created === true ? o : undefined;
    });
    expect(status(vm).runStrategy).toBe('Manual');

    await patchStatus('vm2', { status: { stateChangeRequests: [{ action: 'Stop', uid: meta(vmi).uid }] } });
    await eventually('VMI vm2 gone', async () =>
      (await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm2`)) ? undefined : true,
    );
    const stopped = await vmStatusIs('vm2', 'Stopped');
    expect(status(stopped).stateChangeRequests).toBeUndefined();
  });

  test('a pod bound to a node moves the VMI to Scheduled with nodeName and activePods', async () => {
    await applyStrict(client, vmManifest('vm-bind', 'Once'));
    const vmi = await eventually('VMI vm-bind', () => getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm-bind`));
    const [pod] = await eventually('its pod', async () => {
      const p = await podsOf(String(meta(vmi).uid));
      return p.length ? p : undefined;
    });
    const podName = String(meta(pod).name);
    // What kube-scheduler does when it places a pod (the node need not exist for the binding).
    await client.createSubresource(PODS, ns, podName, 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: podName },
      target: { apiVersion: 'v1', kind: 'Node', name: 'it-node-a' },
    });
    const scheduled = await eventually('VMI Scheduled', async () => {
      const o = await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm-bind`);
      return status(o).phase === 'Scheduled' ? o : undefined;
    });
    expect(status(scheduled)).toMatchObject({
      nodeName: 'it-node-a',
      activePods: { [String(meta(pod).uid)]: 'it-node-a' },
    });
    expect(meta(scheduled).labels).toMatchObject({ 'kubevirt.io/nodeName': 'it-node-a' });
    await vmStatusIs('vm-bind', 'Starting');

    // Without a kubelet the bound pod would never finish terminating: remove it as kubelet would.
    await client.delete(PODS, ns, podName, { gracePeriodSeconds: 0 });
    const failed = await eventually('VMI Failed after its pod vanished', async () => {
      const o = await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm-bind`);
      return status(o).phase === 'Failed' ? o : undefined;
    });
    expect(status(failed).reason).toBe('PodVanished');
    // Once: a failed run is not restarted; the failure before Running counts as a failed start.
    const vm = await vmStatusIs('vm-bind', 'CrashLoopBackOff');
    expect(status(vm).startFailure).toMatchObject({
      consecutiveFailCount: 1,
      lastFailedVMIUID: meta(vmi).uid,
    });
    const after = await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm-bind`);
    expect(meta(after).uid).toBe(meta(vmi).uid);
  });

  test('restarting the controller mid-operation creates no duplicate VMIs or pods', async () => {
    await applyStrict(client, vmManifest('vm3', 'Always'));
    await eventually('VMI vm3', () => getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm3`));
    await stopController(controller);
    controller = await startController();
    await stopController(controller);
    controller = await startController();
    const vmi = await eventually('VMI vm3 Scheduling', async () => {
      const o = await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm3`);
      return status(o).phase === 'Scheduling' ? o : undefined;
    });
    await vmStatusIs('vm3', 'ErrorUnschedulable');
    const vmis = (await client.list(VIRTUAL_MACHINE_INSTANCES, ns)).items;
    expect(vmis.filter((v) => meta(v).name === 'vm3')).toHaveLength(1);
    expect(await podsOf(String(meta(vmi).uid))).toHaveLength(1);
    await stopController(controller);
  });

  test('a standby controller does nothing while another holds the Lease, and takes over when it is released', async () => {
    const lease = { leaderElect: true, leaseNamespace: ns, leaseName: 'virtkit-controller-it' };
    const first = await startController({ ...lease, identity: 'first' });
    await first.waitUntilLeading();
    const second = await startController({ ...lease, identity: 'second' });
    await applyStrict(client, vmManifest('vm4', 'Always'));
    await eventually('VMI vm4 (made by the leader)', () => getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm4`));
    await eventually('the standby synced its caches', async () => (second.ready ? true : undefined));
    expect(second.isLeader).toBe(false);
    expect(second.reconciles).toEqual({ vm: 0, vmi: 0 });
    const leaseObj = await client.get(LEASES, ns, 'virtkit-controller-it');
    expect((leaseObj.spec as Json).holderIdentity).toBe('first');
    expect((leaseObj.spec as Json).leaseDurationSeconds).toBe(15);

    await stopController(first);
    await second.waitUntilLeading();
    await client.mergePatch(VIRTUAL_MACHINES, ns, 'vm4', { spec: { runStrategy: 'Halted' } });
    await eventually('VMI vm4 gone (stopped by the new leader)', async () =>
      (await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, `vm4`)) ? undefined : true,
    );
    expect(second.reconciles.vm).toBeGreaterThan(0);
  });

  test('a VM stored without admission that is invalid starts nothing and says why', async () => {
    const bad = vmManifest('vm-invalid', 'Always') as { spec: { template: { spec: { volumes: Json[] } } } };
    // Its disk names a volume that does not exist: the CRD schema accepts it, KubeVirt's rules do not.
    bad.spec.template.spec.volumes = [{ name: 'other', persistentVolumeClaim: { claimName: 'x' } }];
    await client.create(VIRTUAL_MACHINES, ns, bad);
    const vm = await eventually('VM vm-invalid with a Failure condition', async () => {
      const o = await getOrUndefined(VIRTUAL_MACHINES, 'vm-invalid');
      const c = ((status(o).conditions ?? []) as Json[]).find((x) => x.type === 'Failure');
      return c?.reason === 'InvalidSpec' ? o : undefined;
    });
    const failure = ((status(vm).conditions ?? []) as Json[]).find((x) => x.type === 'Failure');
    expect(String(failure?.message)).toMatch(/disks\[0\]\.name: .*Name 'rootdisk' not found/);
    expect(await getOrUndefined(VIRTUAL_MACHINE_INSTANCES, 'vm-invalid')).toBeUndefined();
    // Events are recorded beside the status write; one Warning, not one per reconcile.
    const events = await eventually('the InvalidSpec Warning', async () => {
      const found = (await client.list(EVENTS, ns)).items.filter(
        (e) => (e.involvedObject as Json).name === 'vm-invalid' && e.reason === 'InvalidSpec',
      );
      return found.length ? found : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('Warning');
    await client.delete(VIRTUAL_MACHINES, ns, 'vm-invalid');
    await eventually('VM vm-invalid gone', async () =>
      (await getOrUndefined(VIRTUAL_MACHINES, 'vm-invalid')) ? undefined : true,
    );
  });

  test('deleting VMs removes their VMIs and pods, then the VMs themselves', async () => {
    const vms = (await client.list(VIRTUAL_MACHINES, ns)).items.map((v) => String(meta(v).name));
    expect(vms.sort()).toEqual(['vm-bind', 'vm1', 'vm2', 'vm3', 'vm4']);
    for (const name of vms) await client.delete(VIRTUAL_MACHINES, ns, name);
    await eventually('every VM gone', async () =>
      (await client.list(VIRTUAL_MACHINES, ns)).items.length === 0 ? true : undefined,
    );
    expect((await client.list(VIRTUAL_MACHINE_INSTANCES, ns)).items).toEqual([]);
    expect((await client.list(PODS, ns, { labelSelector: 'kubevirt.io=virt-launcher' })).items).toEqual([]);
  });
});
