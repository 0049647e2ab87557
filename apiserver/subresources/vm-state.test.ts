import type { VirtualMachine, VirtualMachineInstance, VirtualMachineStatus } from '../../api/kubevirt/v1';
import {
  decideVmState,
  MESSAGES,
  parseVmStateOptions,
  PATCH_NOT_APPLIED,
  vmNotFound,
  vmWriteFailure,
  type VmStateDecision,
  type VmStateOptions,
  type VmStateVerb,
} from './vm-state';

type Phase = 'none' | 'unset' | 'Pending' | 'Scheduling' | 'Running' | 'Unknown' | 'Succeeded' | 'Failed';
const PHASES: Phase[] = [
  'none',
  'unset',
  'Pending',
  'Scheduling',
  'Running',
  'Unknown',
  'Succeeded',
  'Failed',
];

function vm(
  spec: Record<string, unknown> = { runStrategy: 'Always' },
  status?: VirtualMachineStatus,
): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'ns', uid: 'vm-uid' },
    spec: { ...spec, template: { spec: { domain: { devices: {} } } } } as VirtualMachine['spec'],
    ...(status ? { status } : {}),
  };
}

function vmi(phase: Phase, grace?: number): VirtualMachineInstance | undefined {
  if (phase === 'none') return undefined;
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: 'ns', uid: 'vmi-uid' },
    spec: {
      domain: { devices: {} },
      ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
    },
    ...(phase === 'unset' ? {} : { status: { phase } }),
  } as VirtualMachineInstance;
}

function options(verb: VmStateVerb, body: unknown = undefined): VmStateOptions {
  const p = parseVmStateOptions(verb, body);
  if ('refusal' in p) throw new Error(`unexpected refusal ${JSON.stringify(p.refusal)}`);
  return p.options;
}

function decide(
  verb: VmStateVerb,
  v: VirtualMachine,
  i: VirtualMachineInstance | undefined,
  body?: unknown,
): VmStateDecision {
  return decideVmState({ name: 'web', options: options(verb, body), vm: v, vmi: i });
}

/** A short, comparable summary: what is written where, or the code and message of the refusal. */
function summary(d: VmStateDecision): string {
  if (d.refusal) {
    const b = d.refusal.body as { code: number; message: string };
    return `${b.code} ${b.message}`;
  }
  const w = d.writes;
  const last = w.vm.ops[w.vm.ops.length - 1] as { path: string; value: unknown };
  if (w.vm.subresource !== 'status') return `spec ${String(last.value)}`;
  const value = last.value as { stateChangeRequests?: { action: string; data?: unknown }[] };
  const reqs = (Array.isArray(value) ? value : (value.stateChangeRequests ?? [])) as {
    action: string;
    data?: Record<string, string>;
  }[];
  return `status ${reqs.map((r) => r.action + (r.data?.paused ? '(paused)' : '')).join(',')}`;
}

const conflict = (why: string): string =>
  `409 Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": ${why}`;

describe('start: every run strategy x VMI state', () => {
  const live = new Set<Phase>(['Pending', 'Scheduling', 'Running']);
  const expected = (strategy: string, phase: Phase): string => {
    if (live.has(phase)) return conflict(MESSAGES.alreadyRunning);
    const final = phase === 'Succeeded' || phase === 'Failed';
    switch (strategy) {
      case 'Halted':
        return 'spec Always';
      case 'Manual':
        return final ? 'status Stop,Start' : 'status Start';
      case 'RerunOnFailure':
        if (phase === 'Failed') return conflict(MESSAGES.rerunFromFailed);
        return phase === 'Succeeded' ? 'status Stop,Start' : 'status Start';
      default:
        return conflict(`${strategy} does not support manual start requests`);
    }
  };
  const cases = ['Always', 'RerunOnFailure', 'Once', 'Manual', 'Halted'].flatMap((s) =>
    PHASES.map((p) => [s, p, expected(s, p)] as const),
  );
  test.each(cases)('%s, VMI %s -> %s', (strategy, phase, want) => {
    expect(summary(decide('start', vm({ runStrategy: strategy }), vmi(phase)))).toBe(want);
  });

  test('paused: Halted sends a Start request with data paused: "true" (not a spec change); Manual carries it too', () => {
    const halted = decide('start', vm({ runStrategy: 'Halted' }), undefined, { paused: true });
    expect(halted.writes).toEqual({
      vm: {
        subresource: 'status',
        ops: [
          {
            op: 'add',
            path: '/status',
            value: { stateChangeRequests: [{ action: 'Start', data: { paused: 'true' } }] },
          },
        ],
      },
      dryRun: false,
    });
    expect(summary(decide('start', vm({ runStrategy: 'Manual' }), vmi('Succeeded'), { paused: true }))).toBe(
      'status Stop,Start(paused)',
    );
  });

  test('the Halted spec patch is guarded by the old value; running: false becomes running: true', () => {
    expect(decide('start', vm({ runStrategy: 'Halted' }), undefined).writes?.vm).toEqual({
      ops: [
        { op: 'test', path: '/spec/runStrategy', value: 'Halted' },
        { op: 'replace', path: '/spec/runStrategy', value: 'Always' },
      ],
    });
    expect(decide('start', vm({ running: false }), undefined).writes?.vm.ops).toEqual([
      { op: 'test', path: '/spec/running', value: false },
      { op: 'replace', path: '/spec/running', value: true },
    ]);
    // Neither field (only a VM stored without admission): the wish goes to runStrategy.
    expect(decide('start', vm({}), undefined).writes?.vm.ops).toEqual([
      { op: 'test', path: '/spec/running', value: null },
      { op: 'add', path: '/spec/runStrategy', value: 'Always' },
    ]);
  });

  test('running: true is Always and refused; both fields set is an internal error', () => {
    expect(summary(decide('start', vm({ running: true }), undefined))).toBe(
      conflict('Always does not support manual start requests'),
    );
    expect(summary(decide('start', vm({ running: true, runStrategy: 'Manual' }), undefined))).toBe(
      `500 Internal error occurred: ${MESSAGES.mutuallyExclusive}`,
    );
  });

  test('a run strategy the verbs do not handle (WaitAsReceiver) is refused, not silently accepted', () => {
    expect(summary(decide('start', vm({ runStrategy: 'WaitAsReceiver' }), undefined))).toBe(
      conflict('WaitAsReceiver does not support manual start requests'),
    );
    expect(summary(decide('stop', vm({ runStrategy: 'WaitAsReceiver' }), vmi('Running')))).toBe(
      conflict('WaitAsReceiver does not support manual stop requests'),
    );
  });

  test('a VM waiting for manual recovery of a volume migration is not started', () => {
    const stuck = vm(
      { runStrategy: 'Manual' },
      {
        conditions: [{ type: 'ManualRecoveryRequired' as never, status: 'True' }],
      },
    );
    expect(summary(decide('start', stuck, undefined))).toBe(conflict(MESSAGES.manualRecovery));
  });

  test('a VM being restored is not started, whatever its run strategy, and says how to go on', () => {
    for (const runStrategy of ['Halted', 'Manual', 'RerunOnFailure']) {
      const restoring = vm({ runStrategy }, { restoreInProgress: 'rollback' });
      const d = decide('start', restoring, undefined);
      expect(d.writes).toBeUndefined();
      expect(summary(d)).toBe(
        conflict(
          'Cannot start VM until restore "rollback" completes; status.restoreInProgress of VirtualMachine ns/web names it: wait for VirtualMachineRestore ns/rollback to complete (status.complete: true) or delete it, then start the VM',
        ),
      );
    }
    // Stopping it stays possible; once the restore is done it starts as usual.
    expect(
      summary(decide('stop', vm({ runStrategy: 'Always' }, { restoreInProgress: 'r' }), undefined)),
    ).toBe('spec Halted');
    expect(
      summary(decide('start', vm({ runStrategy: 'Halted' }, { restoreInProgress: '' }), undefined)),
    ).toBe('spec Always');
  });
});

describe('stop: every run strategy x VMI state', () => {
  const expected = (strategy: string, phase: Phase): string => {
    const live = phase !== 'none' && phase !== 'Succeeded' && phase !== 'Failed';
    switch (strategy) {
      case 'Always':
      case 'Once':
        return 'spec Halted';
      case 'Manual':
      case 'RerunOnFailure':
        return live ? 'status Stop' : conflict(MESSAGES.notRunning);
      default:
        return live ? conflict(MESSAGES.haltedStop) : conflict(MESSAGES.notRunning);
    }
  };
  const cases = ['Always', 'RerunOnFailure', 'Once', 'Manual', 'Halted'].flatMap((s) =>
    PHASES.map((p) => [s, p, expected(s, p)] as const),
  );
  test.each(cases)('%s, VMI %s -> %s', (strategy, phase, want) => {
    expect(summary(decide('stop', vm({ runStrategy: strategy }), vmi(phase)))).toBe(want);
  });

  test('the Stop request names the VMI by uid, and a stop replaces pending requests', () => {
    const pending = vm({ runStrategy: 'Manual' }, { stateChangeRequests: [{ action: 'Start' }] });
    expect(decide('stop', pending, vmi('Running')).writes?.vm.ops).toEqual([
      { op: 'test', path: '/status/stateChangeRequests', value: [{ action: 'Start' }] },
      { op: 'replace', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'vmi-uid' }] },
    ]);
  });

  test('gracePeriod sets the live VMI terminationGracePeriodSeconds first (with the patch that undoes it)', () => {
    const d = decide('stop', vm({ runStrategy: 'Manual' }), vmi('Running', 180), { gracePeriod: 5 });
    expect(d.writes?.vmi).toEqual({
      ops: [
        { op: 'test', path: '/spec/terminationGracePeriodSeconds', value: 180 },
        { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: 5 },
      ],
      rollback: [
        { op: 'test', path: '/spec/terminationGracePeriodSeconds', value: 5 },
        { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: 180 },
      ],
    });
    // A VMI without the field gets it added (and removed again on rollback).
    const unset = decide('stop', vm({ runStrategy: 'Always' }), vmi('Running'), { gracePeriod: 0 });
    expect(unset.writes?.vmi?.ops[1]).toEqual({
      op: 'add',
      path: '/spec/terminationGracePeriodSeconds',
      value: 0,
    });
    expect(unset.writes?.vmi?.rollback[1]).toEqual({
      op: 'remove',
      path: '/spec/terminationGracePeriodSeconds',
    });
    expect(summary(unset)).toBe('spec Halted');
    // No live VMI: nothing to shorten.
    expect(
      decide('stop', vm({ runStrategy: 'Always' }), vmi('Succeeded'), { gracePeriod: 0 }).writes?.vmi,
    ).toBeUndefined();
    expect(
      decide('stop', vm({ runStrategy: 'Always' }), undefined, { gracePeriod: 0 }).writes?.vmi,
    ).toBeUndefined();
  });

  test('Halted: only a shorter grace period than the stopping VMI has', () => {
    const halted = vm({ runStrategy: 'Halted' });
    expect(summary(decide('stop', halted, vmi('Running', 30), { gracePeriod: 30 }))).toBe(
      conflict(MESSAGES.haltedStop),
    );
    expect(summary(decide('stop', halted, vmi('Running', 30), { gracePeriod: 60 }))).toBe(
      conflict(MESSAGES.haltedStop),
    );
    const shorter = decide('stop', halted, vmi('Running', 30), { gracePeriod: 0 });
    expect(summary(shorter)).toBe('status Stop');
    expect(shorter.writes?.vmi?.ops[1]).toEqual({
      op: 'replace',
      path: '/spec/terminationGracePeriodSeconds',
      value: 0,
    });
    // A VMI that never set it accepts any grace period, as KubeVirt.
    expect(summary(decide('stop', halted, vmi('Running'), { gracePeriod: 600 }))).toBe('status Stop');
  });

  test('deprecated running: true stops as running: false', () => {
    expect(decide('stop', vm({ running: true }), vmi('Running')).writes?.vm.ops).toEqual([
      { op: 'test', path: '/spec/running', value: true },
      { op: 'replace', path: '/spec/running', value: false },
    ]);
  });
});

describe('restart: every run strategy x VMI state', () => {
  const expected = (strategy: string, phase: Phase): string => {
    if (strategy === 'Halted' || strategy === 'Once')
      return conflict(`RunStategy ${strategy} does not support manual restart requests`);
    return phase === 'none' ? conflict(MESSAGES.notRunningHalted) : 'status Stop,Start';
  };
  const cases = ['Always', 'RerunOnFailure', 'Once', 'Manual', 'Halted'].flatMap((s) =>
    PHASES.map((p) => [s, p, expected(s, p)] as const),
  );
  test.each(cases)('%s, VMI %s -> %s', (strategy, phase, want) => {
    expect(summary(decide('restart', vm({ runStrategy: strategy }), vmi(phase)))).toBe(want);
  });

  test('the requests: Stop for this VMI, then Start; gracePeriodSeconds 0 gives the VMI 1 s first', () => {
    const d = decide(
      'restart',
      vm({ runStrategy: 'Always' }, { printableStatus: 'Running' }),
      vmi('Running', 180),
      {
        gracePeriodSeconds: 0,
      },
    );
    expect(d.writes).toEqual({
      vmi: {
        ops: [
          { op: 'test', path: '/spec/terminationGracePeriodSeconds', value: 180 },
          { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: 1 },
        ],
        rollback: [
          { op: 'test', path: '/spec/terminationGracePeriodSeconds', value: 1 },
          { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: 180 },
        ],
      },
      vm: {
        subresource: 'status',
        ops: [
          { op: 'test', path: '/status/stateChangeRequests', value: null },
          {
            op: 'add',
            path: '/status/stateChangeRequests',
            value: [{ action: 'Stop', uid: 'vmi-uid' }, { action: 'Start' }],
          },
        ],
      },
      dryRun: false,
    });
  });

  test('gracePeriodSeconds other than 0 is refused before the VM is read', () => {
    const p = parseVmStateOptions('restart', { gracePeriodSeconds: 30 });
    expect('refusal' in p && p.refusal).toMatchObject({
      status: 400,
      body: { reason: 'BadRequest', message: MESSAGES.forceRestartOnlyZero },
    });
    const n = parseVmStateOptions('restart', { gracePeriodSeconds: -1 });
    expect('refusal' in n && n.refusal.body).toMatchObject({ message: MESSAGES.negativeGrace });
  });

  test('a VM in the middle of a volume change is not restarted', () => {
    const changing = vm(
      { runStrategy: 'Always' },
      { conditions: [{ type: 'VolumesChange' as never, status: 'True' }] },
    );
    expect(summary(decide('restart', changing, vmi('Running')))).toBe(conflict(MESSAGES.manualRecovery));
  });
});

describe('status.stateChangeRequests patches', () => {
  test('a VM without status gets the whole status; with one, a test of the list then an add', () => {
    expect(decide('start', vm({ runStrategy: 'Manual' }), undefined).writes?.vm.ops).toEqual([
      { op: 'add', path: '/status', value: { stateChangeRequests: [{ action: 'Start' }] } },
    ]);
    // A status with only zero values is empty, as Go's semantic equality says.
    expect(
      decide('start', vm({ runStrategy: 'Manual' }, { created: false, ready: false }), undefined).writes?.vm
        .ops[0],
    ).toEqual({
      op: 'add',
      path: '/status',
      value: { stateChangeRequests: [{ action: 'Start' }] },
    });
    const withStatus = vm({ runStrategy: 'Manual' }, { printableStatus: 'Stopped', stateChangeRequests: [] });
    expect(decide('start', withStatus, undefined).writes?.vm.ops).toEqual([
      { op: 'test', path: '/status/stateChangeRequests', value: [] },
      { op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Start' }] },
    ]);
  });

  test('a start or restart with a request pending is an internal error, as in virt-api', () => {
    const pending = vm(
      { runStrategy: 'Manual' },
      { stateChangeRequests: [{ action: 'Stop', uid: 'vmi-uid' }] },
    );
    expect(summary(decide('start', pending, undefined))).toBe(
      `500 Internal error occurred: ${MESSAGES.pendingRequest}`,
    );
    expect(summary(decide('restart', pending, vmi('Running')))).toBe(
      `500 Internal error occurred: ${MESSAGES.pendingRequest}`,
    );
  });

  test('a recorded start failure is removed with the request', () => {
    const backingOff = vm(
      { runStrategy: 'Manual' },
      { startFailure: { consecutiveFailCount: 2, retryAfterTimestamp: '2025-01-01T00:00:00Z' } },
    );
    expect(decide('start', backingOff, vmi('Failed')).writes?.vm.ops).toEqual([
      { op: 'test', path: '/status/stateChangeRequests', value: null },
      {
        op: 'add',
        path: '/status/stateChangeRequests',
        value: [{ action: 'Stop', uid: 'vmi-uid' }, { action: 'Start' }],
      },
      { op: 'remove', path: '/status/startFailure' },
    ]);
  });
});

describe('request bodies', () => {
  test('no body, an empty object and unknown fields are all the defaults', () => {
    expect(options('start')).toEqual({ verb: 'start', paused: false, dryRun: false });
    expect(options('stop', {})).toEqual({ verb: 'stop', gracePeriod: undefined, dryRun: false });
    expect(
      options('restart', { kind: 'RestartOptions', apiVersion: 'subresources.kubevirt.io/v1', x: 1 }),
    ).toEqual({
      verb: 'restart',
      gracePeriodSeconds: undefined,
      dryRun: false,
    });
  });

  test('virtctl\'s fields: paused, gracePeriod, gracePeriodSeconds, dryRun ["All"]', () => {
    expect(options('start', { paused: true, dryRun: ['All'] })).toEqual({
      verb: 'start',
      paused: true,
      dryRun: true,
    });
    expect(options('stop', { gracePeriod: 0 })).toMatchObject({ gracePeriod: 0 });
    expect(options('restart', { gracePeriodSeconds: 0, dryRun: [] })).toMatchObject({
      gracePeriodSeconds: 0,
      dryRun: false,
    });
  });

  test.each([
    ['start', 'yes', /the body must be a StartOptions object/],
    ['start', { paused: 'true' }, /StartOptions\.paused must be true or false/],
    ['stop', { gracePeriod: 1.5 }, /StopOptions\.gracePeriod must be a whole number/],
    ['stop', { dryRun: 'All' }, /StopOptions\.dryRun must be a list of strings/],
    ['restart', { dryRun: ['Some'] }, /dryRun: Unsupported value: "Some": supported values: "All"/],
  ] as const)('%s with %j is a 400', (verb, body, message) => {
    const p = parseVmStateOptions(verb, body);
    expect('refusal' in p).toBe(true);
    if ('refusal' in p) {
      expect(p.refusal.status).toBe(400);
      expect((p.refusal.body as { message: string }).message).toMatch(message);
    }
  });

  test('dryRun is carried into the writes', () => {
    expect(
      decide('stop', vm({ runStrategy: 'Always' }), vmi('Running'), { dryRun: ['All'] }).writes?.dryRun,
    ).toBe(true);
  });
});

describe("KubeVirt's Status objects", () => {
  test('a conflict names the resource, the VM and the reason', () => {
    expect(decide('start', vm({ runStrategy: 'Always' }), vmi('Running')).refusal).toEqual({
      status: 409,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM is already running',
        reason: 'Conflict',
        details: { name: 'web', group: 'kubevirt.io', kind: 'virtualmachine' },
        code: 409,
      },
    });
  });

  test('not found, and failed writes: a lost test is a conflict, anything else an internal error', () => {
    expect(vmNotFound('web').body).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'virtualmachine.kubevirt.io "web" not found',
    });
    expect(vmWriteFailure('web', 422, PATCH_NOT_APPLIED).body).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": jsonpatch test operation does not apply: the VM changed while the request was handled; try again',
    });
    expect(vmWriteFailure('web', 409, 'the object has been modified').body).toMatchObject({
      message:
        'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": the object has been modified',
    });
    expect(vmWriteFailure('web', 422, 'spec.runStrategy: Unsupported value').body).toMatchObject({
      code: 500,
      reason: 'InternalError',
      message: 'Internal error occurred: spec.runStrategy: Unsupported value',
      details: { causes: [{ message: 'spec.runStrategy: Unsupported value' }] },
    });
  });
});
