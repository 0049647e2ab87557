import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/kubevirt/v1';
import { KubeOvnAddressError } from '../../api/kubeovn/ipam';
import { addressProblem, clearAddressProblem } from './address-problem';

const T0 = new Date('2025-01-01T12:00:00.123Z');
const T1 = new Date('2025-01-01T12:00:10.456Z');

const VMI: VirtualMachineInstance = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'web', namespace: 'apps', uid: 'u1' },
  spec: { domain: { devices: {} } },
};

/** The status decideVmi hands over when it wants a pod: Pending then Scheduling. */
function scheduling(): VirtualMachineInstanceStatus {
  return {
    phase: 'Scheduling',
    phaseTransitionTimestamps: [
      { phase: 'Pending', phaseTransitionTimestamp: '2025-01-01T11:59:59Z' },
      { phase: 'Scheduling', phaseTransitionTimestamp: '2025-01-01T12:00:00Z' },
    ],
    conditions: [{ type: 'Ready', status: 'False', reason: 'GuestNotRunning' }],
  };
}

const conflict =
  (msg = 'annotation ovn.kubernetes.io/ip_address 10.16.0.9 is already allocated to x.apps') =>
  () =>
    Promise.reject(new KubeOvnAddressError('AddressConflict', msg));

const sync = (s: VirtualMachineInstanceStatus) => s.conditions?.find((c) => c.type === 'Synchronized');

describe('addressProblem', () => {
  test('an allocation that succeeds leaves the status alone', async () => {
    const status = scheduling();
    let ran = false;
    expect(
      await addressProblem(VMI, status, T0, () => {
        ran = true;
        return Promise.resolve();
      }),
    ).toBeUndefined();
    expect(ran).toBe(true);
    expect(status).toEqual(scheduling());
  });

  test('a KubeOvnAddressError: Synchronized=False with its reason, a message naming the VMI, Pending, an Event', async () => {
    const status = scheduling();
    const p = await addressProblem(VMI, status, T0, conflict());
    const message =
      'VirtualMachineInstance apps/web: annotation ovn.kubernetes.io/ip_address 10.16.0.9 is already allocated to x.apps';
    expect(sync(status)).toEqual({
      type: 'Synchronized',
      status: 'False',
      reason: 'AddressConflict',
      message,
      lastProbeTime: null,
      lastTransitionTime: '2025-01-01T12:00:00Z',
    });
    expect(status.phase).toBe('Pending');
    expect(status.phaseTransitionTimestamps?.map((t) => t.phase)).toEqual(['Pending']);
    // Other conditions stay.
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'GuestNotRunning' });
    expect(p).toEqual({ event: { type: 'Warning', reason: 'AddressConflict', message } });
  });

  test('the same problem again: no Event, the transition time kept', async () => {
    const status = scheduling();
    await addressProblem(VMI, status, T0, conflict());
    const again = { ...scheduling(), conditions: status.conditions };
    expect(await addressProblem(VMI, again, T1, conflict())).toEqual({});
    expect(sync(again)?.lastTransitionTime).toBe('2025-01-01T12:00:00Z');
    expect(again.phase).toBe('Pending');
  });

  test('a changed message or reason is a new Event', async () => {
    const status = scheduling();
    await addressProblem(VMI, status, T0, conflict());
    const p = await addressProblem(
      VMI,
      status,
      T1,
      conflict('annotation ... is already allocated to y.apps'),
    );
    expect(p?.event).toMatchObject({ type: 'Warning', reason: 'AddressConflict' });
    expect(p?.event?.message).toContain('y.apps');
    expect(sync(status)?.lastTransitionTime).toBe('2025-01-01T12:00:10Z');
    const full = await addressProblem(VMI, status, T1, () =>
      Promise.reject(
        new KubeOvnAddressError('NoAvailableAddress', 'annotation ... is already allocated to y.apps'),
      ),
    );
    expect(full?.event?.reason).toBe('NoAvailableAddress');
    expect(sync(status)?.reason).toBe('NoAvailableAddress');
  });

  test("replaces another Synchronized=False (the pod's image error)", async () => {
    const status = scheduling();
    status.conditions = [
      { type: 'Synchronized', status: 'False', reason: 'ErrImagePull', message: 'pull failed' },
    ];
    const p = await addressProblem(VMI, status, T0, conflict());
    expect(p?.event).toBeDefined();
    expect(status.conditions).toHaveLength(1);
    expect(sync(status)?.reason).toBe('AddressConflict');
  });

  test('other errors propagate and leave the status alone', async () => {
    const status = scheduling();
    await expect(
      addressProblem(VMI, status, T0, () => Promise.reject(new Error('HTTP 500'))),
    ).rejects.toThrow('HTTP 500');
    expect(status).toEqual(scheduling());
  });
});

describe('clearAddressProblem', () => {
  test.each([
    'InvalidAddress',
    'AddressOutOfRange',
    'AddressExcluded',
    'AddressConflict',
    'NoAvailableAddress',
    'SubnetNotFound',
    'InvalidSubnet',
  ])('removes its own Synchronized=False %s', async (reason) => {
    const status = scheduling();
    await addressProblem(VMI, status, T0, () =>
      Promise.reject(new KubeOvnAddressError(reason as never, 'x')),
    );
    clearAddressProblem(status);
    expect(sync(status)).toBeUndefined();
    expect(status.conditions?.find((c) => c.type === 'Ready')).toBeDefined();
  });

  test.each(['ErrImagePull', 'FailedCreatePodSandBox', 'InvalidAddressAllocation'])(
    "keeps another's Synchronized=False %s",
    (reason) => {
      const status = scheduling();
      status.conditions = [{ type: 'Synchronized', status: 'False', reason, message: 'm' }];
      clearAddressProblem(status);
      expect(sync(status)).toMatchObject({ reason });
    },
  );

  test('no condition: nothing to do', () => {
    const status = scheduling();
    clearAddressProblem(status);
    expect(status).toEqual(scheduling());
  });
});
