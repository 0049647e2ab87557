import type { RunStrategy, VirtualMachineInstancePhase } from '../../api/kubevirt/v1';
import { decideVm, reconcileVm } from './desired';
import { NOW, vm, vmi } from './fixtures';
import { VM_CONTROLLER_FINALIZER } from './vmi-from-vm';

type Action = 'create' | 'delete' | 'none';

function action(d: ReturnType<typeof decideVm>): Action {
  if (d.createVmi) return 'create';
  if (d.deleteVmi) return 'delete';
  return 'none';
}

const noRandom = (): number => 0;

describe('run strategies (every strategy x VMI state, no requests)', () => {
  // [strategy, VMI phase ('none' = no VMI), expected action]
  const table: [RunStrategy, VirtualMachineInstancePhase | 'none', Action][] = [
    ['Always', 'none', 'create'],
    ['Always', 'Pending', 'none'],
    ['Always', 'Scheduling', 'none'],
    ['Always', 'Running', 'none'],
    ['Always', 'Succeeded', 'delete'],
    ['Always', 'Failed', 'delete'],
    ['RerunOnFailure', 'none', 'create'],
    ['RerunOnFailure', 'Running', 'none'],
    ['RerunOnFailure', 'Succeeded', 'delete'],
    ['RerunOnFailure', 'Failed', 'delete'],
    ['Once', 'none', 'create'],
    ['Once', 'Running', 'none'],
    ['Once', 'Succeeded', 'none'],
    ['Once', 'Failed', 'none'],
    ['Manual', 'none', 'none'],
    ['Manual', 'Running', 'none'],
    ['Manual', 'Succeeded', 'none'],
    ['Manual', 'Failed', 'none'],
    ['Halted', 'none', 'none'],
    ['Halted', 'Pending', 'delete'],
    ['Halted', 'Running', 'delete'],
    ['Halted', 'Succeeded', 'delete'],
  ];
  test.each(table)('%s with VMI %s -> %s', (strategy, phase, expected) => {
    const d = decideVm({
      vm: vm({ runStrategy: strategy }),
      vmi: phase === 'none' ? undefined : vmi(phase, { ran: true }),
      now: NOW,
      random: noRandom,
    });
    expect(action(d)).toBe(expected);
  });

  test('a VMI being deleted is not deleted again', () => {
    expect(
      action(
        decideVm({ vm: vm({ runStrategy: 'Halted' }), vmi: vmi('Running', { deleting: true }), now: NOW }),
      ),
    ).toBe('none');
  });

  test('deprecated running: true acts as Always, running: false as Halted', () => {
    expect(action(decideVm({ vm: vm({ running: true }), vmi: undefined, now: NOW }))).toBe('create');
    expect(action(decideVm({ vm: vm({ running: false }), vmi: vmi('Running'), now: NOW }))).toBe('delete');
    expect(reconcileVm({ vm: vm({ running: true }), vmi: vmi('Running'), now: NOW }).status.runStrategy).toBe(
      'Always',
    );
  });

  test('RerunOnFailure queues a Start request after Failed, not after Succeeded', () => {
    const failed = reconcileVm({
      vm: vm({ runStrategy: 'RerunOnFailure' }),
      vmi: vmi('Failed', { ran: true }),
      now: NOW,
    });
    expect(failed.appendStartRequest).toBe(true);
    expect(failed.status.stateChangeRequests).toEqual([{ action: 'Start' }]);
    const ok = reconcileVm({
      vm: vm({ runStrategy: 'RerunOnFailure' }),
      vmi: vmi('Succeeded', { ran: true }),
      now: NOW,
    });
    expect(ok.status.stateChangeRequests).toBeUndefined();
  });

  test('RerunOnFailure does not start again after a finished run, but does after a switch from another strategy', () => {
    const ran = vm({ runStrategy: 'RerunOnFailure', status: { runStrategy: 'RerunOnFailure' } });
    expect(action(decideVm({ vm: ran, vmi: undefined, now: NOW }))).toBe('none');
    const switched = vm({ runStrategy: 'RerunOnFailure', status: { runStrategy: 'Halted' } });
    expect(action(decideVm({ vm: switched, vmi: undefined, now: NOW }))).toBe('create');
  });
});

describe('state change requests', () => {
  test('Manual starts on a Start request and clears it once the VMI exists', () => {
    const requested = vm({ runStrategy: 'Manual', status: { stateChangeRequests: [{ action: 'Start' }] } });
    const first = reconcileVm({ vm: requested, vmi: undefined, now: NOW });
    expect(first.createVmi?.metadata?.name).toBe('demo');
    expect(first.status.stateChangeRequests).toEqual([{ action: 'Start' }]);
    expect(first.status.printableStatus).toBe('Starting');
    const second = reconcileVm({ vm: requested, vmi: vmi('Scheduling'), now: NOW });
    expect(second.status.stateChangeRequests).toBeUndefined();
  });

  test('a Stop request deletes only the VMI it names, and is cleared once that VMI is gone', () => {
    const stop = vm({
      runStrategy: 'Manual',
      status: { stateChangeRequests: [{ action: 'Stop', uid: 'vmi-uid' }] },
    });
    expect(decideVm({ vm: stop, vmi: vmi('Running'), now: NOW }).deleteVmi).toEqual({
      name: 'demo',
      uid: 'vmi-uid',
    });
    expect(decideVm({ vm: stop, vmi: vmi('Running', { uid: 'other' }), now: NOW }).deleteVmi).toBeUndefined();
    expect(
      reconcileVm({ vm: stop, vmi: vmi('Running', { uid: 'other' }), now: NOW }).status.stateChangeRequests,
    ).toBeUndefined();
    expect(reconcileVm({ vm: stop, vmi: undefined, now: NOW }).status.stateChangeRequests).toBeUndefined();
  });

  test('Always restarts on a Stop request for the current VMI (virtctl restart)', () => {
    const restart = vm({
      runStrategy: 'Always',
      status: { stateChangeRequests: [{ action: 'Stop', uid: 'vmi-uid' }, { action: 'Start' }] },
    });
    const d = reconcileVm({ vm: restart, vmi: vmi('Running', { ran: true }), now: NOW });
    expect(d.deleteVmi?.uid).toBe('vmi-uid');
    expect(d.status.printableStatus).toBe('Stopping');
    // Once the VMI is gone the Stop is dropped and the Start remains until the new VMI exists.
    const next = reconcileVm({ vm: restart, vmi: undefined, now: NOW });
    expect(next.status.stateChangeRequests).toEqual([{ action: 'Start' }]);
    expect(next.createVmi).toBeDefined();
  });

  test('Halted with a Start request switches the VM to Always, as KubeVirt does', () => {
    expect(
      decideVm({
        vm: vm({ runStrategy: 'Halted', status: { stateChangeRequests: [{ action: 'Start' }] } }),
        vmi: undefined,
        now: NOW,
      }).specPatch,
    ).toEqual({ runStrategy: 'Always' });
    expect(
      decideVm({
        vm: vm({ running: false, status: { stateChangeRequests: [{ action: 'Start' }] } }),
        vmi: undefined,
        now: NOW,
      }).specPatch,
    ).toEqual({ running: true });
  });

  test('a Start request with paused: "true" starts the VMI paused', () => {
    const d = decideVm({
      vm: vm({
        runStrategy: 'Always',
        status: { stateChangeRequests: [{ action: 'Start', data: { paused: 'true' } }] },
      }),
      vmi: undefined,
      now: NOW,
    });
    expect(d.createVmi?.spec.startStrategy).toBe('Paused');
  });
});

describe('crash-loop back-off', () => {
  test('a VMI that fails before Running is counted and delays the next start', () => {
    const first = reconcileVm({
      vm: vm({ runStrategy: 'Always' }),
      vmi: vmi('Failed'),
      now: NOW,
      random: noRandom,
    });
    expect(first.status.startFailure).toEqual({
      consecutiveFailCount: 1,
      lastFailedVMIUID: 'vmi-uid',
      retryAfterTimestamp: '2025-01-01T12:00:10Z',
    });
    expect(first.deleteVmi).toBeDefined();
    // Next round: the VMI is gone, the start waits for retryAfterTimestamp.
    const waiting = reconcileVm({
      vm: vm({ runStrategy: 'Always', status: first.status }),
      vmi: undefined,
      now: NOW,
      random: noRandom,
    });
    expect(waiting.createVmi).toBeUndefined();
    expect(waiting.requeueAfterMs).toBe(10_000);
    expect(waiting.status.printableStatus).toBe('CrashLoopBackOff');
    const later = reconcileVm({
      vm: vm({ runStrategy: 'Always', status: first.status }),
      vmi: undefined,
      now: new Date(NOW.getTime() + 10_000),
      random: noRandom,
    });
    expect(later.createVmi).toBeDefined();
  });

  test('the same failed VMI is counted once; a second failure grows the delay', () => {
    const once = reconcileVm({
      vm: vm({ runStrategy: 'Always' }),
      vmi: vmi('Failed'),
      now: NOW,
      random: noRandom,
    }).status;
    expect(
      reconcileVm({
        vm: vm({ runStrategy: 'Always', status: once }),
        vmi: vmi('Failed'),
        now: NOW,
        random: noRandom,
      }).status.startFailure,
    ).toEqual(once.startFailure);
    const twice = reconcileVm({
      vm: vm({ runStrategy: 'Always', status: once }),
      vmi: vmi('Failed', { uid: 'second' }),
      now: NOW,
      random: noRandom,
    }).status;
    expect(twice.startFailure).toMatchObject({
      consecutiveFailCount: 2,
      retryAfterTimestamp: '2025-01-01T12:00:40Z',
    });
  });

  test('a VMI that reached Running, or a Halted VM, clears the record', () => {
    const failing = {
      consecutiveFailCount: 3,
      lastFailedVMIUID: 'x',
      retryAfterTimestamp: '2025-01-01T12:05:00Z',
    };
    expect(
      reconcileVm({
        vm: vm({ runStrategy: 'Always', status: { startFailure: failing } }),
        vmi: vmi('Running', { ran: true }),
        now: NOW,
      }).status.startFailure,
    ).toBeUndefined();
    expect(
      reconcileVm({
        vm: vm({ runStrategy: 'Halted', status: { startFailure: failing } }),
        vmi: undefined,
        now: NOW,
      }).status.startFailure,
    ).toBeUndefined();
  });
});

describe('status', () => {
  test('printableStatus for each situation', () => {
    const p = (v: ReturnType<typeof vm>, i: ReturnType<typeof vmi> | undefined): string | undefined =>
      reconcileVm({ vm: v, vmi: i, now: NOW }).status.printableStatus;
    expect(p(vm({ runStrategy: 'Halted' }), undefined)).toBe('Stopped');
    expect(p(vm({ runStrategy: 'Always' }), undefined)).toBe('Starting');
    expect(p(vm({ runStrategy: 'Always' }), vmi('Pending'))).toBe('Starting');
    expect(p(vm({ runStrategy: 'Always' }), vmi('Scheduled'))).toBe('Starting');
    expect(p(vm({ runStrategy: 'Always' }), vmi('Scheduling', { unschedulable: true }))).toBe(
      'ErrorUnschedulable',
    );
    expect(p(vm({ runStrategy: 'Always' }), vmi('Running', { ready: true }))).toBe('Running');
    expect(p(vm({ runStrategy: 'Always' }), vmi('Running', { paused: true }))).toBe('Paused');
    expect(p(vm({ runStrategy: 'Halted' }), vmi('Running'))).toBe('Stopping');
    expect(p(vm({ runStrategy: 'Once' }), vmi('Succeeded', { ran: true }))).toBe('Stopped');
    expect(p(vm({ runStrategy: 'Always', deleting: true }), vmi('Running'))).toBe('Terminating');
    expect(p(vm({ runStrategy: 'Manual' }), vmi('Unknown'))).toBe('Unknown');
  });

  test('volumes: Provisioning, then WaitingForVolumeBinding only for a VM set to start, DataVolumeError first', () => {
    const p = (
      v: ReturnType<typeof vm>,
      i: ReturnType<typeof vmi> | undefined,
      volumes: {
        dataVolumesProvisioning?: boolean;
        waitingForVolumeBinding?: boolean;
        dataVolumeError?: boolean;
      },
    ): string | undefined => reconcileVm({ vm: v, vmi: i, now: NOW, ...volumes }).status.printableStatus;
    expect(p(vm({ runStrategy: 'Halted' }), undefined, { dataVolumesProvisioning: true })).toBe(
      'Provisioning',
    );
    expect(p(vm({ runStrategy: 'Always' }), vmi('Pending'), { waitingForVolumeBinding: true })).toBe(
      'WaitingForVolumeBinding',
    );
    // A stopped VM does not wait for anything.
    expect(p(vm({ runStrategy: 'Halted' }), undefined, { waitingForVolumeBinding: true })).toBe('Stopped');
    expect(
      p(vm({ runStrategy: 'Always' }), vmi('Pending'), {
        dataVolumeError: true,
        dataVolumesProvisioning: true,
        waitingForVolumeBinding: true,
      }),
    ).toBe('DataVolumeError');
    expect(
      p(vm({ runStrategy: 'Always' }), vmi('Running', { ready: true }), { waitingForVolumeBinding: true }),
    ).toBe('Running');
  });

  test('Ready, created, generations and runStrategy mirror the VMI', () => {
    const s = reconcileVm({
      vm: vm({ runStrategy: 'Always' }),
      vmi: vmi('Running', { ready: true, ran: true }),
      now: NOW,
    }).status;
    expect(s).toMatchObject({
      created: true,
      ready: true,
      observedGeneration: 2,
      desiredGeneration: 3,
      runStrategy: 'Always',
    });
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const stopped = reconcileVm({ vm: vm({ runStrategy: 'Halted' }), vmi: undefined, now: NOW }).status;
    expect(stopped).toMatchObject({ created: false, ready: false, printableStatus: 'Stopped' });
    expect(stopped.runStrategy).toBeUndefined();
    expect(stopped.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'VMINotExists',
    });
  });

  test('an unchanged state produces an identical status (no write loop)', () => {
    const first = reconcileVm({ vm: vm({ runStrategy: 'Halted' }), vmi: undefined, now: NOW }).status;
    const again = reconcileVm({
      vm: vm({ runStrategy: 'Halted', status: first }),
      vmi: undefined,
      now: new Date(NOW.getTime() + 60_000),
    }).status;
    expect(again).toEqual(first);
  });

  test('VMI conditions other than Ready are copied; a Paused VMI makes the VM Paused', () => {
    const s = reconcileVm({
      vm: vm({ runStrategy: 'Always' }),
      vmi: vmi('Running', { paused: true, ready: true }),
      now: NOW,
    }).status;
    expect(s.conditions?.map((c) => c.type).sort()).toEqual(['Paused', 'Ready']);
  });
});

describe('finalizer and deletion', () => {
  test('a VM without the finalizer gets it', () => {
    expect(
      decideVm({ vm: vm({ runStrategy: 'Halted', finalizer: false }), vmi: undefined, now: NOW })
        .addFinalizer,
    ).toBe(true);
  });

  test('a deleted VM deletes its VMI first, then drops its finalizer once the VMI is gone', () => {
    expect(
      decideVm({ vm: vm({ runStrategy: 'Always', deleting: true }), vmi: vmi('Running'), now: NOW })
        .deleteVmi,
    ).toEqual({ name: 'demo', uid: 'vmi-uid' });
    const waiting = decideVm({
      vm: vm({ runStrategy: 'Always', deleting: true }),
      vmi: vmi('Running', { deleting: true }),
      now: NOW,
    });
    expect(waiting).toMatchObject({ removeFinalizer: false });
    expect(
      decideVm({ vm: vm({ runStrategy: 'Always', deleting: true }), vmi: undefined, now: NOW })
        .removeFinalizer,
    ).toBe(true);
  });

  test('the VM finalizer on a final VMI is released', () => {
    expect(
      decideVm({ vm: vm({ runStrategy: 'Once' }), vmi: vmi('Succeeded', { ran: true }), now: NOW })
        .releaseVmi,
    ).toEqual({ name: 'demo', uid: 'vmi-uid', finalizers: [VM_CONTROLLER_FINALIZER] });
  });

  test('a VMI of the same name owned by something else is reported, not touched', () => {
    const foreign = vmi('Running');
    foreign.metadata!.ownerReferences = [];
    const d = reconcileVm({ vm: vm({ runStrategy: 'Halted' }), vmi: foreign, now: NOW });
    expect(d.deleteVmi).toBeUndefined();
    expect(d.status.conditions?.find((c) => c.type === 'Failure')?.message).toMatch(
      /not controlled by this VirtualMachine/,
    );
  });
});

describe('the VMI created from the VM', () => {
  test('name, labels, annotations, owner, finalizer and generation', () => {
    const created = decideVm({ vm: vm({ runStrategy: 'Always' }), vmi: undefined, now: NOW }).createVmi!;
    expect(created.metadata).toEqual({
      name: 'demo',
      namespace: 'ns',
      labels: { 'kubevirt.io/vm': 'demo' },
      annotations: { note: 'x', 'kubevirt.io/vm-generation': '3' },
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          name: 'demo',
          uid: 'vm-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      finalizers: [VM_CONTROLLER_FINALIZER],
    });
    expect(created.spec).toEqual({ domain: { devices: {}, memory: { guest: '64Mi' } } });
  });
});

describe('a VM being restored (status.restoreInProgress)', () => {
  const restoring = { restoreInProgress: 'rollback' };

  test.each<RunStrategy>(['Always', 'RerunOnFailure', 'Once'])(
    '%s creates no VMI and sends no event',
    (strategy) => {
      const d = reconcileVm({
        vm: vm({ runStrategy: strategy, status: restoring }),
        vmi: undefined,
        now: NOW,
      });
      expect(action(d)).toBe('none');
      expect(d.events).toEqual([]);
      expect(d.syncError).toBeUndefined();
      expect(d.requeueAfterMs).toBeUndefined();
    },
  );

  test('a Start request waits, queued, for the restore to finish (Manual, and Halted without switching to Always)', () => {
    const requests = { ...restoring, stateChangeRequests: [{ action: 'Start' as const }] };
    for (const runStrategy of ['Manual', 'Halted'] as const) {
      const d = reconcileVm({ vm: vm({ runStrategy, status: requests }), vmi: undefined, now: NOW });
      expect(action(d)).toBe('none');
      expect(d.specPatch).toBeUndefined();
      expect(d.events).toEqual([]);
      expect(d.status.stateChangeRequests).toEqual([{ action: 'Start' }]);
    }
  });

  test('starts as usual once the restore has cleared the field', () => {
    const d = decideVm({ vm: vm({ runStrategy: 'Always', status: {} }), vmi: undefined, now: NOW });
    expect(action(d)).toBe('create');
  });

  test('a VMI already there is still stopped when asked', () => {
    const d = decideVm({
      vm: vm({ runStrategy: 'Halted', status: restoring }),
      vmi: vmi('Running'),
      now: NOW,
    });
    expect(action(d)).toBe('delete');
  });
});

describe('the locks other controllers hold in the VM status', () => {
  test('vmStatus keeps restoreInProgress and snapshotInProgress as they are', () => {
    const locks = { restoreInProgress: 'rollback', snapshotInProgress: 'nightly' };
    for (const [strategy, phase] of [
      ['Halted', undefined],
      ['Always', 'Running'],
      ['Always', undefined],
    ] as const) {
      const status = reconcileVm({
        vm: vm({ runStrategy: strategy, status: locks }),
        vmi: phase ? vmi(phase) : undefined,
        now: NOW,
      }).status;
      expect(status).toMatchObject(locks);
    }
    // And never invents them.
    const plain = reconcileVm({ vm: vm({ runStrategy: 'Always' }), vmi: vmi('Running'), now: NOW }).status;
    expect(plain.restoreInProgress).toBeUndefined();
    expect(plain.snapshotInProgress).toBeUndefined();
  });
});
