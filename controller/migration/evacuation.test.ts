import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import { silentLogger } from '../../common/log';
import {
  byNamespace,
  EventRecorder,
  Informer,
  KubeApiError,
  type KubeClient,
  type ListWatchTransport,
  type ResourceType,
} from '../../kube';
import type { LauncherPod } from '../vmi/phase';
import { CREATED_BY_INDEX } from '../vmi/reconciler';
import { EvacuationReconciler, EvacuationSyncError } from './evacuation';

const NOW = new Date('2025-03-01T12:00:00Z');

/** An informer whose cache the test fills (it never lists or watches). */
function informer<T extends { metadata?: { name?: string; namespace?: string } }>(
  indexers: Record<string, (o: T) => readonly string[]> = {},
): Informer<T> {
  const idle = {
    description: 'test',
    list: () => Promise.resolve({ items: [], resourceVersion: '' }),
    watch: () => new Promise(() => undefined),
  } as unknown as ListWatchTransport<T>;
  return new Informer<T>(idle, { namespace: byNamespace, ...indexers });
}

function vmi(migratable: 'True' | 'False' = 'True'): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: 'ns', uid: 'web-uid' },
    spec: { domain: { devices: {} }, evictionStrategy: 'LiveMigrate' },
    status: {
      phase: 'Running',
      nodeName: 'node-a',
      evacuationNodeName: 'node-a',
      activePods: { 'source-uid': 'node-a' },
      conditions: [{ type: 'LiveMigratable', status: migratable }],
    },
  };
}

const sourcePod = (annotations: Record<string, string> = {}) =>
  ({
    metadata: {
      name: 'virt-launcher-web-srcxx',
      namespace: 'ns',
      uid: 'source-uid',
      labels: { 'kubevirt.io/created-by': 'web-uid' },
      annotations: { 'kubevirt.io/domain': 'web', ...annotations },
    },
    spec: { nodeName: 'node-a' },
    status: { phase: 'Running' },
  }) as LauncherPod;

interface Call {
  readonly verb: string;
  readonly rt: ResourceType;
  readonly name?: string;
  readonly body: unknown;
}

function setup(o: { vmi?: VirtualMachineInstance; refuse?: boolean } = {}) {
  const calls: Call[] = [];
  const client = {
    create: (rt: ResourceType, _ns: string, body: { metadata?: object }) => {
      calls.push({ verb: 'create', rt, body });
      if (rt.kind === 'VirtualMachineInstanceMigration' && o.refuse)
        return Promise.reject(
          new KubeApiError(
            'POST',
            'virtualmachineinstancemigrations in ns',
            403,
            'Forbidden',
            'migrations are forbidden here',
          ),
        );
      return Promise.resolve({ ...body, metadata: { ...body.metadata, name: 'kubevirt-evacuation-x7k2p' } });
    },
    jsonPatch: (rt: ResourceType, _ns: string, name: string, ops: unknown[]) => {
      calls.push({ verb: 'patch', rt, name, body: ops });
      return Promise.resolve({});
    },
  } as unknown as KubeClient;
  const vmis = informer<VirtualMachineInstance>();
  const pods = informer<LauncherPod>({
    [CREATED_BY_INDEX]: (p) => [p.metadata?.labels?.['kubevirt.io/created-by'] ?? ''],
  });
  const migrations = informer<VirtualMachineInstanceMigration>();
  const kubevirts = informer<{ metadata?: { name?: string; namespace?: string } }>();
  vmis.replace([o.vmi ?? vmi()]);
  pods.replace([sourcePod({ 'descheduler.alpha.kubernetes.io/eviction-in-progress': 'kubevirt' })]);
  const recorder = new EventRecorder(client, silentLogger(), 'virtkit-controller');
  const reconciler = new EvacuationReconciler(
    client,
    { vmis, pods, migrations, kubevirts },
    recorder,
    () => NOW,
  );
  const created = () =>
    calls.filter((c) => c.verb === 'create' && c.rt.kind === 'VirtualMachineInstanceMigration');
  const events = () =>
    calls
      .filter((c) => c.rt.kind === 'Event')
      .map((c) => {
        const e = c.body as { type: string; reason: string; message: string };
        return { type: e.type, reason: e.reason, message: e.message };
      });
  return { reconciler, migrations, pods, calls, created, events };
}

describe('the evacuation reconciler', () => {
  test('creates one migration and says so on the VMI; the next rounds wait for it to show', async () => {
    const t = setup();
    expect(await t.reconciler.reconcile('ns/web')).toEqual({ requeueAfterMs: 30_000 });
    expect(t.created()).toHaveLength(1);
    expect(t.events()).toEqual([
      { type: 'Normal', reason: 'SuccessfulCreate', message: 'Created Migration kubevirt-evacuation-x7k2p' },
    ]);
    // The watch has not delivered it yet: no second migration.
    await t.reconciler.reconcile('ns/web');
    expect(t.created()).toHaveLength(1);
    // Delivered: the VMI's migration is at work, nothing more to make.
    const body = t.created()[0].body as VirtualMachineInstanceMigration;
    t.migrations.replace([
      { ...body, metadata: { ...body.metadata, name: 'kubevirt-evacuation-x7k2p', uid: 'm-uid' } },
    ]);
    expect(await t.reconciler.reconcile('ns/web')).toEqual({});
    expect(t.created()).toHaveLength(1);
  });

  test("a refused creation: KubeVirt's Warning FailedCreate, and the round fails naming the VMI", async () => {
    const t = setup({ refuse: true });
    await expect(t.reconciler.reconcile('ns/web')).rejects.toThrow(EvacuationSyncError);
    await expect(t.reconciler.reconcile('ns/web')).rejects.toThrow(
      'VirtualMachineInstance ns/web: create its evacuation migration off node node-a: ',
    );
    expect(t.events()[0]).toEqual({
      type: 'Warning',
      reason: 'FailedCreate',
      message: expect.stringMatching(/^Error creating a Migration: .*migrations are forbidden here/),
    });
    // Nothing is expected from a refused creation: the retry creates again.
    expect(t.created()).toHaveLength(2);
  });

  test('not migratable: the Event once while nothing changes, looked at again every minute', async () => {
    const t = setup({ vmi: vmi('False') });
    for (let round = 0; round < 3; round++)
      expect(await t.reconciler.reconcile('ns/web')).toEqual({ requeueAfterMs: 60_000 });
    expect(t.events()).toEqual([
      { type: 'Normal', reason: 'FailedCreate', message: 'VirtualMachineInstance is not migrateable' },
    ]);
    expect(t.created()).toEqual([]);
  });

  test('the eviction-in-progress hint is removed by a uid- and value-checked patch once the mark is gone', async () => {
    const unmarked = vmi();
    delete unmarked.status!.evacuationNodeName;
    const t = setup({ vmi: unmarked });
    await t.reconciler.reconcile('ns/web');
    expect(t.calls.filter((c) => c.verb === 'patch')).toEqual([
      {
        verb: 'patch',
        rt: expect.objectContaining({ kind: 'Pod' }),
        name: 'virt-launcher-web-srcxx',
        body: [
          { op: 'test', path: '/metadata/uid', value: 'source-uid' },
          {
            op: 'test',
            path: '/metadata/annotations/descheduler.alpha.kubernetes.io~1eviction-in-progress',
            value: 'kubevirt',
          },
          {
            op: 'remove',
            path: '/metadata/annotations/descheduler.alpha.kubernetes.io~1eviction-in-progress',
          },
        ],
      },
    ]);
  });
});
