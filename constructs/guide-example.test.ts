/** The example of docs/constructs.md, kept compiling and valid. */
import { Chart, Testing } from 'cdk8s';
import { Disk, InstancetypeLibrary, InstancetypeRef, VirtualMachine } from './index';
import { validateObject } from '../api/validation/validate';

test('the guide example synthesizes a valid VM sized by an instancetype', () => {
  const app = Testing.app();
  const chart = new Chart(app, 'fleet', { namespace: 'shop' });
  const sizes = new InstancetypeLibrary(chart, 'sizes', { series: ['u1'], sizes: ['small'] });
  const vm = new VirtualMachine(chart, 'web', {
    instancetype: InstancetypeRef.fromInstancetype(sizes.get('u1.small')),
    disks: [
      { name: 'root', source: Disk.containerDisk('quay.io/containerdisks/fedora:40'), bootOrder: 1 },
      { name: 'cloudinit', source: Disk.cloudInitNoCloud({ userDataSecret: 'web-cloud-init' }) },
    ],
  });
  vm.addPodNetwork();
  const objects = Testing.synth(chart) as { kind: string; spec: Record<string, unknown> }[];
  const rendered = objects.find((o) => o.kind === 'VirtualMachine')!;
  expect(rendered.spec).toMatchObject({
    runStrategy: 'Always',
    instancetype: { name: 'u1.small' },
    template: { spec: { networks: [{ name: 'default', pod: {} }] } },
  });
  for (const o of objects) expect(validateObject(o).filter((i) => i.severity === 'error')).toEqual([]);
});
