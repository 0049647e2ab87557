import type {
  VirtualMachineInstance,
  VirtualMachineInstancePhase,
  VirtualMachineInstanceReplicaSet,
} from '../../api/kubevirt/v1';
import {
  decideReplicaSet,
  replicaSetProblems,
  replicaSetStatus,
  scaleInOrder,
  vmiFromTemplate,
} from './desired';
import { Expectations } from '../replicas/expectations';
import { parseSelector, selectorMatches } from '../replicas/label-selector';
import { adoptPatch, claim, releasePatch } from '../replicas/ownership';
import { ownedObjectHandlers, ownerKeyIn } from '../replicas/owned-watch';

const NOW = new Date('2025-01-01T12:00:00Z');

function rs(over: Partial<VirtualMachineInstanceReplicaSet['spec']> = {}): VirtualMachineInstanceReplicaSet {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceReplicaSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid', generation: 1 },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: { note: 'x' } },
        spec: { domain: { devices: {}, memory: { guest: '64Mi' } } },
      },
      ...over,
    },
  };
}

let n = 0;
function vmi(
  opts: {
    phase?: VirtualMachineInstancePhase;
    ready?: boolean;
    deleting?: boolean;
    owner?: string | null;
    created?: string;
    labels?: Record<string, string>;
    name?: string;
    terminating?: boolean;
  } = {},
): VirtualMachineInstance {
  n++;
  const owner = opts.owner === undefined ? 'rs-uid' : opts.owner;
  const conditions = [];
  if (opts.ready) conditions.push({ type: 'Ready', status: 'True' });
  if (opts.terminating) conditions.push({ type: 'Ready', status: 'False', reason: 'PodTerminating' });
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: opts.name ?? `web${n}`,
      namespace: 'ns',
      uid: `vmi-${n}`,
      labels: opts.labels ?? { app: 'web' },
      creationTimestamp: opts.created ?? '2025-01-01T10:00:00Z',
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'kubevirt.io/v1',
                kind: 'VirtualMachineInstanceReplicaSet',
                name: 'web',
                uid: owner,
                controller: true,
              },
            ],
          }
        : {}),
      ...(opts.deleting ? { deletionTimestamp: '2025-01-01T11:00:00Z' } : {}),
    },
    spec: { domain: { devices: {} } },
    status: { phase: opts.phase ?? 'Running', conditions } as VirtualMachineInstance['status'],
  };
}

describe('label selectors', () => {
  it('print in the canonical form the scale subresource serves', () => {
    const p = parseSelector(
      {
        matchLabels: { z: '1', app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['b', 'a'] },
          { key: 'gone', operator: 'DoesNotExist' },
          { key: 'env', operator: 'NotIn', values: ['prod'] },
          { key: 'has', operator: 'Exists' },
        ],
      },
      'spec.selector',
    );
    expect(p.ok && p.selector.text).toBe('app=web,env notin (prod),!gone,has,tier in (a,b),z=1');
  });

  it('match labels as Kubernetes does', () => {
    const p = parseSelector(
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
      's',
    );
    if (!p.ok) throw new Error('parse failed');
    expect(selectorMatches(p.selector, { app: 'web' })).toBe(true);
    expect(selectorMatches(p.selector, { app: 'web', tier: 'db' })).toBe(false);
    expect(selectorMatches(p.selector, { app: 'api' })).toBe(false);
  });

  it('name the field, the value and the fix for every bad requirement', () => {
    const p = parseSelector(
      {
        matchExpressions: [
          { key: 'a', operator: 'Equals', values: ['x'] },
          { key: 'b', operator: 'In', values: [] },
          { key: 'c', operator: 'Exists', values: ['y'] },
        ],
      },
      'spec.selector',
    );
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.problems).toEqual([
      'spec.selector.matchExpressions[0].operator is "Equals"; use one of In, NotIn, Exists, DoesNotExist',
      'spec.selector.matchExpressions[1].values is empty; operator In needs at least one value',
      'spec.selector.matchExpressions[2].values is ["y"]; operator Exists takes no values, remove them',
    ]);
  });
});

describe('ownership', () => {
  const s = parseSelector({ matchLabels: { app: 'web' } }, 's');
  if (!s.ok) throw new Error('parse failed');
  it('keeps its own, releases what no longer matches, adopts matching orphans, ignores others', () => {
    const mine = vmi();
    const drifted = vmi({ labels: { app: 'other' } });
    const orphan = vmi({ owner: null });
    const deletingOrphan = vmi({ owner: null, deleting: true });
    const foreign = vmi({ owner: 'someone-else' });
    const c = claim(rs(), s.selector, [mine, drifted, orphan, deletingOrphan, foreign], { adopt: true });
    expect(c.owned).toEqual([mine]);
    expect(c.release).toEqual([drifted]);
    expect(c.adopt).toEqual([orphan]);
    expect(claim(rs(), s.selector, [orphan], { adopt: false }).adopt).toEqual([]);
  });

  it('patches with tests so a concurrent change is never overwritten', () => {
    const orphan = vmi({ owner: null });
    expect(adoptPatch(orphan, rs())).toEqual([
      { op: 'test', path: '/metadata/uid', value: orphan.metadata?.uid },
      { op: 'test', path: '/metadata/resourceVersion', value: undefined },
      {
        op: 'add',
        path: '/metadata/ownerReferences',
        value: [
          {
            apiVersion: 'kubevirt.io/v1',
            kind: 'VirtualMachineInstanceReplicaSet',
            name: 'web',
            uid: 'rs-uid',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
    ]);
    const mine = vmi();
    expect(releasePatch(mine, rs())[2]).toEqual({
      op: 'replace',
      path: '/metadata/ownerReferences',
      value: [],
    });
  });
});

describe('the VMIs a replica set creates', () => {
  it('are named by generateName from the replica set name, with the template labels and annotations, owned', () => {
    const v = vmiFromTemplate(rs());
    expect(v.metadata).toEqual({
      generateName: 'web',
      namespace: 'ns',
      labels: { app: 'web' },
      annotations: { note: 'x' },
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceReplicaSet',
          name: 'web',
          uid: 'rs-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(v.spec).toEqual({ domain: { devices: {}, memory: { guest: '64Mi' } } });
  });

  it('use the template name or generateName as the base when set', () => {
    const r = rs();
    r.spec.template.metadata = { ...r.spec.template.metadata, generateName: 'fleet-' };
    expect(vmiFromTemplate(r).metadata?.generateName).toBe('fleet-');
  });
});

describe('scaling', () => {
  it('creates the missing replicas (1 when spec.replicas is left out)', () => {
    expect(decideReplicaSet({ rs: rs(), vmis: [vmi()], expectationsSatisfied: true }).create).toBe(2);
    expect(
      decideReplicaSet({ rs: rs({ replicas: undefined }), vmis: [], expectationsSatisfied: true }).create,
    ).toBe(1);
    expect(
      decideReplicaSet({ rs: rs({ replicas: 300 }), vmis: [], expectationsSatisfied: true }).create,
    ).toBe(250);
  });

  it('does not count final, deleting or pod-terminating VMIs, and deletes the final ones', () => {
    const failed = vmi({ phase: 'Failed' });
    const d = decideReplicaSet({
      rs: rs({ replicas: 1 }),
      vmis: [failed, vmi({ deleting: true }), vmi({ terminating: true })],
      expectationsSatisfied: true,
    });
    expect(d.create).toBe(1);
    expect(d.cleanUp.map((v) => v.metadata?.uid)).toHaveLength(2);
    expect(d.cleanUp[0]).toBe(failed);
  });

  it('deletes the surplus: not running yet, then migrating, then not Ready, then youngest', () => {
    const oldReady = vmi({ ready: true, created: '2025-01-01T09:00:00Z', name: 'old-ready' });
    const newReady = vmi({ ready: true, created: '2025-01-01T11:00:00Z', name: 'new-ready' });
    const notReady = vmi({ ready: false, name: 'not-ready' });
    const pending = vmi({ phase: 'Scheduling', name: 'pending' });
    const migrating = vmi({ ready: true, name: 'migrating' });
    migrating.status = {
      ...migrating.status,
      migrationState: { completed: false },
    } as typeof migrating.status;
    expect(
      scaleInOrder([oldReady, newReady, notReady, migrating, pending]).map((v) => v.metadata?.name),
    ).toEqual(['pending', 'migrating', 'not-ready', 'new-ready', 'old-ready']);
    const d = decideReplicaSet({
      rs: rs({ replicas: 3 }),
      vmis: [oldReady, newReady, notReady, migrating, pending],
      expectationsSatisfied: true,
    });
    expect(d.scaleIn.map((v) => v.metadata?.name)).toEqual(['pending', 'migrating']);
  });

  it('does nothing while paused, being deleted, or waiting for earlier changes to show', () => {
    expect(decideReplicaSet({ rs: rs({ paused: true }), vmis: [], expectationsSatisfied: true }).create).toBe(
      0,
    );
    expect(decideReplicaSet({ rs: rs(), vmis: [], expectationsSatisfied: false }).create).toBe(0);
    const deleting = rs();
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: '2025-01-01T11:00:00Z' };
    expect(decideReplicaSet({ rs: deleting, vmis: [], expectationsSatisfied: true }).create).toBe(0);
  });
});

describe('bad replica sets', () => {
  it('name the field, the value and the fix', () => {
    const r = rs({ selector: { matchLabels: { app: 'api' } } });
    expect(replicaSetProblems(r).problems).toEqual([
      'spec.selector (app=api) does not match spec.template.metadata.labels {"app":"web"}; the replica set would never see the VMIs it creates, make the selector match the template labels',
    ]);
    const unlabeled = rs();
    unlabeled.spec.template.metadata = {};
    expect(replicaSetProblems(unlabeled).problems[0]).toMatch(/^spec\.template\.metadata\.labels is empty/);
  });
});

describe('status', () => {
  it('counts active and ready VMIs and publishes the selector string', () => {
    const { status } = replicaSetStatus({
      rs: rs(),
      vmis: [vmi({ ready: true }), vmi(), vmi({ phase: 'Succeeded' })],
      labelSelector: 'app=web',
      now: NOW,
    });
    expect(status).toEqual({ replicas: 2, readyReplicas: 1, labelSelector: 'app=web' });
  });

  it('says ReplicaPaused and ReplicaFailure as KubeVirt does, with the Events of a pause change', () => {
    const paused = replicaSetStatus({
      rs: rs({ paused: true }),
      vmis: [],
      labelSelector: 'app=web',
      now: NOW,
      failure: { reason: 'FailedCreate', message: 'Error creating virtual machine instance: quota' },
    });
    expect(paused.status.conditions).toEqual([
      {
        type: 'ReplicaPaused',
        status: 'True',
        reason: 'Paused',
        message: 'Controller got paused',
        lastTransitionTime: '2025-01-01T12:00:00Z',
      },
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'Error creating virtual machine instance: quota',
        lastTransitionTime: '2025-01-01T12:00:00Z',
      },
    ]);
    expect(paused.events).toEqual([{ type: 'Normal', reason: 'SuccessfulPaused', message: 'Paused' }]);
    const resumed = replicaSetStatus({
      rs: { ...rs(), status: paused.status },
      vmis: [],
      labelSelector: 'app=web',
      now: NOW,
    });
    expect(resumed.status.conditions).toBeUndefined();
    expect(resumed.events).toEqual([{ type: 'Normal', reason: 'SuccessfulResumed', message: 'Resumed' }]);
  });
});

describe('expectations', () => {
  it('hold until every create and delete is observed, or expire', () => {
    let t = 0;
    const e = new Expectations(1000, () => t);
    e.expectCreations('ns/web', 2);
    e.expectDeletions('ns/web', ['ns/a']);
    expect(e.satisfied('ns/web')).toBe(false);
    e.creationObserved('ns/web');
    e.creationObserved('ns/web');
    expect(e.satisfied('ns/web')).toBe(false);
    e.deletionObserved('ns/web', 'ns/a');
    expect(e.satisfied('ns/web')).toBe(true);
    e.expectCreations('ns/web', 1);
    expect(e.waitMs('ns/web')).toBe(1000);
    t = 1001;
    expect(e.satisfied('ns/web')).toBe(true);
  });
});

describe('owned-object handlers', () => {
  const owners = new Map([['ns/web', rs()]]);
  const setup = (): {
    e: Expectations;
    woken: string[];
    h: ReturnType<typeof ownedObjectHandlers<VirtualMachineInstance>>;
  } => {
    const e = new Expectations();
    const woken: string[] = [];
    const h = ownedObjectHandlers<VirtualMachineInstance>({
      ownerKeyOf: (v) => ownerKeyIn(owners, 'VirtualMachineInstanceReplicaSet', v),
      expectations: e,
      enqueue: (k) => woken.push(k),
      adopters: () => ['ns/adopter'],
    });
    return { e, woken, h };
  };

  it('observe creations and deletions of owned objects and wake their owner', () => {
    const { e, woken, h } = setup();
    const v = vmi();
    e.expectCreations('ns/web', 1);
    h.onAdd?.(v);
    expect(e.satisfied('ns/web')).toBe(true);
    e.expectDeletions('ns/web', ['ns/' + v.metadata?.name]);
    h.onUpdate?.(v, { ...v, metadata: { ...v.metadata, deletionTimestamp: '2025-01-01T12:00:00Z' } });
    expect(e.satisfied('ns/web')).toBe(true);
    expect(woken).toEqual(['ns/web', 'ns/web']);
  });

  it('ignore objects of an owner that is gone (other UID), and offer orphans for adoption', () => {
    const { woken, h } = setup();
    h.onAdd?.(vmi({ owner: 'old-uid' }));
    expect(woken).toEqual([]);
    h.onAdd?.(vmi({ owner: null }));
    expect(woken).toEqual(['ns/adopter']);
  });
});
