/**
 * The VM controller applies instancetypes and preferences as KubeVirt does, against the real
 * kube-apiserver of the integration run (no handler: VMIs stay unscheduled, which is all this
 * needs): a VM sized by `u1.small` gets ControllerRevisions of its instancetype and preference
 * (KubeVirt's names, labels and data), status refs naming them (spec untouched), and a VMI with
 * the instancetype's CPU and memory and the preference's disk bus. The copy is taken once per VM:
 * an edited instancetype changes neither the running VMI nor the one the VM starts after a
 * stop, while a VM created after the edit gets the new sizes. A conflicting VM or a missing
 * instancetype is a Failure condition and one Event, and no VMI. A template change while the
 * VMI exists sets RestartRequired; a restart clears it.
 */
import { randomBytes } from 'crypto';
import { ControllerManager } from '../../controller/manager';
import { createLogger } from '../../common/log';
import {
  CONTROLLER_REVISIONS,
  EVENTS,
  VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from '../../kube';
import {
  applyStrict,
  createNamespace,
  deleteNamespace,
  sharedClient,
  type Json,
  type KubeClient,
} from './support/api';
import { readShared } from './support/shared-controlplane';
import { eventually as waitFor } from './support/eventually';

const suffix = randomBytes(3).toString('hex');
const ns = `itctl-${suffix}`;
const EDITED = `it-edit-${suffix}`;
const IT = 'instancetype.kubevirt.io/v1beta1';
const logs: string[] = [];
let client: KubeClient;
let controller: ControllerManager;

/** Waits for what the controller does; a timeout shows the controller's last log lines. */
function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, probe, { context: () => `controller log:\n${logs.slice(-20).join('\n')}` });
}

const get = (rt: typeof VIRTUAL_MACHINES, name: string): Promise<Json | undefined> =>
  client.getIfExists(rt, ns, name);
const meta = (o: Json | undefined): Json => (o?.metadata ?? {}) as Json;
const status = (o: Json | undefined): Json => (o?.status ?? {}) as Json;
const domain = (vmi: Json): Json => ((vmi.spec as Json).domain ?? {}) as Json;
const conditions = (vm: Json | undefined): Json[] => (status(vm).conditions ?? []) as Json[];

function vm(name: string, refs: Json, domainExtra: Json = {}): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: ns },
    spec: {
      runStrategy: 'Always',
      ...refs,
      template: {
        spec: {
          // No node carries this label: the VMI stays unscheduled, nothing else is needed here.
          nodeSelector: { 'virtkit.io/it-node': `none-${ns}` },
          domain: { devices: { disks: [{ name: 'root' }] }, ...domainExtra },
          volumes: [{ name: 'root', containerDisk: { image: 'registry.example/guest:1' } }],
        },
      },
    },
  };
}

/** A claim (never bound here: inference reads only its labels). */
function claim(name: string, labels: Record<string, string>): Json {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, labels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

/** The VM with its root volume on the claim `claimName`. */
function onClaim(manifest: Json, claimName: string): Json {
  const spec = ((manifest.spec as Json).template as Json).spec as Json;
  spec.volumes = [{ name: 'root', persistentVolumeClaim: { claimName } }];
  return manifest;
}

async function vmiOf(name: string, notUid?: string): Promise<Json> {
  return eventually(`VMI ${name}`, async () => {
    const o = await get(VIRTUAL_MACHINE_INSTANCES, name);
    return o && meta(o).uid !== notUid && !meta(o).deletionTimestamp ? o : undefined;
  });
}

async function restart(name: string): Promise<void> {
  await client.mergePatch(VIRTUAL_MACHINES, ns, name, { spec: { runStrategy: 'Halted' } });
  await eventually(`VMI ${name} gone`, async () =>
    (await get(VIRTUAL_MACHINE_INSTANCES, name)) ? undefined : true,
  );
  await client.mergePatch(VIRTUAL_MACHINES, ns, name, { spec: { runStrategy: 'Always' } });
}

beforeAll(async () => {
  client = await sharedClient();
  await createNamespace(client, ns);
  // KubeVirt's common-instancetypes u1.small (the example fleet applies the same object).
  await applyStrict(client, {
    apiVersion: IT,
    kind: 'VirtualMachineClusterInstancetype',
    metadata: { name: 'u1.small' },
    spec: { cpu: { guest: 1 }, memory: { guest: '2Gi' } },
  });
  await applyStrict(client, {
    apiVersion: IT,
    kind: 'VirtualMachineClusterInstancetype',
    metadata: { name: EDITED },
    spec: { cpu: { guest: 1 }, memory: { guest: '128Mi' } },
  });
  await applyStrict(client, {
    apiVersion: IT,
    kind: 'VirtualMachinePreference',
    metadata: { name: 'linux', namespace: ns },
    spec: { devices: { preferredDiskBus: 'virtio' } },
  });
  controller = await ControllerManager.create({
    connection: { kubeconfig: readShared().kubeconfig },
    namespace: ns,
    log: createLogger({
      component: 'virtkit-controller',
      destination: { write: (line: string) => void logs.push(line) },
    }),
  });
  await controller.start();
});

afterAll(async () => {
  await controller?.stop();
  await deleteNamespace(client, ns);
  await client.delete(VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES, undefined, EDITED).catch(() => undefined);
});

describe('instancetypes and preferences applied by the VM controller', () => {
  test('u1.small and a preference: ControllerRevisions, status refs (spec untouched), and a VMI of 1 vCPU / 2Gi', async () => {
    const refs = {
      instancetype: { name: 'u1.small' },
      preference: { name: 'linux', kind: 'VirtualMachinePreference' },
    };
    await applyStrict(client, vm('sized', refs));
    const vmi = await vmiOf('sized');
    const cpu = domain(vmi).cpu as { sockets: number; cores: number; threads: number };
    expect(cpu.sockets * cpu.cores * cpu.threads).toBe(1);
    expect(domain(vmi).memory).toEqual({ guest: '2Gi' });
    expect((domain(vmi).devices as Json).disks).toEqual([{ name: 'root', disk: { bus: 'virtio' } }]);
    expect(meta(vmi).annotations).toMatchObject({
      'kubevirt.io/cluster-instancetype-name': 'u1.small',
      'kubevirt.io/preference-name': 'linux',
    });

    const stored = (await get(VIRTUAL_MACHINES, 'sized'))!;
    const uid = String(meta(stored).uid);
    expect((stored.spec as Json).instancetype).toEqual({ name: 'u1.small' }); // zero drift
    expect((stored.spec as Json).preference).toEqual(refs.preference);
    const itRef = status(stored).instancetypeRef as Json;
    const prefRef = status(stored).preferenceRef as Json;
    const it = (await client.get(VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES, undefined, 'u1.small')) as Json;
    const itName = `sized-u1.small-v1beta1-${meta(it).uid}-${meta(it).generation}`;
    expect(itRef).toEqual({
      name: 'u1.small',
      kind: 'VirtualMachineClusterInstancetype',
      controllerRevisionRef: { name: itName },
    });
    expect(prefRef).toMatchObject({ name: 'linux', kind: 'VirtualMachinePreference' });

    const rev = (await client.get(CONTROLLER_REVISIONS, ns, itName)) as Json;
    expect(meta(rev).ownerReferences).toEqual([
      expect.objectContaining({ kind: 'VirtualMachine', uid, controller: true }),
    ]);
    expect(meta(rev).labels).toMatchObject({
      'instancetype.kubevirt.io/object-kind': 'VirtualMachineClusterInstancetype',
      'instancetype.kubevirt.io/object-name': 'u1.small',
      'instancetype.kubevirt.io/object-version': 'v1beta1',
    });
    expect(rev.data).toMatchObject({
      apiVersion: IT,
      kind: 'VirtualMachineClusterInstancetype',
      spec: { cpu: { guest: 1 }, memory: { guest: '2Gi' } },
    });
    const prefRev = (await client.get(
      CONTROLLER_REVISIONS,
      ns,
      String((prefRef.controllerRevisionRef as Json).name),
    )) as Json;
    expect(prefRev.data).toMatchObject({
      kind: 'VirtualMachinePreference',
      spec: { devices: { preferredDiskBus: 'virtio' } },
    });
    // What the VMI started from, for RestartRequired (KubeVirt's revision-start-vm-<uid>-<generation>).
    const start = (await client.get(CONTROLLER_REVISIONS, ns, `revision-start-vm-${uid}-1`)) as Json;
    expect(((start.data as Json).spec as Json).instancetype).toEqual({
      name: 'u1.small',
      revisionName: itName,
    });
  });

  test('an edited instancetype changes neither the VM’s VMI nor the one it starts next; a new VM gets the edit', async () => {
    await applyStrict(client, vm('pinned', { instancetype: { name: EDITED } }));
    const first = await vmiOf('pinned');
    expect(domain(first).memory).toEqual({ guest: '128Mi' });
    const revisionName = await eventually('pinned status ref', async () => {
      const ref = status(await get(VIRTUAL_MACHINES, 'pinned')).instancetypeRef as Json | undefined;
      return (ref?.controllerRevisionRef as Json | undefined)?.name as string | undefined;
    });

    await client.mergePatch(VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES, undefined, EDITED, {
      spec: { memory: { guest: '256Mi' } },
    });
    await restart('pinned');
    const second = await vmiOf('pinned', String(meta(first).uid));
    expect(domain(second).memory).toEqual({ guest: '128Mi' });
    const ref = status(await get(VIRTUAL_MACHINES, 'pinned')).instancetypeRef as Json;
    expect((ref.controllerRevisionRef as Json).name).toBe(revisionName);
    expect(conditions(await get(VIRTUAL_MACHINES, 'pinned')).some((c) => c.type === 'RestartRequired')).toBe(
      false,
    );

    await applyStrict(client, vm('fresh', { instancetype: { name: EDITED } }));
    expect(domain(await vmiOf('fresh')).memory).toEqual({ guest: '256Mi' });
  });

  test('a conflicting VM: Failure condition and one Event with KubeVirt’s message, no VMI', async () => {
    // The template's nodeSelector against an instancetype that sets one: a conflict only the instancetype
    // shows (the static admission rules let the VM in; KubeVirt's admission would also ask the instancetype).
    await applyStrict(client, {
      apiVersion: IT,
      kind: 'VirtualMachineInstancetype',
      metadata: { name: 'pinned-to-nodes', namespace: ns },
      spec: { cpu: { guest: 1 }, memory: { guest: '64Mi' }, nodeSelector: { 'example.org/pool': 'big' } },
    });
    await applyStrict(
      client,
      vm('conflicting', { instancetype: { name: 'pinned-to-nodes', kind: 'VirtualMachineInstancetype' } }),
    );
    const failure = await eventually('the Failure condition', async () =>
      conditions(await get(VIRTUAL_MACHINES, 'conflicting')).find((c) => c.type === 'Failure'),
    );
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(String(failure.message)).toMatch(
      /^error encountered while storing instancetype\.kubevirt\.io controllerRevisions: VM field\(s\) spec\.template\.spec\.nodeSelector conflicts with selected instance type/,
    );
    const events = await eventually('the Warning Event', async () => {
      const list = (await client.list(EVENTS, ns, { fieldSelector: 'involvedObject.name=conflicting' }))
        .items;
      const warnings = list.filter((e) => e.type === 'Warning' && e.reason === 'FailedCreate');
      return warnings.length ? warnings : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0].message).toBe(failure.message);
    expect(await get(VIRTUAL_MACHINE_INSTANCES, 'conflicting')).toBeUndefined();
  });

  test('a missing instancetype: FailedFindInstancetype with the API server’s words, no VMI; creating it starts the VM', async () => {
    const missing = `absent-${suffix}`;
    await applyStrict(client, vm('waiting', { instancetype: { name: missing } }));
    const failure = await eventually('the Failure condition', async () =>
      conditions(await get(VIRTUAL_MACHINES, 'waiting')).find((c) => c.type === 'Failure'),
    );
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedFindInstancetype' });
    expect(String(failure.message)).toContain(
      `virtualmachineclusterinstancetypes.instancetype.kubevirt.io "${missing}" not found`,
    );
    expect(await get(VIRTUAL_MACHINE_INSTANCES, 'waiting')).toBeUndefined();
    await applyStrict(client, {
      apiVersion: IT,
      kind: 'VirtualMachineClusterInstancetype',
      metadata: { name: missing },
      spec: { cpu: { guest: 1 }, memory: { guest: '64Mi' } },
    });
    try {
      expect(domain(await vmiOf('waiting')).memory).toEqual({ guest: '64Mi' });
      expect(conditions(await get(VIRTUAL_MACHINES, 'waiting')).some((c) => c.type === 'Failure')).toBe(
        false,
      );
    } finally {
      await client.delete(VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES, undefined, missing).catch(() => undefined);
    }
  });

  test('inferFromVolume: the PVC’s labels name the instancetype and preference; status records them, spec stays as written', async () => {
    await applyStrict(
      client,
      claim('labelled', {
        'instancetype.kubevirt.io/default-instancetype': 'u1.small',
        'instancetype.kubevirt.io/default-preference': 'linux',
        'instancetype.kubevirt.io/default-preference-kind': 'VirtualMachinePreference',
      }),
    );
    const refs = { instancetype: { inferFromVolume: 'root' }, preference: { inferFromVolume: 'root' } };
    await applyStrict(client, onClaim(vm('inferred', refs), 'labelled'));
    const vmi = await vmiOf('inferred');
    expect(domain(vmi).memory).toEqual({ guest: '2Gi' });
    expect((domain(vmi).devices as Json).disks).toEqual([{ name: 'root', disk: { bus: 'virtio' } }]);
    const stored = (await get(VIRTUAL_MACHINES, 'inferred'))!;
    expect((stored.spec as Json).instancetype).toEqual(refs.instancetype);
    expect(status(stored).instancetypeRef).toMatchObject({
      name: 'u1.small',
      kind: 'VirtualMachineClusterInstancetype',
      inferFromVolume: 'root',
      controllerRevisionRef: { name: expect.stringMatching(/^inferred-u1\.small-v1beta1-/) },
    });
    expect(status(stored).preferenceRef).toMatchObject({
      name: 'linux',
      kind: 'VirtualMachinePreference',
      inferFromVolume: 'root',
    });
  });

  test('inferFromVolume without the label: Failure with KubeVirt’s words and the fix; with the Ignore policy the VM runs without', async () => {
    await applyStrict(client, claim('plain', {}));
    await applyStrict(
      client,
      onClaim(vm('uninferable', { instancetype: { inferFromVolume: 'root' } }), 'plain'),
    );
    const failure = await eventually('the Failure condition', async () =>
      conditions(await get(VIRTUAL_MACHINES, 'uninferable')).find((c) => c.type === 'Failure'),
    );
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedFindInstancetype' });
    expect(String(failure.message)).toMatch(
      /^unable to find required instancetype\.kubevirt\.io\/default-instancetype label on the volume \(spec\.instancetype\.inferFromVolume "root" of VirtualMachine .*\); label the volume's PVC, DataVolume or DataSource/,
    );
    expect(await get(VIRTUAL_MACHINE_INSTANCES, 'uninferable')).toBeUndefined();

    // (No fallback memory in the template: virtkit's admission rules still refuse a template memory
    // next to spec.instancetype, even with the Ignore policy; see docs/controller.md.)
    const ignoring = vm('ignoring', {
      instancetype: { inferFromVolume: 'root', inferFromVolumeFailurePolicy: 'Ignore' },
    });
    await applyStrict(client, onClaim(ignoring, 'plain'));
    expect(domain(await vmiOf('ignoring')).memory).toBeUndefined();
    expect(status(await get(VIRTUAL_MACHINES, 'ignoring')).instancetypeRef).toBeUndefined();
  });

  test('a template change while the VMI exists sets RestartRequired; a restart clears it', async () => {
    const before = await vmiOf('sized');
    await client.mergePatch(VIRTUAL_MACHINES, ns, 'sized', {
      spec: { template: { spec: { terminationGracePeriodSeconds: 7 } } },
    });
    const cond = await eventually('RestartRequired', async () =>
      conditions(await get(VIRTUAL_MACHINES, 'sized')).find((c) => c.type === 'RestartRequired'),
    );
    expect(cond).toMatchObject({
      status: 'True',
      message: 'a non-live-updatable field was changed in the template spec',
    });
    await restart('sized');
    const after = await vmiOf('sized', String(meta(before).uid));
    expect((after.spec as Json).terminationGracePeriodSeconds).toBe(7);
    await eventually('RestartRequired cleared', async () =>
      conditions(await get(VIRTUAL_MACHINES, 'sized')).some((c) => c.type === 'RestartRequired')
        ? undefined
        : true,
    );
    // Only the start revision of the current generation is kept.
    const uid = String(meta(await get(VIRTUAL_MACHINES, 'sized')).uid);
    const starts = (await client.list(CONTROLLER_REVISIONS, ns)).items
      .map((r) => String(meta(r).name))
      .filter((n) => n.startsWith(`revision-start-vm-${uid}-`));
    expect(starts).toHaveLength(1);
  });
});
