import type { VirtualMachine } from '../../kubevirt/v1/vm-kind';
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { VirtualMachineInstancetypeSpec } from '../v1beta1/instancetype';
import { expandVirtualMachine, type ResolvedSpecs } from './expand';
import { instancetype, vmWith } from './fixtures';
import { overcommittedRequest } from './instancetype-apply';

const onlyInstancetype = { instancetype: true };

function expanded(vm: VirtualMachine, specs: ResolvedSpecs): VirtualMachine {
  const result = expandVirtualMachine(vm, specs);
  if (!result.ok) throw new Error(`expected an expansion, got: ${result.message}`);
  return result.vm;
}
const templateOf = (vm: VirtualMachine): VirtualMachineInstanceSpec => vm.spec.template.spec!;

describe('what the instancetype applies', () => {
  test.each<
    [string, Partial<VirtualMachineInstancetypeSpec>, (s: VirtualMachineInstanceSpec) => unknown, unknown]
  >([
    ['guest vCPUs as sockets (no preference)', {}, (s) => s.domain.cpu, { sockets: 2, cores: 1, threads: 1 }],
    ['guest memory', {}, (s) => s.domain.memory, { guest: '2Gi' }],
    ['nodeSelector', { nodeSelector: { zone: 'a' } }, (s) => s.nodeSelector, { zone: 'a' }],
    ['schedulerName', { schedulerName: 'custom' }, (s) => s.schedulerName, 'custom'],
    [
      'CPU model, dedicated placement, isolation, NUMA, realtime, maxSockets',
      {
        cpu: {
          guest: 2,
          model: 'host-passthrough',
          dedicatedCPUPlacement: true,
          isolateEmulatorThread: true,
          numa: { guestMappingPassthrough: {} },
          realtime: { mask: '0' },
          maxSockets: 8,
        },
      },
      (s) => s.domain.cpu,
      {
        sockets: 2,
        cores: 1,
        threads: 1,
        model: 'host-passthrough',
        dedicatedCpuPlacement: true,
        isolateEmulatorThread: true,
        numa: { guestMappingPassthrough: {} },
        realtime: { mask: '0' },
        maxSockets: 8,
      },
    ],
    [
      'hugepages and maxGuest',
      { memory: { guest: '2Gi', hugepages: { pageSize: '2Mi' }, maxGuest: '8Gi' } },
      (s) => s.domain.memory,
      { guest: '2Gi', hugepages: { pageSize: '2Mi' }, maxGuest: '8Gi' },
    ],
    [
      'overcommitPercent as a lower memory request',
      { memory: { guest: '1Gi', overcommitPercent: 50 } },
      (s) => s.domain.resources,
      { requests: { memory: '512Mi' } },
    ],
    ['ioThreadsPolicy', { ioThreadsPolicy: 'auto' }, (s) => s.domain.ioThreadsPolicy, 'auto'],
    [
      'ioThreads',
      { ioThreads: { supplementalPoolThreadCount: 4 } },
      (s) => s.domain.ioThreads,
      { supplementalPoolThreadCount: 4 },
    ],
    ['launchSecurity', { launchSecurity: { sev: {} } }, (s) => s.domain.launchSecurity, { sev: {} }],
    [
      'gpus',
      { gpus: [{ name: 'gpu1', deviceName: 'nvidia.com/GP102GL' }] },
      (s) => s.domain.devices.gpus,
      [{ name: 'gpu1', deviceName: 'nvidia.com/GP102GL' }],
    ],
    [
      'hostDevices',
      { hostDevices: [{ name: 'dev1', deviceName: 'example.com/dev' }] },
      (s) => s.domain.devices.hostDevices,
      [{ name: 'dev1', deviceName: 'example.com/dev' }],
    ],
  ])('%s', (_what, extra, pick, value) => {
    const it = instancetype(2, '2Gi', extra);
    const vm = expanded(vmWith({}, onlyInstancetype), { instancetype: it });
    expect(pick(templateOf(vm))).toEqual(value);
  });

  test('annotations go to the template metadata, next to the VM’s own', () => {
    const vm = vmWith({}, onlyInstancetype);
    vm.spec.template.metadata = { annotations: { mine: 'yes' } };
    const out = expanded(vm, { instancetype: instancetype(2, '2Gi', { annotations: { theirs: 'too' } }) });
    expect(out.spec.template.metadata?.annotations).toEqual({ mine: 'yes', theirs: 'too' });
  });

  test('the same annotation with the same value is no conflict', () => {
    const vm = vmWith({}, onlyInstancetype);
    vm.spec.template.metadata = { annotations: { a: '1' } };
    expect(
      expandVirtualMachine(vm, { instancetype: instancetype(2, '2Gi', { annotations: { a: '1' } }) }).ok,
    ).toBe(true);
  });

  test('dedicatedCPUPlacement false leaves the VMI field out, as Go prints false', () => {
    const it = instancetype(2, '2Gi', { cpu: { guest: 2, dedicatedCPUPlacement: false } });
    const cpu = templateOf(expanded(vmWith({}, onlyInstancetype), { instancetype: it })).domain.cpu;
    expect(cpu).not.toHaveProperty('dedicatedCpuPlacement');
  });

  test('the VM’s own fields the instancetype leaves alone survive (maxSockets, features, other requests)', () => {
    const vm = vmWith(
      {
        domain: {
          devices: {},
          cpu: { features: [{ name: 'vmx' }], maxSockets: 4 },
          resources: { requests: { 'example.com/thing': '1' } },
        },
      },
      onlyInstancetype,
    );
    const spec = templateOf(expanded(vm, { instancetype: instancetype(2, '2Gi') }));
    expect(spec.domain.cpu).toEqual({
      features: [{ name: 'vmx' }],
      maxSockets: 4,
      sockets: 2,
      cores: 1,
      threads: 1,
    });
    expect(spec.domain.resources).toEqual({ requests: { 'example.com/thing': '1' } });
  });

  test('the expansion shares no object with the instancetype', () => {
    const it = instancetype(2, '2Gi', {
      nodeSelector: { zone: 'a' },
      gpus: [{ name: 'g', deviceName: 'd' }],
    });
    const spec = templateOf(expanded(vmWith({}, onlyInstancetype), { instancetype: it }));
    spec.nodeSelector!.zone = 'changed';
    spec.domain.devices.gpus![0].name = 'changed';
    expect(it.nodeSelector).toEqual({ zone: 'a' });
    expect(it.gpus).toEqual([{ name: 'g', deviceName: 'd' }]);
  });
});

describe('the memory request of an overcommitted instancetype, computed as KubeVirt computes it', () => {
  test.each([
    ['1Gi', 50, '512Mi'],
    // 32-bit floats: 0.9 of 1Gi is 966367616, not 966367641.
    ['1Gi', 10, '966367616'],
    ['4Gi', 25, '3Gi'],
    ['64M', 10, '57600k'],
    ['2G', 100, '0'],
  ])('%s less %d%% is %s', (guest, percent, request) => {
    expect(overcommittedRequest(guest, percent)).toBe(request);
  });
});

describe('a VM field the instancetype also sets is a conflict (KubeVirt’s paths and message)', () => {
  const base = 'spec.template.spec';
  test.each<[string, Partial<VirtualMachineInstanceSpec>, Partial<VirtualMachineInstancetypeSpec>, string[]]>(
    [
      [
        'nodeSelector',
        { nodeSelector: { a: 'b' } },
        { nodeSelector: { zone: 'a' } },
        [`${base}.nodeSelector`],
      ],
      ['schedulerName', { schedulerName: 'mine' }, { schedulerName: 'custom' }, [`${base}.schedulerName`]],
      [
        'CPU requests and limits',
        { domain: { devices: {}, resources: { requests: { cpu: '1' }, limits: { cpu: '2' } } } },
        {},
        [`${base}.domain.resources.requests.cpu`, `${base}.domain.resources.limits.cpu`],
      ],
      [
        'sockets, cores and threads',
        { domain: { devices: {}, cpu: { sockets: 2, cores: 2, threads: 1 } } },
        {},
        [`${base}.domain.cpu.sockets`, `${base}.domain.cpu.cores`, `${base}.domain.cpu.threads`],
      ],
      [
        'model',
        { domain: { devices: {}, cpu: { model: 'host-model' } } },
        { cpu: { guest: 2, model: 'host-passthrough' } },
        [`${base}.domain.cpu.model`],
      ],
      [
        'dedicated placement (KubeVirt’s spelling of the path)',
        { domain: { devices: {}, cpu: { dedicatedCpuPlacement: true } } },
        { cpu: { guest: 2, dedicatedCPUPlacement: true } },
        [`${base}.domain.cpu.dedicatedCPUPlacement`],
      ],
      [
        'isolateEmulatorThread',
        { domain: { devices: {}, cpu: { isolateEmulatorThread: true } } },
        { cpu: { guest: 2, isolateEmulatorThread: false } },
        [`${base}.domain.cpu.isolateEmulatorThread`],
      ],
      [
        'numa and realtime',
        { domain: { devices: {}, cpu: { numa: {}, realtime: {} } } },
        { cpu: { guest: 2, numa: { guestMappingPassthrough: {} }, realtime: {} } },
        [`${base}.domain.cpu.numa`, `${base}.domain.cpu.realtime`],
      ],
      [
        'memory guest (the first memory conflict only)',
        { domain: { devices: {}, memory: { guest: '1Gi' }, resources: { requests: { memory: '1Gi' } } } },
        {},
        [`${base}.domain.memory.guest`],
      ],
      [
        'hugepages',
        { domain: { devices: {}, memory: { hugepages: { pageSize: '1Gi' } } } },
        { memory: { guest: '2Gi', hugepages: { pageSize: '2Mi' } } },
        [`${base}.domain.memory.hugepages`],
      ],
      [
        'maxGuest',
        { domain: { devices: {}, memory: { maxGuest: '4Gi' } } },
        { memory: { guest: '2Gi', maxGuest: '8Gi' } },
        [`${base}.domain.memory.maxGuest`],
      ],
      [
        'memory request',
        { domain: { devices: {}, resources: { requests: { memory: '1Gi' } } } },
        {},
        [`${base}.domain.resources.requests.memory`],
      ],
      [
        'memory limit',
        { domain: { devices: {}, resources: { limits: { memory: '1Gi' } } } },
        {},
        [`${base}.domain.resources.limits.memory`],
      ],
      [
        'ioThreadsPolicy',
        { domain: { devices: {}, ioThreadsPolicy: 'shared' } },
        { ioThreadsPolicy: 'auto' },
        [`${base}.domain.ioThreadsPolicy`],
      ],
      [
        'ioThreads',
        { domain: { devices: {}, ioThreads: { supplementalPoolThreadCount: 2 } } },
        { ioThreads: { supplementalPoolThreadCount: 4 } },
        [`${base}.domain.ioThreads.supplementalPoolThreadCount`],
      ],
      [
        'launchSecurity',
        { domain: { devices: {}, launchSecurity: { sev: {} } } },
        { launchSecurity: { sev: {} } },
        [`${base}.domain.launchSecurity`],
      ],
      [
        'gpus',
        { domain: { devices: { gpus: [{ name: 'a', deviceName: 'x' }] } } },
        { gpus: [{ name: 'b', deviceName: 'y' }] },
        [`${base}.domain.devices.gpus`],
      ],
      [
        'hostDevices',
        { domain: { devices: { hostDevices: [{ name: 'a', deviceName: 'x' }] } } },
        { hostDevices: [{ name: 'b', deviceName: 'y' }] },
        [`${base}.domain.devices.hostDevices`],
      ],
    ],
  )('%s', (_what, template, extra, fields) => {
    const result = expandVirtualMachine(vmWith(template, onlyInstancetype), {
      instancetype: instancetype(2, '2Gi', extra),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toBe(`VM field(s) ${fields.join(', ')} conflicts with selected instance type`);
    expect(result.problems.map((p) => p.field)).toEqual(fields);
    for (const p of result.problems) {
      expect(p.kind).toBe('InstancetypeConflict');
      expect(p.message).toContain(
        `VM field(s) ${p.field} conflicts with selected instance type (the VM sets `,
      );
      expect(p.message).toContain('the VirtualMachineClusterInstancetype "u1.small" sets spec.');
      expect(p.message).toContain('choose an instance type that leaves');
    }
  });

  test('fields the instancetype leaves out are no conflict (model, dedicated placement, hugepages...)', () => {
    const vm = vmWith(
      {
        domain: {
          devices: { gpus: [{ name: 'a', deviceName: 'x' }] },
          cpu: { model: 'host-model', dedicatedCpuPlacement: true, numa: {} },
          memory: { hugepages: { pageSize: '2Mi' }, maxGuest: '8Gi' },
          ioThreadsPolicy: 'shared',
        },
        nodeSelector: { a: 'b' },
      },
      onlyInstancetype,
    );
    const spec = templateOf(expanded(vm, { instancetype: instancetype(2, '2Gi') }));
    expect(spec.domain.cpu).toMatchObject({ model: 'host-model', dedicatedCpuPlacement: true, sockets: 2 });
    expect(spec.domain.memory).toEqual({ guest: '2Gi', hugepages: { pageSize: '2Mi' }, maxGuest: '8Gi' });
  });

  test('an annotation with another value is a conflict at annotations.KEY', () => {
    const vm = vmWith({}, onlyInstancetype);
    vm.spec.template.metadata = { annotations: { 'example.com/x': 'mine' } };
    const result = expandVirtualMachine(vm, {
      instancetype: instancetype(2, '2Gi', { annotations: { 'example.com/x': 'theirs' } }),
    });
    expect(result).toMatchObject({
      ok: false,
      message: 'VM field(s) annotations.example.com/x conflicts with selected instance type',
    });
  });

  test('conflicts of several kinds are reported together, in KubeVirt’s order', () => {
    const result = expandVirtualMachine(
      vmWith(
        { schedulerName: 'mine', domain: { devices: {}, cpu: { cores: 4 }, memory: { guest: '1Gi' } } },
        onlyInstancetype,
      ),
      { instancetype: instancetype(2, '2Gi', { schedulerName: 'theirs' }) },
    );
    expect(result).toMatchObject({
      ok: false,
      message:
        'VM field(s) spec.template.spec.schedulerName, spec.template.spec.domain.cpu.cores, spec.template.spec.domain.memory.guest conflicts with selected instance type',
    });
  });

  test('a spread the vCPUs do not divide: KubeVirt’s path of the instancetype, its own message in the problem', () => {
    const result = expandVirtualMachine(vmWith(), {
      instancetype: instancetype(3),
      preference: { cpu: { preferredCPUTopology: 'spread' } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toBe(
      'VM field(s) instancetype.spec.cpu.guest conflicts with selected instance type',
    );
    expect(result.problems[0].message).toMatch(
      /^3 vCPUs provided by the instance type are not divisible by .*Ratio of 2 provided by the preference: choose an instance type/,
    );
  });
});
