import type { DomainStatus } from '../../launcher/runtime/domain-types';
import { pausedByUser, runningStatus, stoppedStatus, vmiStatusDiffers } from './vmi-status';

const domain = {
  name: 'a',
  namespace: 'ns',
  uuid: 'u',
  state: 'Running',
  reason: 'Booted',
  accelerator: 'tcg',
  softwareEmulation: true,
  acceleratorReason: 'x',
  vcpus: 2,
  guestMemoryBytes: 1,
  firmware: 'bios',
  disks: [],
  powerButtonPressed: false,
  interfaces: [{ name: 'default', mac: '52:54:00:00:00:01', model: 'virtio-net-pci', backend: 'user' }],
} as DomainStatus;
const now = new Date('2024-01-01T00:00:00Z');
const scheduled = {
  phase: 'Scheduled',
  phaseTransitionTimestamps: [{ phase: 'Scheduled', phaseTransitionTimestamp: 'earlier' }],
  conditions: [
    { type: 'Ready', status: 'False' as const, reason: 'GuestNotRunning' },
    { type: 'PodScheduled', status: 'True' as const },
  ],
};

describe('VMI status from the launcher', () => {
  it('a started guest makes the VMI Running and Ready, keeping other conditions', () => {
    const s = runningStatus(scheduled, domain, ['10.244.0.5'], now);
    expect(s.phase).toBe('Running');
    expect(s.phaseTransitionTimestamps).toEqual([
      ...scheduled.phaseTransitionTimestamps,
      { phase: 'Running', phaseTransitionTimestamp: '2024-01-01T00:00:00Z' },
    ]);
    expect(s.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(s.conditions.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    expect(s.interfaces).toEqual([
      {
        name: 'default',
        mac: '52:54:00:00:00:01',
        ipAddress: '10.244.0.5',
        ipAddresses: ['10.244.0.5'],
        podInterfaceName: 'eth0',
        infoSource: 'domain',
        queueCount: 1,
        linkState: 'up',
      },
    ]);
  });

  it('the pod-network interface carries every address of the launcher pod, none when it has none', () => {
    const dual = runningStatus(scheduled, domain, ['10.244.0.5', 'fd00:10:244::5'], now);
    expect(dual.interfaces?.[0]).toMatchObject({
      ipAddress: '10.244.0.5',
      ipAddresses: ['10.244.0.5', 'fd00:10:244::5'],
    });
    const none = runningStatus(scheduled, domain, [], now);
    expect(none.interfaces?.[0]).not.toHaveProperty('ipAddress');
    expect(none.interfaces?.[0]).not.toHaveProperty('ipAddresses');
  });

  it("a readinessProbe that has not passed keeps a running VMI not Ready, with the pod's words", () => {
    const waiting = runningStatus(scheduled, domain, ['10.244.0.5'], now, { ready: false });
    expect(waiting.phase).toBe('Running');
    expect(waiting.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [compute]',
    });
    const passed = runningStatus(
      { ...scheduled, conditions: waiting.conditions },
      domain,
      ['10.244.0.5'],
      now,
      {
        ready: true,
      },
    );
    expect(passed.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(passed.conditions.find((c) => c.type === 'Ready')?.reason).toBeUndefined();
  });

  it("on a kubelet node the launcher pod's Ready is copied with kubelet's reason and words", () => {
    const gated = runningStatus(scheduled, domain, ['10.244.0.5'], now, {
      ready: false,
      reason: 'ReadinessGatesNotReady',
      message:
        'the status of pod readiness gate "kubevirt.io/virtual-machine-unpaused" is not "True", but False',
    });
    expect(gated.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message:
        'the status of pod readiness gate "kubevirt.io/virtual-machine-unpaused" is not "True", but False',
    });
  });

  it('a user pause shows as the Paused condition', () => {
    const s = runningStatus(
      { ...scheduled, phase: 'Running' },
      { ...domain, state: 'Paused', reason: 'PausedUser' },
      ['10.244.0.5'],
      now,
    );
    expect(s.conditions.find((c) => c.type === 'Paused')).toMatchObject({
      status: 'True',
      reason: 'PausedByUser',
    });
    expect(s.phaseTransitionTimestamps).toHaveLength(1);
    // Not Ready while paused, in the words of the launcher pod's readiness gate (as KubeVirt's VMI).
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message:
        'the status of pod readiness gate "kubevirt.io/virtual-machine-unpaused" is not "True", but False',
    });
  });

  it('a guest started paused counts as paused by the user; unpausing clears the condition; an I/O error pause does not count', () => {
    const running = { ...scheduled, phase: 'Running' };
    const startPaused = runningStatus(
      running,
      { ...domain, state: 'Paused', reason: 'PausedStartingUp' },
      ['ip'],
      now,
    );
    expect(startPaused.conditions.find((c) => c.type === 'Paused')?.reason).toBe('PausedByUser');
    const resumed = runningStatus(
      { ...running, conditions: startPaused.conditions },
      { ...domain, state: 'Running', reason: 'Unpaused' },
      ['ip'],
      now,
    );
    expect(resumed.conditions.map((c) => c.type)).not.toContain('Paused');
    expect(vmiStatusDiffers({ ...running, conditions: startPaused.conditions }, resumed)).toBe(true);
    const io = runningStatus(running, { ...domain, state: 'Paused', reason: 'PausedIOError' }, ['ip'], now);
    expect(io.conditions.map((c) => c.type)).not.toContain('Paused');
  });

  it('a clean stop after running is Succeeded; a crash, a kill or a failed launch is Failed', () => {
    const running = { ...scheduled, phase: 'Running' };
    expect(stoppedStatus(running, 0, now).phase).toBe('Succeeded');
    expect(stoppedStatus(running, 1, now)).toMatchObject({ phase: 'Failed', reason: 'GuestCrashed' });
    expect(stoppedStatus(running, 137, now).phase).toBe('Failed');
    expect(stoppedStatus(scheduled, 0, now).phase).toBe('Failed');
    expect(stoppedStatus(running, 0, now).conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('writes only when something changed, whatever the key order', () => {
    const s = runningStatus(scheduled, domain, ['10.244.0.5'], now);
    const back = {
      ...s,
      interfaces: s.interfaces?.map((i) => Object.fromEntries(Object.entries(i).reverse())),
    };
    expect(vmiStatusDiffers(back, s)).toBe(false);
    expect(vmiStatusDiffers(scheduled, s)).toBe(true);
  });

  it('only a pause asked for (or a paused start) is a user pause; an I/O error or the way down is not', () => {
    expect(pausedByUser({ state: 'Paused', reason: 'PausedUser' })).toBe(true);
    expect(pausedByUser({ state: 'Paused', reason: 'PausedStartingUp' })).toBe(true);
    expect(pausedByUser({ state: 'Paused', reason: 'PausedIOError' })).toBe(false);
    expect(pausedByUser({ state: 'ShuttingDown', reason: 'Shutdown' })).toBe(false);
    expect(pausedByUser({ state: 'Running', reason: 'Unpaused' })).toBe(false);
  });

  it('reports fsFreezeStatus frozen while the launcher says so, and a change of it is a change', () => {
    const frozen = runningStatus(scheduled, { ...domain, fsFreezeStatus: 'frozen' }, ['10.244.0.5'], now);
    expect(frozen.fsFreezeStatus).toBe('frozen');
    const thawed = runningStatus(scheduled, domain, ['10.244.0.5'], now);
    expect(thawed).not.toHaveProperty('fsFreezeStatus');
    expect(vmiStatusDiffers({ ...thawed, interfaces: thawed.interfaces }, frozen)).toBe(true);
    expect(vmiStatusDiffers({ ...frozen, interfaces: frozen.interfaces }, thawed)).toBe(true);
    expect(vmiStatusDiffers({ ...frozen, interfaces: frozen.interfaces }, frozen)).toBe(false);
  });
});
