import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachinePool } from '../../api/pool/v1beta1';
import { decidePool, poolProblems } from './desired';
import {
  desiredMember,
  isOutdated,
  POOL_FINALIZER,
  POOL_REVISION_LABEL,
  TEMPLATE_HASH_ANNOTATION,
} from './member';
import { freeMemberNames, indexOf, memberSpec } from './naming';
import { failingMembers, parseDuration, scaleInCandidates, sortMembers } from './selection';
import { poolStatus } from './status';

const NOW = new Date('2025-01-01T12:00:00Z');
const noRandom = (): number => 0;

function pool(over: Partial<VirtualMachinePool['spec']> = {}, generation = 1): VirtualMachinePool {
  return {
    apiVersion: 'pool.kubevirt.io/v1beta1',
    kind: 'VirtualMachinePool',
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: 'pool-uid',
      generation,
      finalizers: [POOL_FINALIZER],
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      virtualMachineTemplate: {
        metadata: { labels: { app: 'web' }, annotations: { team: 'a' } },
        spec: {
          runStrategy: 'Always',
          dataVolumeTemplates: [{ metadata: { name: 'root' }, spec: { storage: {} } }],
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              domain: { devices: {}, memory: { guest: '64Mi' } },
              volumes: [
                { name: 'root', dataVolume: { name: 'root' } },
                { name: 'cfg', configMap: { name: 'cfg' } },
                { name: 'ci', cloudInitNoCloud: { secretRef: { name: 'ud' } } },
              ],
            },
          },
        },
      },
      ...over,
    },
  } as VirtualMachinePool;
}

function member(
  p: VirtualMachinePool,
  index: number,
  opts: { ready?: boolean; deleting?: boolean; created?: string } = {},
): VirtualMachine {
  const vm = desiredMember(p, `web-${index}`, index);
  vm.metadata = {
    ...vm.metadata,
    uid: `vm-${index}`,
    resourceVersion: '7',
    creationTimestamp: opts.created ?? `2025-01-01T0${index}:00:00Z`,
    ...(opts.deleting ? { deletionTimestamp: '2025-01-01T11:00:00Z' } : {}),
  };
  if (opts.ready) vm.status = { conditions: [{ type: 'Ready', status: 'True' }] } as VirtualMachine['status'];
  return vm;
}

const names = (vms: readonly { metadata?: { name?: string } }[]): string[] =>
  vms.map((v) => v.metadata?.name ?? '');

describe('member naming', () => {
  it('names members <pool>-<index> at the lowest free indexes', () => {
    expect(freeMemberNames('web', 3, new Set())).toEqual(['web-0', 'web-1', 'web-2']);
    expect(freeMemberNames('web', 2, new Set(['web-0', 'web-2']))).toEqual(['web-1', 'web-3']);
    expect(indexOf('web-12')).toBe(12);
    expect(indexOf('web')).toBeUndefined();
  });

  it('names DataVolume templates <name>-<index> and follows them in volumes', () => {
    const spec = memberSpec(pool().spec, 4);
    expect(spec.dataVolumeTemplates?.[0].metadata).toEqual({ name: 'root-4' });
    expect(spec.template.spec?.volumes?.[0]).toEqual({ name: 'root', dataVolume: { name: 'root-4' } });
    // Without nameGeneration, ConfigMaps and Secrets are shared.
    expect(spec.template.spec?.volumes?.[1]).toEqual({ name: 'cfg', configMap: { name: 'cfg' } });
  });

  it('appends the index to ConfigMap and Secret references with nameGeneration', () => {
    const spec = memberSpec(
      pool({ nameGeneration: { appendIndexToConfigMapRefs: true, appendIndexToSecretRefs: true } }).spec,
      2,
    );
    expect(spec.template.spec?.volumes?.[1]).toEqual({ name: 'cfg', configMap: { name: 'cfg-2' } });
    expect(spec.template.spec?.volumes?.[2]).toEqual({
      name: 'ci',
      cloudInitNoCloud: { secretRef: { name: 'ud-2' } },
    });
  });
});

describe('a member VM', () => {
  it('carries the template labels and annotations, the revision, the finalizer and a controller reference', () => {
    const vm = desiredMember(pool(), 'web-0', 0);
    expect(vm.metadata?.name).toBe('web-0');
    expect(vm.metadata?.labels).toEqual({ app: 'web', [POOL_REVISION_LABEL]: 'web-1' });
    expect(vm.metadata?.annotations).toMatchObject({
      team: 'a',
      [TEMPLATE_HASH_ANNOTATION]: expect.any(String),
    });
    expect(vm.metadata?.finalizers).toEqual([POOL_FINALIZER]);
    expect(vm.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'pool.kubevirt.io/v1beta1',
        kind: 'VirtualMachinePool',
        name: 'web',
        uid: 'pool-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(vm.spec.template.metadata?.labels).toEqual({ app: 'web', [POOL_REVISION_LABEL]: 'web-1' });
  });

  it('is outdated only when the template changes, not when the pool scales', () => {
    const vm = desiredMember(pool(), 'web-0', 0);
    expect(isOutdated(vm, pool({ replicas: 9 }, 2))).toBe(false);
    const changed = pool({}, 3);
    changed.spec.virtualMachineTemplate.spec!.template.spec!.domain.memory = { guest: '128Mi' };
    expect(isOutdated(vm, changed)).toBe(true);
  });

  it('keeps its VMI template revision when only the VM metadata changed', () => {
    const vm = desiredMember(pool(), 'web-0', 0);
    const relabeled = pool({}, 5);
    relabeled.spec.virtualMachineTemplate.metadata = { labels: { app: 'web', extra: 'y' } };
    const next = desiredMember(relabeled, 'web-0', 0, vm);
    expect(next.metadata?.labels?.[POOL_REVISION_LABEL]).toBe('web-5');
    expect(next.spec.template.metadata?.labels?.[POOL_REVISION_LABEL]).toBe('web-1');
    const respec = pool({}, 6);
    respec.spec.virtualMachineTemplate.spec!.template.spec!.domain.memory = { guest: '128Mi' };
    expect(desiredMember(respec, 'web-0', 0, vm).spec.template.metadata?.labels?.[POOL_REVISION_LABEL]).toBe(
      'web-6',
    );
  });
});

describe('scaling a pool', () => {
  it('creates <pool>-0..2 for a new pool of 3 (1 when replicas is left out)', () => {
    const d = decidePool({
      pool: pool(),
      vms: [],
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(names(d.create)).toEqual(['web-0', 'web-1', 'web-2']);
    const one = decidePool({
      pool: pool({ replicas: undefined }),
      vms: [],
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(names(one.create)).toEqual(['web-0']);
  });

  it('reuses the lowest free index and skips names other VMs hold', () => {
    const p = pool({ replicas: 3 });
    const stranger: VirtualMachine = { ...member(p, 1), metadata: { name: 'web-1', namespace: 'ns' } };
    const d = decidePool({
      pool: p,
      vms: [member(p, 2), stranger],
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(names(d.create)).toEqual(['web-0', 'web-3']);
  });

  it('scales in Random by default, and in the order of the selection policy', () => {
    const p = pool({ replicas: 1 });
    const vms = [0, 1, 2, 3, 4].map((i) => member(p, i));
    const rnd = decidePool({
      pool: p,
      vms,
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
      random: noRandom,
    });
    expect(rnd.remove).toHaveLength(4);
    const desc = pool({
      replicas: 1,
      scaleInStrategy: { proactive: { selectionPolicy: { sortPolicy: 'DescendingOrder' } } },
    });
    const d = decidePool({ pool: desc, vms, vmiOf: () => undefined, now: NOW, expectationsSatisfied: true });
    expect(names(d.remove)).toEqual(['web-4', 'web-3', 'web-2', 'web-1']);
    expect(names(sortMembers(vms, 'Oldest', noRandom))).toEqual([
      'web-0',
      'web-1',
      'web-2',
      'web-3',
      'web-4',
    ]);
    expect(names(sortMembers(vms, 'Newest', noRandom))[0]).toBe('web-4');
  });

  it('counts members already being deleted and narrows scale-in to the selectors', () => {
    const p = pool({
      replicas: 2,
      scaleInStrategy: {
        proactive: {
          selectionPolicy: {
            sortPolicy: 'AscendingOrder',
            selectors: { labelSelector: { matchLabels: { app: 'web' } } },
          },
        },
      },
    });
    const vms = [member(p, 0), member(p, 1, { deleting: true }), member(p, 2), member(p, 3)];
    const d = decidePool({ pool: p, vms, vmiOf: () => undefined, now: NOW, expectationsSatisfied: true });
    expect(names(d.remove)).toEqual(['web-0']);
    expect(names(d.releaseFinalizer)).toEqual(['web-1']);
    expect(scaleInCandidates(p, vms, 5, noRandom)).toHaveLength(3);
  });

  it('does not scale in with unmanaged or opportunistic scale-in', () => {
    const vms = [0, 1].map((i) => member(pool(), i));
    for (const s of [{ unmanaged: {} }, { opportunistic: {} }]) {
      const d = decidePool({
        pool: pool({ replicas: 1, scaleInStrategy: s }),
        vms,
        vmiOf: () => undefined,
        now: NOW,
        expectationsSatisfied: true,
      });
      expect(d.remove).toEqual([]);
    }
  });

  it('does nothing while paused or waiting for earlier changes to show', () => {
    expect(
      decidePool({
        pool: pool({ paused: true }),
        vms: [],
        vmiOf: () => undefined,
        now: NOW,
        expectationsSatisfied: true,
      }).create,
    ).toEqual([]);
    expect(
      decidePool({ pool: pool(), vms: [], vmiOf: () => undefined, now: NOW, expectationsSatisfied: false })
        .create,
    ).toEqual([]);
  });

  it('adds its finalizer, releases VMs its selector no longer matches, and lets go of everything when deleted', () => {
    const p = pool();
    p.metadata = { ...p.metadata, finalizers: [] };
    const drifted = member(p, 0);
    drifted.metadata = { ...drifted.metadata, labels: { app: 'other' } };
    const d = decidePool({
      pool: p,
      vms: [drifted],
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(d.addPoolFinalizer).toBe(true);
    expect(names(d.release)).toEqual(['web-0']);
    const deleting = pool();
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: '2025-01-01T11:00:00Z' };
    const vms = [member(p, 0), member(p, 1)];
    const gone = decidePool({
      pool: deleting,
      vms,
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(names(gone.releaseFinalizer)).toEqual(['web-0', 'web-1']);
    expect(gone.removePoolFinalizer).toBe(false);
    const done = decidePool({
      pool: deleting,
      vms: vms.map((v) => ({ ...v, metadata: { ...v.metadata, finalizers: [] } })),
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(done.removePoolFinalizer).toBe(true);
  });
});

describe('rolling template changes out', () => {
  const running = (vm: VirtualMachine, ready = true): VirtualMachineInstance => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: vm.metadata?.name,
      namespace: 'ns',
      uid: `vmi-${vm.metadata?.name}`,
      labels: { ...vm.spec.template.metadata?.labels },
    },
    spec: { domain: { devices: {} } },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    } as VirtualMachineInstance['status'],
  });

  it('rewrites outdated members, then restarts their VMIs (proactive, maxUnavailable 1)', () => {
    const old = pool({ replicas: 2 });
    const vms = [member(old, 0), member(old, 1)];
    const vmis = new Map(vms.map((v) => [v.metadata?.name ?? '', running(v)]));
    const next = pool({ replicas: 2, maxUnavailable: 1 }, 2);
    next.spec.virtualMachineTemplate.spec!.template.spec!.domain.memory = { guest: '128Mi' };
    const first = decidePool({
      pool: next,
      vms,
      vmiOf: (n) => vmis.get(n),
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(names(first.update)).toEqual(['web-0', 'web-1']);
    expect(first.update[0].metadata?.resourceVersion).toBe('7');
    expect(first.update[0].spec.template.spec?.domain.memory).toEqual({ guest: '128Mi' });
    expect(first.restart).toEqual([]);
    const second = decidePool({
      pool: next,
      vms: first.update,
      vmiOf: (n) => vmis.get(n),
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(second.update).toEqual([]);
    expect(names(second.restart)).toEqual(['web-0']);
    expect(second.requeueAfterMs).toBe(3000);
  });

  it('only updates the VMs with the opportunistic strategy, and nothing when unmanaged', () => {
    const old = pool({ replicas: 1 });
    const vms = [member(old, 0)];
    const next = pool({ replicas: 1, updateStrategy: { opportunistic: {} } }, 2);
    next.spec.virtualMachineTemplate.spec!.template.spec!.domain.memory = { guest: '128Mi' };
    const first = decidePool({
      pool: next,
      vms,
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(names(first.update)).toEqual(['web-0']);
    const vmi = running(vms[0]);
    const second = decidePool({
      pool: next,
      vms: first.update,
      vmiOf: () => vmi,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(second.restart).toEqual([]);
    const unmanaged = { ...next, spec: { ...next.spec, updateStrategy: { unmanaged: {} } } };
    expect(
      decidePool({ pool: unmanaged, vms, vmiOf: () => undefined, now: NOW, expectationsSatisfied: true })
        .update,
    ).toEqual([]);
  });

  it('replaces a member whose DataVolume templates changed', () => {
    const old = pool({ replicas: 1 });
    const next = pool({ replicas: 1 }, 2);
    next.spec.virtualMachineTemplate.spec!.dataVolumeTemplates = [
      { metadata: { name: 'root' }, spec: { storage: { storageClassName: 'fast' } } },
    ];
    const d = decidePool({
      pool: next,
      vms: [member(old, 0)],
      vmiOf: () => undefined,
      now: NOW,
      expectationsSatisfied: true,
    });
    expect(names(d.replace)).toEqual(['web-0']);
  });
});

describe('autohealing', () => {
  it('replaces members that failed to start too often or have been failing for long', () => {
    const p = pool({ autohealing: { startUpFailureThreshold: 2, minFailingToStartDuration: '10m' } });
    const crashing = member(p, 0);
    crashing.status = { startFailure: { consecutiveFailCount: 2 } } as VirtualMachine['status'];
    const stuck = member(p, 1);
    stuck.status = {
      printableStatus: 'ErrorUnschedulable',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2025-01-01T11:40:00Z' }],
    } as VirtualMachine['status'];
    const fresh = member(p, 2);
    fresh.status = {
      printableStatus: 'ErrorUnschedulable',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2025-01-01T11:55:00Z' }],
    } as VirtualMachine['status'];
    expect(names(failingMembers(p, [crashing, stuck, fresh], NOW))).toEqual(['web-0', 'web-1']);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('bad pools', () => {
  it('name the field, the value and the fix, and act on nothing', () => {
    const p = pool({
      selector: { matchLabels: { app: 'api' } },
      autohealing: { minFailingToStartDuration: 'soon' },
      scaleInStrategy: { proactive: { statePreservation: 'Offline' } },
      maxUnavailable: 'half',
    });
    expect(poolProblems(p).problems).toEqual([
      'spec.selector (app=api) does not match spec.virtualMachineTemplate.metadata.labels {"app":"web"}; the pool would never see the VMs it creates, make the selector match the template labels',
      'spec.maxUnavailable is "half"; write a number of VMs (2) or a percentage of spec.replicas ("25%")',
      'spec.autohealing.minFailingToStartDuration is "soon"; write a duration such as "5m", "90s" or "1h30m"',
      'spec.scaleInStrategy.proactive.statePreservation is "Offline": keeping a member\'s disks after scale-in is not supported by virtkit yet; remove the field or set it to "Disabled"',
    ]);
    expect(
      decidePool({ pool: p, vms: [], vmiOf: () => undefined, now: NOW, expectationsSatisfied: true }).create,
    ).toEqual([]);
  });
});

describe('pool status', () => {
  it('counts members (being deleted too) and Ready ones, and publishes the selector string', () => {
    const p = pool();
    const { status } = poolStatus({
      pool: p,
      members: [member(p, 0, { ready: true }), member(p, 1), member(p, 2, { deleting: true })],
      labelSelector: 'app=web',
      now: NOW,
    });
    expect(status).toEqual({ replicas: 3, readyReplicas: 1, labelSelector: 'app=web' });
  });

  it('says ReplicaPaused and ReplicaFailure with KubeVirt reasons and Events', () => {
    const r = poolStatus({
      pool: pool({ paused: true }),
      members: [],
      labelSelector: 'app=web',
      now: NOW,
      failure: { reason: 'FailedScaleOut', message: 'error during scale out: quota' },
    });
    expect(r.status.conditions?.map((c) => [c.type, c.reason, c.message])).toEqual([
      ['ReplicaPaused', 'SuccessfulPaused', 'Pool controller is paused'],
      ['ReplicaFailure', 'FailedScaleOut', 'error during scale out: quota'],
    ]);
    expect(r.events).toEqual([
      { type: 'Normal', reason: 'SuccessfulPaused', message: 'Pool is paused' },
      { type: 'Warning', reason: 'FailedScaleOut', message: 'error during scale out: quota' },
    ]);
    const resumed = poolStatus({
      pool: { ...pool(), status: r.status },
      members: [],
      labelSelector: 'app=web',
      now: NOW,
    });
    expect(resumed.status.conditions).toBeUndefined();
    expect(resumed.events).toEqual([
      { type: 'Normal', reason: 'SuccessfulResume', message: 'Pool is unpaused' },
    ]);
  });
});
