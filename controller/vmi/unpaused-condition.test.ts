import { unpausedConditionPatch } from './unpaused-condition';

const NOW = new Date('2026-12-04T21:00:00.123Z');
const running = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
const paused = {
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Paused', status: 'True' },
    ],
  },
};
const gate = (status: string) => ({ type: 'kubevirt.io/virtual-machine-unpaused', status });
const pod = (conditions?: { type: string; status: string }[], extra: Record<string, unknown> = {}) => ({
  ...extra,
  status: { phase: 'Running', ...(conditions ? { conditions } : {}) },
});

describe('the unpaused pod condition (the launcher pod readiness gate)', () => {
  it('is added True, with KubeVirt’s words, to a pod of a VMI that is not paused', () => {
    expect(unpausedConditionPatch(running, pod([{ type: 'PodScheduled', status: 'True' }]), NOW)).toEqual([
      {
        op: 'add',
        path: '/status/conditions/-',
        value: {
          type: 'kubevirt.io/virtual-machine-unpaused',
          status: 'True',
          reason: 'NotPaused',
          message: 'the virtual machine is not paused',
          lastProbeTime: '2026-12-04T21:00:00Z',
          lastTransitionTime: '2026-12-04T21:00:00Z',
        },
      },
    ]);
    // A pod with no conditions yet gets the list.
    expect(unpausedConditionPatch(running, pod(), NOW)).toEqual([
      { op: 'add', path: '/status/conditions', value: [expect.objectContaining({ status: 'True' })] },
    ]);
  });

  it('turns False while the VMI is paused, and True again after, replacing it where it is', () => {
    const conditions = [{ type: 'Ready', status: 'True' }, gate('True')];
    expect(unpausedConditionPatch(paused, pod(conditions), NOW)).toEqual([
      { op: 'test', path: '/status/conditions/1/type', value: 'kubevirt.io/virtual-machine-unpaused' },
      {
        op: 'replace',
        path: '/status/conditions/1',
        value: expect.objectContaining({
          status: 'False',
          reason: 'Paused',
          message: 'the virtual machine is paused',
        }),
      },
    ]);
    expect(unpausedConditionPatch(running, pod([gate('False')]), NOW)).toEqual([
      { op: 'test', path: '/status/conditions/0/type', value: 'kubevirt.io/virtual-machine-unpaused' },
      { op: 'replace', path: '/status/conditions/0', value: expect.objectContaining({ status: 'True' }) },
    ]);
  });

  it('writes nothing when the pod already says it, or a paused VMI’s pod has none (a missing gate is not ready)', () => {
    expect(unpausedConditionPatch(running, pod([gate('True')]), NOW)).toBeUndefined();
    expect(unpausedConditionPatch(paused, pod([gate('False')]), NOW)).toBeUndefined();
    expect(unpausedConditionPatch(paused, pod([]), NOW)).toBeUndefined();
  });

  it('leaves ended or terminating pods, and ended VMIs, alone', () => {
    expect(unpausedConditionPatch(running, { status: { phase: 'Succeeded' } }, NOW)).toBeUndefined();
    expect(
      unpausedConditionPatch(
        running,
        pod([], { metadata: { deletionTimestamp: '2026-12-04T20:00:00Z' } }),
        NOW,
      ),
    ).toBeUndefined();
    expect(unpausedConditionPatch({ status: { phase: 'Failed' } }, pod([]), NOW)).toBeUndefined();
  });
});
