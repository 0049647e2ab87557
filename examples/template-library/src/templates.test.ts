import { Testing } from 'cdk8s';
import { validateObject } from 'virtkit/api';
import { AppValidation, validateApp } from 'virtkit/constructs';
import { DatabaseTemplate, WebServerTemplate } from '.';

function chart() {
  const c = Testing.chart();
  AppValidation.of(c).warningSink = { warn: () => undefined };
  return c;
}

test('WebServerTemplate synthesizes a valid pool of u1.medium Fedora VMs', () => {
  const c = chart();
  new WebServerTemplate(c, 'storefront', { name: 'storefront', namespace: 'web', replicas: 3 });
  const [pool] = Testing.synth(c) as {
    kind: string;
    spec: {
      replicas: number;
      virtualMachineTemplate: { spec: { instancetype: unknown; preference: unknown } };
    };
  }[];
  expect(pool.kind).toBe('VirtualMachinePool');
  expect(pool.spec.replicas).toBe(3);
  expect(pool.spec.virtualMachineTemplate.spec.instancetype).toEqual({
    name: 'u1.medium',
    kind: 'VirtualMachineClusterInstancetype',
  });
  expect(pool.spec.virtualMachineTemplate.spec.preference).toEqual({
    name: 'fedora',
    kind: 'VirtualMachineClusterPreference',
  });
  expect(validateObject(pool).filter((i) => i.severity === 'error')).toEqual([]);
});

test('DatabaseTemplate synthesizes a valid m1 VM with a data DataVolume', () => {
  const c = chart();
  new DatabaseTemplate(c, 'orders', { name: 'orders-db', namespace: 'db', dataSize: '200Gi' });
  const [vm] = Testing.synth(c) as {
    kind: string;
    spec: { dataVolumeTemplates: { spec: { storage: unknown } }[] };
  }[];
  expect(vm.kind).toBe('VirtualMachine');
  expect(vm.spec.dataVolumeTemplates[0].spec.storage).toMatchObject({
    resources: { requests: { storage: '200Gi' } },
  });
  expect(validateApp(c.node.root).errors).toEqual([]);
  expect(validateObject(vm).filter((i) => i.severity === 'error')).toEqual([]);
});

test('a size outside the library is refused with the construct path', () => {
  expect(() => new WebServerTemplate(chart(), 'web', { size: 'u1.colossal' })).toThrow(
    /test\/web: instancetype "u1.colossal" has no size "colossal"/,
  );
});
