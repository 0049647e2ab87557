/* eslint-disable @typescript-eslint/no-explicit-any */
import { runtimeSupportIssues } from './runtime-support';

const withNetworks = (kind: string, networks: unknown[]): Record<string, unknown> => {
  const vmiSpec = { domain: { devices: {} }, networks };
  if (kind === 'VirtualMachineInstance') return { kind, spec: vmiSpec };
  if (kind === 'VirtualMachinePool')
    return { kind, spec: { virtualMachineTemplate: { spec: { template: { spec: vmiSpec } } } } };
  return { kind, spec: { template: { spec: vmiSpec } } };
};

describe('what virtkit cannot run yet', () => {
  test.each([
    ['VirtualMachine', 'spec.template.spec'],
    ['VirtualMachineInstance', 'spec'],
    ['VirtualMachineInstanceReplicaSet', 'spec.template.spec'],
    ['VirtualMachinePool', 'spec.virtualMachineTemplate.spec.template.spec'],
  ])(
    'bindings the launcher cannot wire are refused in a %s at %s, naming the binding and the fix',
    (kind, base) => {
      const object = withNetworks(kind, [
        { name: 'default', pod: {} },
        { name: 'blue', multus: { networkName: 'shop/blue' } },
        { name: 'green', multus: { networkName: 'green' } },
      ]);
      const spec = (
        kind === 'VirtualMachineInstance'
          ? object.spec
          : kind === 'VirtualMachinePool'
            ? (object.spec as any).virtualMachineTemplate.spec.template.spec
            : (object.spec as any).template.spec
      ) as { domain: { devices: Record<string, unknown> } };
      spec.domain.devices.interfaces = [
        { name: 'default', masquerade: {} },
        { name: 'blue', sriov: {} },
        { name: 'green', binding: { name: 'passt' } },
      ];
      expect(runtimeSupportIssues(object)).toEqual([
        expect.objectContaining({
          severity: 'error',
          path: `${base}.domain.devices.interfaces[1].sriov`,
          message: expect.stringMatching(
            /the sriov binding is not supported by virtkit yet; use masquerade .* or bridge/,
          ),
        }),
        expect.objectContaining({
          path: `${base}.domain.devices.interfaces[2].binding`,
          message: expect.stringMatching(
            /the network binding plugin "passt" is not supported by virtkit yet/,
          ),
        }),
      ]);
      // Multus networks with the bridge binding run.
      spec.domain.devices.interfaces = [
        { name: 'default', masquerade: {} },
        { name: 'blue', bridge: {} },
        { name: 'green', bridge: {} },
      ];
      expect(runtimeSupportIssues(object)).toEqual([]);
    },
  );

  test('probes the prober cannot run: exec, another host, a named port', () => {
    const vm = withNetworks('VirtualMachine', [{ name: 'default', pod: {} }]) as {
      spec: { template: { spec: Record<string, unknown> } };
    };
    vm.spec.template.spec.readinessProbe = { exec: { command: ['true'] } };
    vm.spec.template.spec.livenessProbe = { httpGet: { port: 'http', host: '10.0.0.9', path: '/' } };
    const issues = runtimeSupportIssues(vm);
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      [
        'spec.template.spec.readinessProbe.exec',
        expect.stringMatching(
          /exec probes are not supported by virtkit yet; use tcpSocket, httpGet or guestAgentPing/,
        ),
      ],
      [
        'spec.template.spec.livenessProbe.httpGet.host',
        expect.stringMatching(/probing another host \("10\.0\.0\.9"\) is not supported by virtkit yet/),
      ],
      [
        'spec.template.spec.livenessProbe.httpGet.port',
        expect.stringMatching(/the named port "http" is not supported by virtkit yet/),
      ],
    ]);
    vm.spec.template.spec.readinessProbe = { tcpSocket: { port: 5432 } };
    vm.spec.template.spec.livenessProbe = { httpGet: { port: '80', path: '/healthz' } };
    expect(runtimeSupportIssues(vm)).toEqual([]);
  });

  test('a VirtualMachineSnapshot with snapshotMode External; Direct and the default pass', () => {
    const snap = (snapshotMode?: string) => ({
      kind: 'VirtualMachineSnapshot',
      spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' }, snapshotMode },
    });
    expect(runtimeSupportIssues(snap('External'))).toEqual([
      expect.objectContaining({
        path: 'spec.snapshotMode',
        rule: 'runtime-support.snapshot-mode',
        message: expect.stringMatching(/^snapshotMode External is not supported by virtkit yet; use Direct/),
      }),
    ]);
    expect(runtimeSupportIssues(snap('Direct'))).toEqual([]);
    expect(runtimeSupportIssues(snap())).toEqual([]);
  });

  test('the pod network and other kinds pass', () => {
    expect(runtimeSupportIssues(withNetworks('VirtualMachine', [{ name: 'default', pod: {} }]))).toEqual([]);
    expect(runtimeSupportIssues({ kind: 'DataVolume', spec: { networks: [{ multus: {} }] } })).toEqual([]);
    expect(runtimeSupportIssues(null)).toEqual([]);
  });
});
