import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { expandVirtualMachine } from './expand';
import { instancetype, vmWith } from './fixtures';
import { checkPreferenceRequirements } from './requirements';

const needs = (
  requirements: VirtualMachinePreferenceSpec['requirements'],
  extra: VirtualMachinePreferenceSpec = {},
): VirtualMachinePreferenceSpec => ({ ...extra, requirements });
const domain = (d: Partial<VirtualMachineInstanceSpec['domain']>): VirtualMachineInstanceSpec => ({
  domain: { devices: {}, ...d },
});
const PREFIX = 'failure checking preference requirements: ';

describe('requirements an instancetype must meet', () => {
  test.each([
    [
      'vCPUs',
      instancetype(1),
      needs({ cpu: { guest: 2 } }),
      'insufficient CPU resources of 1 vCPU provided by instance type, preference requires 2 vCPU',
    ],
    [
      'memory, in canonical form',
      instancetype(2, '64M'),
      needs({ memory: { guest: '512Mi' } }),
      'insufficient Memory resources of 64M provided by instance type, preference requires 512Mi',
    ],
    [
      'memory written another way',
      instancetype(2, '1024Mi'),
      needs({ memory: { guest: '2048Mi' } }),
      'insufficient Memory resources of 1Gi provided by instance type, preference requires 2Gi',
    ],
  ])('%s', (_what, it, preference, error) => {
    const problem = checkPreferenceRequirements(it, preference, domain({}));
    expect(problem).toMatchObject({
      kind: 'PreferenceRequirement',
      field: 'spec.instancetype',
      summary: PREFIX + error,
    });
    expect(problem?.message).toMatch(new RegExp(`^${PREFIX}.*; choose an instance type with spec\\.`));
  });

  test('enough is enough', () => {
    expect(
      checkPreferenceRequirements(
        instancetype(2, '2Gi'),
        needs({ cpu: { guest: 2 }, memory: { guest: '2Gi' } }),
        domain({}),
      ),
    ).toBeUndefined();
  });
});

describe('requirements a VM without an instancetype must meet, counted as the preference lays vCPUs out', () => {
  const cpuField = 'spec.template.spec.domain.cpu';
  test.each<[string, VirtualMachinePreferenceSpec, VirtualMachineInstanceSpec, string, string]>([
    [
      'sockets (the default)',
      needs({ cpu: { guest: 2 } }),
      domain({ cpu: { cores: 4 } }),
      `${cpuField}.sockets`,
      'insufficient CPU resources of 0 vCPU provided by VirtualMachine, preference requires 2 vCPU provided as sockets',
    ],
    [
      'no topology: one socket',
      needs({ cpu: { guest: 2 } }),
      domain({}),
      `${cpuField}.sockets`,
      'insufficient CPU resources of 1 vCPU provided by VirtualMachine, preference requires 2 vCPU provided as sockets',
    ],
    [
      'cores',
      needs({ cpu: { guest: 4 } }, { cpu: { preferredCPUTopology: 'cores' } }),
      domain({ cpu: { cores: 2 } }),
      `${cpuField}.cores`,
      'insufficient CPU resources of 2 vCPU provided by VirtualMachine, preference requires 4 vCPU provided as cores',
    ],
    [
      'threads',
      needs({ cpu: { guest: 2 } }, { cpu: { preferredCPUTopology: 'preferThreads' } }),
      domain({ cpu: { threads: 1 } }),
      `${cpuField}.threads`,
      'insufficient CPU resources of 1 vCPU provided by VirtualMachine, preference requires 2 vCPU provided as threads',
    ],
    [
      'any: all three',
      needs({ cpu: { guest: 8 } }, { cpu: { preferredCPUTopology: 'any' } }),
      domain({ cpu: { sockets: 1, cores: 2, threads: 2 } }),
      `${cpuField}.cores, ${cpuField}.sockets, ${cpuField}.threads`,
      'insufficient CPU resources of 4 vCPU provided by VirtualMachine, preference requires 8 vCPU provided as cores, sockets and threads',
    ],
    [
      'spread across SocketsCores',
      needs({ cpu: { guest: 8 } }, { cpu: { preferredCPUTopology: 'spread' } }),
      domain({ cpu: { sockets: 2, cores: 2 } }),
      `${cpuField}.sockets, ${cpuField}.cores`,
      'insufficient CPU resources of 4 vCPU provided by VirtualMachine, preference requires 8 vCPU provided as SocketsCores',
    ],
    [
      'memory of the VM',
      needs({ memory: { guest: '1Gi' } }),
      domain({ memory: { guest: '512Mi' } }),
      'spec.template.spec.domain.memory',
      'insufficient Memory resources of 512Mi provided by VirtualMachine, preference requires 1Gi',
    ],
    [
      'memory from the request when guest is not set',
      needs({ memory: { guest: '1Gi' } }),
      domain({ resources: { requests: { memory: '256M' } } }),
      'spec.template.spec.domain.memory',
      'insufficient Memory resources of 256M provided by VirtualMachine, preference requires 1Gi',
    ],
    [
      'architecture (amd64 when the VM names none)',
      needs({ architecture: 'arm64' }),
      domain({}),
      'spec.template.spec.architecture',
      'preference requires architecture arm64 but amd64 is being requested',
    ],
  ])('%s', (_what, preference, spec, field, error) => {
    expect(checkPreferenceRequirements(undefined, preference, spec)).toMatchObject({
      field,
      summary: PREFIX + error,
    });
  });

  test('CPU from the limit when no topology is written', () => {
    const spec = domain({ resources: { limits: { cpu: '3' }, requests: { cpu: '500m' } } });
    expect(checkPreferenceRequirements(undefined, needs({ cpu: { guest: 3 } }), spec)).toBeUndefined();
  });

  test('the preferred architecture counts', () => {
    expect(
      checkPreferenceRequirements(
        undefined,
        needs({ architecture: 'arm64' }, { preferredArchitecture: 'arm64' }),
        domain({}),
      ),
    ).toBeUndefined();
  });
});

describe('requirements in the expansion', () => {
  const vm = vmWith();
  const specs = { instancetype: instancetype(1), preference: needs({ cpu: { guest: 2 } }) };

  test('not checked by default, as KubeVirt’s expand-spec does not', () => {
    expect(expandVirtualMachine(vm, specs).ok).toBe(true);
  });

  test('checked when asked, with KubeVirt’s admission message', () => {
    expect(expandVirtualMachine(vm, specs, { checkRequirements: true })).toMatchObject({
      ok: false,
      message: `${PREFIX}insufficient CPU resources of 1 vCPU provided by instance type, preference requires 2 vCPU`,
      problems: [{ kind: 'PreferenceRequirement', field: 'spec.instancetype' }],
    });
  });
});
