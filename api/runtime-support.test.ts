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

  test('the pod network and other kinds pass', () => {
    expect(runtimeSupportIssues(withNetworks('VirtualMachine', [{ name: 'default', pod: {} }]))).toEqual([]);
    expect(runtimeSupportIssues({ kind: 'DataVolume', spec: { networks: [{ multus: {} }] } })).toEqual([]);
    expect(runtimeSupportIssues(null)).toEqual([]);
  });
});
