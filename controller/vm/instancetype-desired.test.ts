/** The VM controller's decisions for VMs sized by an instancetype and shaped by a preference. */
import type { VirtualMachine } from '../../api/kubevirt/v1';
import { decideVm, reconcileVm } from './desired';
import { NOW, vm as baseVm, vmi } from './fixtures';
import { RESTART_REQUIRED_MESSAGE } from './start-revision';

const specs = {
  instancetype: { cpu: { guest: 1 }, memory: { guest: '2Gi' } },
  preference: { devices: { preferredDiskBus: 'virtio' as const } },
};

function vm(extra: Partial<VirtualMachine['spec']> = {}): VirtualMachine {
  const v = baseVm({ runStrategy: 'Always' });
  v.spec = {
    ...v.spec,
    instancetype: { name: 'u1.small' },
    preference: { name: 'linux', kind: 'VirtualMachinePreference' },
    ...extra,
  };
  v.spec.template.spec = {
    domain: { devices: { disks: [{ name: 'root' }] } },
    volumes: [{ name: 'root', containerDisk: { image: 'example/disk' } }],
  };
  v.status = {
    instancetypeRef: {
      name: 'u1.small',
      kind: 'VirtualMachineClusterInstancetype',
      controllerRevisionRef: { name: 'demo-u1.small-v1beta1-it-1' },
    },
  };
  return v;
}

describe('a VM sized by an instancetype', () => {
  test('its VMI is the expanded template: the instancetype sizes it, the preference fills in', () => {
    const d = decideVm({ vm: vm(), vmi: undefined, now: NOW, instancetypeSpecs: specs });
    const created = d.createVmi!;
    expect(created.spec.domain.cpu).toMatchObject({ sockets: 1, cores: 1, threads: 1 });
    expect(created.spec.domain.memory).toEqual({ guest: '2Gi' });
    expect(created.spec.domain.devices.disks).toEqual([{ name: 'root', disk: { bus: 'virtio' } }]);
    expect(created.metadata?.annotations).toMatchObject({
      'kubevirt.io/cluster-instancetype-name': 'u1.small',
      'kubevirt.io/preference-name': 'linux',
      'kubevirt.io/vm-generation': '3',
    });
  });

  test('the start revision records the spec with the revision names from status', () => {
    const d = decideVm({ vm: vm(), vmi: undefined, now: NOW, instancetypeSpecs: specs });
    expect(d.startRevision?.metadata?.name).toBe('revision-start-vm-vm-uid-3');
    expect((d.startRevision?.data as { spec: VirtualMachine['spec'] }).spec.instancetype).toEqual({
      name: 'u1.small',
      revisionName: 'demo-u1.small-v1beta1-it-1',
    });
  });

  test('a plain VM gets a start revision too (RestartRequired needs it)', () => {
    const d = decideVm({ vm: baseVm({ runStrategy: 'Always' }), vmi: undefined, now: NOW });
    expect(d.createVmi).toBeDefined();
    expect(d.startRevision?.metadata?.name).toBe('revision-start-vm-vm-uid-3');
  });

  test('an instancetype that cannot be found: Failure condition, one Event, no VMI', () => {
    const failure = {
      reason: 'FailedFindInstancetype',
      message: 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.small" not found; create it',
    };
    const r = reconcileVm({ vm: vm(), vmi: undefined, now: NOW, instancetypeFailure: failure });
    expect(r.createVmi).toBeUndefined();
    expect(r.events).toEqual([{ type: 'Warning', ...failure }]);
    expect(r.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failure', status: 'True', ...failure }),
    );
    // Told once: the next round with the same failure records no new Event.
    const again = reconcileVm({
      vm: { ...vm(), status: r.status },
      vmi: undefined,
      now: NOW,
      instancetypeFailure: failure,
    });
    expect(again.events).toEqual([]);
  });

  test('a failing instancetype step stops nothing either (KubeVirt returns before the run strategy)', () => {
    const d = decideVm({
      vm: vm({ runStrategy: 'Halted' }),
      vmi: vmi('Running', { ran: true }),
      now: NOW,
      instancetypeFailure: { reason: 'FailedFindPreference', message: 'x' },
    });
    expect(d.deleteVmi).toBeUndefined();
    expect(d.syncError).toEqual({ reason: 'FailedFindPreference', message: 'x' });
  });

  test('a template conflicting with the stored instancetype: KubeVirt’s message, no VMI', () => {
    const v = vm();
    v.spec.template.spec!.domain.cpu = { sockets: 2 };
    const r = reconcileVm({ vm: v, vmi: undefined, now: NOW, instancetypeSpecs: specs });
    expect(r.createVmi).toBeUndefined();
    expect(r.syncError?.reason).toBe('FailedCreate');
    expect(r.syncError?.message).toMatch(
      /^Failure while starting VMI: VM field\(s\) spec\.template\.spec\.domain\.cpu\.sockets conflicts with selected instance type/,
    );
    expect(r.events).toHaveLength(1);
  });
});

describe('RestartRequired on the VM status', () => {
  const running = vmi('Running', { ran: true, ready: true });

  test('set (KubeVirt’s message) while the VMI runs and the VM changed', () => {
    const r = reconcileVm({
      vm: vm(),
      vmi: running,
      now: NOW,
      instancetypeSpecs: specs,
      restartRequired: true,
    });
    expect(r.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'RestartRequired', status: 'True', message: RESTART_REQUIRED_MESSAGE }),
    );
  });

  test('kept when unknown, removed when the VM matches the VMI again', () => {
    const set = reconcileVm({
      vm: vm(),
      vmi: running,
      now: NOW,
      instancetypeSpecs: specs,
      restartRequired: true,
    });
    const v = { ...vm(), status: set.status };
    const kept = reconcileVm({ vm: v, vmi: running, now: NOW, instancetypeSpecs: specs });
    expect(kept.status.conditions?.some((c) => c.type === 'RestartRequired')).toBe(true);
    const cleared = reconcileVm({
      vm: v,
      vmi: running,
      now: NOW,
      instancetypeSpecs: specs,
      restartRequired: false,
    });
    expect(cleared.status.conditions?.some((c) => c.type === 'RestartRequired')).toBe(false);
  });

  test('removed when the VMI is stopped or gone (the next VMI starts from the VM as it is)', () => {
    const set = reconcileVm({
      vm: vm(),
      vmi: running,
      now: NOW,
      instancetypeSpecs: specs,
      restartRequired: true,
    });
    const halted = { ...vm({ runStrategy: 'Halted' }), status: set.status };
    const stopping = reconcileVm({
      vm: halted,
      vmi: running,
      now: NOW,
      instancetypeSpecs: specs,
      restartRequired: true,
    });
    expect(stopping.deleteVmi).toBeDefined();
    expect(stopping.status.conditions?.some((c) => c.type === 'RestartRequired')).toBe(false);
    const gone = reconcileVm({
      vm: { ...vm(), status: set.status },
      vmi: undefined,
      now: NOW,
      instancetypeSpecs: specs,
    });
    expect(gone.status.conditions?.some((c) => c.type === 'RestartRequired')).toBe(false);
  });
});
