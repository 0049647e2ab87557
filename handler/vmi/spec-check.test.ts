import { INVALID_SPEC_REASON, SpecValidity } from '../../api/validation/spec-validity';
import type { ConditionLike } from '../../kube';
import { checkVmi, SYNCHRONIZED } from './spec-check';

const NOW = new Date('2025-01-01T12:00:00Z');

type Vmi = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; generation: number };
  spec: Record<string, unknown>;
  status?: { conditions?: ConditionLike[] };
};

function vmi(volumes: Record<string, unknown>[], disks = volumes.map((v) => ({ name: v.name }))): Vmi {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'demo', namespace: 'ns', uid: 'u-1', generation: 1 },
    spec: {
      domain: {
        resources: { requests: { memory: '128Mi' } },
        devices: { disks: disks.map((d) => ({ ...d, disk: { bus: 'virtio' } })) },
      },
      volumes,
    },
  };
}

const registryDisk = { name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } };
const localDisk = { name: 'root', containerDisk: { image: 'file:///srv/images/guest.qcow2' } };
const hostDisk = { name: 'data', hostDisk: { path: '/var/lib/images/data.img', type: 'Disk' } };

/** As the handler calls it: SpecValidity's verdict, the gates, the VMI. */
function check(v: Vmi, gates: string[] = []): ReturnType<typeof checkVmi> {
  return checkVmi({
    vmi: v,
    specProblems: new SpecValidity().problems('ns/demo', v),
    featureGates: new Set(gates),
    now: NOW,
  });
}

describe('the handler judges a VMI before it acts on it', () => {
  test('a valid VMI is acted on, with nothing to write and nothing to warn', () => {
    expect(check(vmi([registryDisk]))).toEqual({ act: true, problems: [] });
    // A gated feature whose gate is on is valid too.
    expect(check(vmi([localDisk, hostDisk]), ['LocalContainerDisk', 'HostDisk'])).toEqual({
      act: true,
      problems: [],
    });
  });

  test('an invalid VMI is not acted on: Synchronized=False InvalidSpec naming the field, one Warning', () => {
    const bad = vmi([registryDisk], [{ name: 'missing' }]);
    const c = check(bad);
    expect(c.act).toBe(false);
    expect(c.problems.join()).toMatch(/spec\.domain\.devices\.disks\[0\]\.Name 'missing' not found/);
    expect(c.conditions).toEqual([
      {
        type: SYNCHRONIZED,
        status: 'False',
        reason: INVALID_SPEC_REASON,
        message: expect.stringMatching(
          /^the VirtualMachineInstance is invalid and is not acted on until it is fixed: spec\.domain\.devices\.disks\[0\]/,
        ),
        lastProbeTime: null,
        lastTransitionTime: '2025-01-01T12:00:00Z',
      },
    ]);
    expect(c.event).toEqual({
      type: 'Warning',
      reason: INVALID_SPEC_REASON,
      message: c.conditions![0].message,
    });
  });

  test('a VMI using a gated feature whose gate is off is refused naming the field and the gate', () => {
    const c = check(vmi([localDisk, hostDisk]), ['LocalContainerDisk']);
    expect(c.act).toBe(false);
    expect(c.problems).toEqual([
      expect.stringMatching(/^spec\.volumes\[1\]\.hostDisk: HostDisk feature gate is not enabled/),
    ]);
    expect(c.event?.message).toContain('spec.volumes[1].hostDisk: HostDisk feature gate is not enabled');
    const none = check(vmi([localDisk]));
    expect(none.problems).toEqual([
      expect.stringMatching(/^spec\.volumes\[0\]\.containerDisk\.image: LocalContainerDisk feature gate/),
    ]);
  });

  test('a VMI with a feature virtkit cannot run yet (stored without the webhook) is refused naming it', () => {
    const v = vmi([registryDisk]);
    v.spec.networks = [{ name: 'blue', multus: { networkName: 'blue-net' } }];
    (v.spec.domain as { devices: Record<string, unknown> }).devices.interfaces = [
      { name: 'blue', macvtap: {} },
    ];
    const c = check(v);
    expect(c.act).toBe(false);
    expect(c.problems).toEqual([
      expect.stringMatching(
        /^spec\.domain\.devices\.interfaces\[0\]\.macvtap: the macvtap binding is not supported by virtkit yet/,
      ),
    ]);
    // The bridge binding on a Multus network runs.
    (v.spec.domain as { devices: Record<string, unknown> }).devices.interfaces = [
      { name: 'blue', bridge: {} },
    ];
    expect(check(v).act).toBe(true);
  });

  test('a refusal already on the VMI is not written or warned about again (one Event, not one per resync)', () => {
    const v = vmi([hostDisk]);
    const first = check(v);
    const told = { ...v, status: { conditions: first.conditions } };
    expect(check(told)).toEqual({ act: false, problems: first.problems });
    // A different refusal (another gate now missing too) is news: written and warned once more.
    const other = vmi([hostDisk, { ...localDisk, name: 'boot' }]);
    const again = check({ ...other, status: { conditions: first.conditions } });
    expect(again.event?.reason).toBe(INVALID_SPEC_REASON);
    expect(again.conditions).toHaveLength(1);
  });

  test('conditions others wrote are kept; once allowed, the refusal is taken back', () => {
    const ready: ConditionLike = { type: 'Ready', status: 'False', reason: 'PodNotExists' };
    const v = { ...vmi([hostDisk]), status: { conditions: [ready] } };
    const refused = check(v);
    expect(refused.conditions?.map((c) => c.type)).toEqual(['Ready', SYNCHRONIZED]);
    const allowed = check({ ...v, status: { conditions: refused.conditions } }, ['HostDisk']);
    expect(allowed).toEqual({ act: true, problems: [], conditions: [ready] });
    expect(allowed.event).toBeUndefined();
  });
});
