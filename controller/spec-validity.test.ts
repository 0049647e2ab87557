import { decideVm, vmStatus } from './vm/desired';
import { NOW, vm, vmi as vmVmi } from './vm/fixtures';
import { decideVmi } from './vmi/phase';
import { INVALID_SPEC_REASON, SpecValidity } from '../api/validation/spec-validity';

describe('the runtime re-checks what it acts on', () => {
  const invalidVm = (): ReturnType<typeof vm> => {
    const v = vm({ runStrategy: 'Always' });
    // A disk whose volume is missing: refused by admission, but stored here without it.
    (v.spec!.template!.spec as { domain: { devices: { disks?: unknown[] } } }).domain.devices.disks = [
      { name: 'root', disk: { bus: 'virtio' } },
    ];
    return v;
  };

  test('an invalid VM is found once per generation and cached', () => {
    const validity = new SpecValidity();
    const v = invalidVm();
    const first = validity.problems('ns/demo', v);
    expect(first.join()).toMatch(/disks\[0\]\.name: .*Name 'root' not found/);
    expect(validity.problems('ns/demo', v)).toBe(first);
    expect(validity.problems('ns/demo', vm({ runStrategy: 'Always' }))).toBe(first); // same uid and generation
    expect(validity.problems('ns/demo', vm({ runStrategy: 'Always', generation: 4 }))).toEqual([]);
    // A gone object is forgotten: a new one of the same name is checked afresh.
    validity.forget('ns/demo');
    expect(validity.problems('ns/demo', v)).not.toBe(first);
  });

  test('an invalid VM starts nothing, says why in its Failure condition, and warns once', () => {
    const specProblems = new SpecValidity().problems('ns/demo', invalidVm());
    const d = decideVm({ vm: invalidVm(), vmi: undefined, now: NOW, specProblems });
    expect(d.createVmi).toBeUndefined();
    expect(d.syncError?.reason).toBe(INVALID_SPEC_REASON);
    expect(d.events).toEqual([expect.objectContaining({ type: 'Warning', reason: INVALID_SPEC_REASON })]);
    const status = vmStatus({
      vm: invalidVm(),
      vmi: undefined,
      now: NOW,
      startExpected: false,
      stopExpected: false,
      syncError: d.syncError,
    });
    const told = { ...invalidVm(), status };
    expect(decideVm({ vm: told, vmi: undefined, now: NOW, specProblems }).events).toEqual([]);
  });

  test('an invalid VM being deleted still stops its VMI', () => {
    const v = {
      ...invalidVm(),
      metadata: { ...invalidVm().metadata, deletionTimestamp: '2025-01-01T11:59:00Z' },
    };
    const d = decideVm({ vm: v, vmi: vmVmi('Running'), now: NOW, specProblems: ['x: bad'] });
    expect(d.deleteVmi).toBeDefined();
  });

  test('an invalid VMI gets no launcher pod, a Synchronized=False condition and one Warning', () => {
    const fresh = { ...vmVmi(undefined), status: {} };
    const d = decideVmi({ vmi: fresh, pods: [], now: NOW, specProblems: ['spec.volumes[0].name: bad'] });
    expect(d.createPod).toBeUndefined();
    expect(d.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Synchronized', status: 'False', reason: INVALID_SPEC_REASON }),
      ]),
    );
    expect(d.events.map((e) => e.reason)).toEqual([INVALID_SPEC_REASON]);
    const again = decideVmi({
      vmi: { ...fresh, status: d.status },
      pods: [],
      now: NOW,
      specProblems: ['spec.volumes[0].name: bad'],
    });
    expect(again.events).toEqual([]);
    // Once valid, the pod is created and the condition goes.
    const fixed = decideVmi({ vmi: { ...fresh, status: d.status }, pods: [], now: NOW, specProblems: [] });
    expect(fixed.createPod).toBe(true);
    expect(fixed.status.conditions?.some((c) => c.type === 'Synchronized')).toBe(false);
  });
});
