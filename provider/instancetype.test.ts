import * as pulumi from '@pulumi/pulumi';
import { recordRegistrations, valueOf, byType } from './testing/mocks';
import { Instancetype } from './instancetype';

const registered = recordRegistrations();

describe('virtkit:index:Instancetype', () => {
  it('creates one namespaced instancetype named after the component', async () => {
    const it = new Instancetype('small', {
      namespace: 'vms',
      spec: { cpu: { guest: 1 }, memory: { guest: '1Gi' } },
    });
    expect(await valueOf(it.objectName)).toBe('small');
    expect(await valueOf(it.namespace)).toBe('vms');
    expect(it.kind).toBe('VirtualMachineInstancetype');
    await valueOf(it.manifest);
    const [cr] = byType(
      registered,
      'kubernetes:instancetype.kubevirt.io/v1beta1:VirtualMachineInstancetype',
    ).filter((r) => r.name === 'small');
    expect(cr.inputs).toMatchObject({ spec: { cpu: { guest: 1 }, memory: { guest: '1Gi' } } });
    expect(byType(registered, 'virtkit:index:Instancetype').map((r) => r.name)).toContain('small');
  });

  it('accepts outputs anywhere in the spec', async () => {
    const it = new Instancetype('medium', {
      cluster: true,
      spec: { cpu: { guest: pulumi.output(2) }, memory: { guest: Promise.resolve('2Gi') } },
    });
    expect(it.kind).toBe('VirtualMachineClusterInstancetype');
    expect(await valueOf(it.manifest)).toMatchObject({
      kind: 'VirtualMachineClusterInstancetype',
      metadata: { name: 'medium' },
      spec: { cpu: { guest: 2 }, memory: { guest: '2Gi' } },
    });
  });

  it('rejects a bad memory quantity with a ResourceError naming the component and the field', () => {
    expect(() => new Instancetype('bad', { spec: { cpu: { guest: 1 }, memory: { guest: 'lots' } } })).toThrow(
      /virtkit:index:Instancetype "bad"[\s\S]*spec\.memory\.guest/,
    );
  });
});
