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
  ])('a multus network of a %s is refused at %s, naming the network and the fix', (kind, base) => {
    const issues = runtimeSupportIssues(
      withNetworks(kind, [
        { name: 'default', pod: {} },
        { name: 'blue', multus: { networkName: 'shop/blue' } },
      ]),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: `${base}.networks[1].multus`,
        message: expect.stringMatching(
          /multus network "shop\/blue" is not supported by virtkit yet.*use the pod network/,
        ),
      }),
    ]);
  });

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

  test('the pod network and other kinds pass', () => {
    expect(runtimeSupportIssues(withNetworks('VirtualMachine', [{ name: 'default', pod: {} }]))).toEqual([]);
    expect(runtimeSupportIssues({ kind: 'DataVolume', spec: { networks: [{ multus: {} }] } })).toEqual([]);
    expect(runtimeSupportIssues(null)).toEqual([]);
  });
});
