/**
 * The DataVolume controller against the real kube-apiserver and kube-controller-manager of the
 * integration run (the PV binder binds claims, garbage collection is real):
 *  - an http DataVolume on a WaitForFirstConsumer class gets its claim (CDI's size with the
 *    filesystem overhead, CDI's labels and annotations) and waits in WaitForFirstConsumer with
 *    no worker pod; a VMI using it gets an ephemeral provisioning pod and no launcher pod;
 *  - an http DataVolume on an Immediate class with a PersistentVolume ready binds, gets its
 *    importer pod with the contract's environment, copies the progress, reports a failed run
 *    (Running=False, reason Error, the message, a Warning Event), and on success becomes
 *    Succeeded / Ready with its worker pod deleted;
 *  - a sourceRef to a missing DataSource waits with CloneWithoutSource and an Event, and is
 *    resolved when the DataSource appears;
 *  - a VM's dataVolumeTemplates make a DataVolume it controls, and printableStatus Provisioning.
 *
 * No kubelet runs: where a worker pod must run, the test writes the pod's status through the
 * pods/status API, playing the node's pod runner; the real runner is covered by e2e.
 */
import { randomBytes } from 'crypto';
import { ControllerManager } from '../../controller/manager';
import { createNamespace, deleteNamespace, sharedClient, type Json, type KubeClient } from './support/api';
import {
  DATA_SOURCES,
  DATA_VOLUMES,
  EVENTS,
  PODS,
  PVCS,
  PVS,
  STORAGE_CLASSES,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from '../../kube';
import { createLogger } from '../../common/log';
import { eventually as waitFor } from './support/eventually';
import { readShared } from './support/shared-controlplane';

const id = randomBytes(3).toString('hex');
const ns = `dv-${id}`;
const WFFC = `it-wffc-${id}`;
const IMMEDIATE = `it-immediate-${id}`;
const PV = `it-dv-${id}`;
const logs: string[] = [];
let client: KubeClient;
let manager: ControllerManager;

type Obj = Json & {
  metadata: Json & {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Json[];
  };
  spec?: Json;
  status?: Json;
};
type Cond = { type: string; status: string; reason?: string; message?: string };

let lastSeen = '';
function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(
    what,
    async () => {
      const dvs = (await client.list<Obj>(DATA_VOLUMES, ns)).items.map((d) => ({
        name: d.metadata.name,
        status: d.status,
      }));
      const evs = (await client.list<Json>(EVENTS, ns)).items.map((e) => `${e.reason}: ${e.message}`);
      lastSeen = JSON.stringify({ dvs, evs }, null, 1);
      return probe();
    },
    { context: () => `controller log:\n${logs.slice(-20).join('\n')}\nobjects:\n${lastSeen}` },
  );
}

const dvStatus = async (name: string) =>
  (await client.get<Obj>(DATA_VOLUMES, ns, name)).status as Json & { conditions?: Cond[] };
const condOf = (s: { conditions?: Cond[] }, type: string): Cond | undefined =>
  s.conditions?.find((c) => c.type === type);

async function eventWith(reason: string, name: string): Promise<Json> {
  return eventually(`Event ${reason} on ${name}`, async () => {
    const items = (
      await client.list<Json & { reason?: string; involvedObject?: { name?: string } }>(EVENTS, ns)
    ).items;
    return items.find((e) => e.reason === reason && e.involvedObject?.name === name);
  });
}

function httpDv(name: string, storageClassName: string, annotations: Record<string, string> = {}): Json {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name, namespace: ns, annotations },
    spec: {
      source: {
        http: { url: 'http://images.invalid/disk.qcow2', secretRef: 'creds', extraHeaders: ['X-Test: 1'] },
      },
      storage: { storageClassName, resources: { requests: { storage: '1Gi' } } },
    },
  };
}

beforeAll(async () => {
  client = await sharedClient();
  await createNamespace(client, ns);
  for (const [name, mode] of [
    [WFFC, 'WaitForFirstConsumer'],
    [IMMEDIATE, 'Immediate'],
  ])
    await client.create(STORAGE_CLASSES, undefined, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: mode,
    });
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
  await manager?.stop();
  await deleteNamespace(client, ns);
  for (const name of [WFFC, IMMEDIATE])
    await client.delete(STORAGE_CLASSES, undefined, name).catch(() => undefined);
  for (const pv of [PV, `${PV}-tmpl`]) await client.delete(PVS, undefined, pv).catch(() => undefined);
});

describe('DataVolume import', () => {
  test('on a WaitForFirstConsumer class: the claim with CDI size and annotations, phase WaitForFirstConsumer, no worker pod', async () => {
    await client.create(DATA_VOLUMES, ns, httpDv('wffc', WFFC));
    const claim = await eventually('claim wffc', () => client.getIfExists<Obj>(PVCS, ns, 'wffc'));
    const dv = await client.get<Obj>(DATA_VOLUMES, ns, 'wffc');
    // ceil(1 GiB / (1 - 0.055)): CDI's filesystem overhead.
    expect((claim.spec as Json).resources).toEqual({ requests: { storage: '1136234735' } });
    expect((claim.spec as Json).accessModes).toEqual(['ReadWriteOnce']);
    expect((claim.spec as Json).volumeMode).toBe('Filesystem');
    expect(claim.metadata.labels?.app).toBe('containerized-data-importer');
    expect(claim.metadata.annotations).toMatchObject({
      'cdi.kubevirt.io/storage.import.endpoint': 'http://images.invalid/disk.qcow2',
      'cdi.kubevirt.io/storage.import.source': 'http',
      'cdi.kubevirt.io/storage.contentType': 'kubevirt',
      'cdi.kubevirt.io/storage.import.secretName': 'creds',
      'cdi.kubevirt.io/storage.import.importPodName': 'importer-wffc',
    });
    expect(claim.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'DataVolume', name: 'wffc', uid: dv.metadata.uid, controller: true }),
    ]);
    const s = await eventually('phase WaitForFirstConsumer', async () => {
      const st = await dvStatus('wffc');
      return st.phase === 'WaitForFirstConsumer' ? st : undefined;
    });
    expect(s).toMatchObject({ claimName: 'wffc', progress: 'N/A' });
    expect(condOf(s, 'Bound')).toMatchObject({
      status: 'False',
      reason: 'Pending',
      message: 'PVC wffc Pending',
    });
    await eventWith('Pending', 'wffc');
    expect(await client.getIfExists(PODS, ns, 'importer-wffc')).toBeUndefined();
  });

  test('a VMI using it gets an ephemeral provisioning pod and no launcher pod', async () => {
    const vmi = await client.create<Obj>(VIRTUAL_MACHINE_INSTANCES, ns, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'consumer', namespace: ns },
      spec: {
        nodeSelector: { 'virtkit.io/it-node': `none-${ns}` },
        terminationGracePeriodSeconds: 0,
        domain: {
          memory: { guest: '64Mi' },
          devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
        },
        volumes: [{ name: 'root', dataVolume: { name: 'wffc' } }],
      },
    });
    const pods = await eventually('ephemeral pod', async () => {
      const items = (
        await client.list<Obj>(PODS, ns, { labelSelector: `kubevirt.io/created-by=${vmi.metadata.uid}` })
      ).items;
      return items.length ? items : undefined;
    });
    expect(pods).toHaveLength(1);
    expect(pods[0].metadata.annotations?.['kubevirt.io/ephemeral-provisioning']).toBe('true');
    const claims = ((pods[0].spec as Json).volumes as Json[]).filter((v) => v.persistentVolumeClaim);
    expect(claims).toEqual([{ name: 'root', persistentVolumeClaim: { claimName: 'wffc' } }]);
    const status = await eventually('VMI Provisioning condition', async () => {
      const v = await client.get<Obj>(VIRTUAL_MACHINE_INSTANCES, ns, 'consumer');
      const c = ((v.status as Json | undefined)?.conditions as Cond[] | undefined)?.find(
        (x) => x.type === 'Provisioning',
      );
      return c ? v.status : undefined;
    });
    expect((status as Json).phase).toBe('Pending');
    // Still only the ephemeral pod a moment later: the launcher waits for the DataVolume.
    await new Promise((r) => setTimeout(r, 1000));
    const again = (
      await client.list<Obj>(PODS, ns, { labelSelector: `kubevirt.io/created-by=${vmi.metadata.uid}` })
    ).items;
    expect(again.map((p) => p.metadata.name)).toEqual([pods[0].metadata.name]);
  });

  test('bound on an Immediate class: importer pod, progress, a failed run, then success', async () => {
    await client.create(PVS, undefined, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: PV },
      spec: {
        storageClassName: IMMEDIATE,
        capacity: { storage: '2Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/tmp/${PV}` },
      },
    });
    await client.create(DATA_VOLUMES, ns, httpDv('imm', IMMEDIATE));
    const pod = await eventually('importer pod', () => client.getIfExists<Obj>(PODS, ns, 'importer-imm'));
    const claim = await client.get<Obj>(PVCS, ns, 'imm');
    expect((claim.status as Json).phase).toBe('Bound');
    expect(pod.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'PersistentVolumeClaim',
        name: 'imm',
        uid: claim.metadata.uid,
        controller: true,
      }),
    ]);
    const spec = pod.spec as Json & { containers: (Json & { env: Json[] })[]; restartPolicy: string };
    expect(spec.restartPolicy).toBe('OnFailure');
    expect(spec.containers[0]).toMatchObject({ name: 'importer', args: ['importer'] });
    const env = Object.fromEntries(spec.containers[0].env.map((e) => [e.name, e.value ?? e.valueFrom]));
    const dv = await client.get<Obj>(DATA_VOLUMES, ns, 'imm');
    expect(env).toMatchObject({
      IMPORTER_SOURCE: 'http',
      IMPORTER_ENDPOINT: 'http://images.invalid/disk.qcow2',
      IMPORTER_IMAGE_SIZE: '1136234735',
      OWNER_UID: dv.metadata.uid,
      FILESYSTEM_OVERHEAD: '0.055',
      IMPORTER_ACCESS_KEY_ID: { secretKeyRef: { name: 'creds', key: 'accessKeyId' } },
      IMPORTER_SECRET_KEY: { secretKeyRef: { name: 'creds', key: 'secretKey' } },
      IMPORTER_EXTRA_HEADER_0: 'X-Test: 1',
    });
    await eventually('phase ImportScheduled', async () =>
      (await dvStatus('imm')).phase === 'ImportScheduled' ? true : undefined,
    );

    // Playing the node's pod runner: the import runs and reports its progress.
    const writeStatus = async (status: Json): Promise<void> => {
      const cur = await client.get<Obj>(PODS, ns, 'importer-imm');
      await client.updateStatus(PODS, ns, 'importer-imm', { ...cur, status });
    };
    const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await writeStatus({
      phase: 'Running',
      conditions: [{ type: 'virtkit.io/Progress', status: 'True', message: '45.20%', lastTransitionTime: t }],
      containerStatuses: [
        {
          name: 'importer',
          image: 'x',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: t } },
        },
      ],
    });
    const running = await eventually('progress 45.20%', async () => {
      const s = await dvStatus('imm');
      return s.progress === '45.20%' ? s : undefined;
    });
    expect(running.phase).toBe('ImportInProgress');
    expect(condOf(running, 'Running')).toMatchObject({ status: 'True', reason: 'Pod is running' });

    // A failed run: kubelet restarts the container after a back-off, keeping the failure in lastState.
    const failure = 'Unable to connect to http data source: expected status code 200, got 404';
    await writeStatus({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'importer',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 1,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' },
          },
          lastState: {
            terminated: { exitCode: 1, reason: 'Error', message: failure, startedAt: t, finishedAt: t },
          },
        },
      ],
    });
    const failed = await eventually('Running=False Error', async () => {
      const s = await dvStatus('imm');
      return condOf(s, 'Running')?.reason === 'Error' ? s : undefined;
    });
    expect(condOf(failed, 'Running')).toMatchObject({ status: 'False', message: failure });
    expect(failed.restartCount).toBe(1);
    expect(failed.phase).toBe('ImportInProgress');
    expect((await eventWith('Error', 'imm')).message).toBe(failure);

    await writeStatus({
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'importer',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 1,
          state: {
            terminated: {
              exitCode: 0,
              reason: 'Completed',
              message: 'Import Complete',
              startedAt: t,
              finishedAt: t,
            },
          },
        },
      ],
    });
    const done = await eventually('Succeeded', async () => {
      const s = await dvStatus('imm');
      return s.phase === 'Succeeded' ? s : undefined;
    });
    expect(done.progress).toBe('100.0%');
    expect(condOf(done, 'Ready')).toMatchObject({ status: 'True' });
    expect((await eventWith('ImportSucceeded', 'imm')).message).toBe('Successfully imported into PVC imm');
    await eventually('worker pod deleted', async () =>
      (await client.getIfExists(PODS, ns, 'importer-imm')) ? undefined : true,
    );
    const after = await client.get<Obj>(PVCS, ns, 'imm');
    expect(after.metadata.annotations?.['cdi.kubevirt.io/storage.pod.phase']).toBe('Succeeded');
  });
});

describe('sourceRef', () => {
  test('a missing DataSource: CloneWithoutSource and an Event; resolved once the DataSource appears', async () => {
    await client.create(PVCS, ns, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'golden', namespace: ns },
      spec: {
        storageClassName: WFFC,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '3Gi' } },
      },
    });
    await client.create(DATA_VOLUMES, ns, {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: 'from-ds', namespace: ns },
      spec: { sourceRef: { kind: 'DataSource', name: 'fedora' }, storage: { storageClassName: WFFC } },
    });
    const waiting = await eventually('CloneWithoutSource', async () => {
      const s = await dvStatus('from-ds');
      return condOf(s, 'Bound')?.reason === 'CloneWithoutSource' ? s : undefined;
    });
    expect(condOf(waiting, 'Running')?.message).toMatch(
      new RegExp(`^The source DataSource ${ns}/fedora doesn't exist`),
    );
    await eventWith('CloneWithoutSource', 'from-ds');
    expect(await client.getIfExists(PVCS, ns, 'from-ds')).toBeUndefined();

    await client.create(DATA_SOURCES, ns, {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataSource',
      metadata: { name: 'fedora', namespace: ns },
      spec: { source: { pvc: { namespace: ns, name: 'golden' } } },
    });
    const claim = await eventually('clone claim', () => client.getIfExists<Obj>(PVCS, ns, 'from-ds'));
    expect(claim.metadata.annotations?.['k8s.io/CloneRequest']).toBe(`${ns}/golden`);
    expect((claim.spec as Json).resources).toEqual({ requests: { storage: '3Gi' } });
    await eventually('WaitForFirstConsumer', async () =>
      (await dvStatus('from-ds')).phase === 'WaitForFirstConsumer' ? true : undefined,
    );
    // The DataSource's own status, as CDI keeps it: its claim exists, so it is Ready.
    const ds = await eventually('DataSource Ready', async () => {
      const o = await client.get<Obj>(DATA_SOURCES, ns, 'fedora');
      return condOf((o.status ?? {}) as { conditions?: Cond[] }, 'Ready')?.status === 'True' ? o : undefined;
    });
    expect((ds.status as Json).source).toEqual({ pvc: { namespace: ns, name: 'golden' } });
  });
});

describe('VM dataVolumeTemplates', () => {
  test('a Halted VM creates the DataVolume it controls: Stopped while its claim waits, Provisioning once Bound', async () => {
    const vm = await client.create<Obj>(VIRTUAL_MACHINES, ns, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'tmpl', namespace: ns },
      spec: {
        runStrategy: 'Halted',
        dataVolumeTemplates: [
          {
            metadata: { name: 'tmpl-root', labels: { os: 'test' } },
            spec: {
              source: { blank: {} },
              storage: { storageClassName: IMMEDIATE, resources: { requests: { storage: '1Gi' } } },
            },
          },
        ],
        template: {
          spec: {
            domain: {
              memory: { guest: '64Mi' },
              devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
            },
            volumes: [{ name: 'root', dataVolume: { name: 'tmpl-root' } }],
          },
        },
      },
    });
    const dv = await eventually('template DataVolume', () =>
      client.getIfExists<Obj>(DATA_VOLUMES, ns, 'tmpl-root'),
    );
    expect(dv.metadata.labels).toEqual({ os: 'test' });
    expect(dv.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'VirtualMachine',
        name: 'tmpl',
        uid: vm.metadata.uid,
        controller: true,
      }),
    ]);
    await eventWith('SuccessfulDataVolumeCreate', 'tmpl');
    // KubeVirt's rule: a DataVolume provisions once its claim is Bound; a stopped VM waits for nothing.
    await eventually('printableStatus Stopped', async () => {
      const v = await client.get<Obj>(VIRTUAL_MACHINES, ns, 'tmpl');
      return (v.status as Json | undefined)?.printableStatus === 'Stopped' ? true : undefined;
    });
    await client.create(PVS, undefined, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${PV}-tmpl` },
      spec: {
        storageClassName: IMMEDIATE,
        capacity: { storage: '2Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/tmp/${PV}-tmpl` },
      },
    });
    await eventually('printableStatus Provisioning', async () => {
      const v = await client.get<Obj>(VIRTUAL_MACHINES, ns, 'tmpl');
      return (v.status as Json | undefined)?.printableStatus === 'Provisioning' ? true : undefined;
    });
  });
});
