import * as pulumi from '@pulumi/pulumi';
import { kubevirtV1 } from '../../api';
import { failureOf, recordRegistrations, valueOf } from '../testing/mocks';
import { VirtkitComponent, componentToken } from './component';
import type { DeepInput } from './inputs';

recordRegistrations();

/**
 * A component with no children that only renders and checks a VM spec: the path every
 * component takes, observed without children whose failed registrations the language host
 * (not jest) would report.
 */
class SpecOnly extends VirtkitComponent {
  readonly checked: pulumi.Output<unknown>;
  constructor(name: string, spec: DeepInput<kubevirtV1.VirtualMachineSpec>) {
    super('SpecOnly', name);
    this.checked = this.renderChecked<{ spec: kubevirtV1.VirtualMachineSpec }, unknown>(
      kubevirtV1.VirtualMachineKind,
      { spec },
      ({ spec: s }) => ({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name },
        spec: s,
      }),
    );
    this.done({});
  }
}

function spec(bus: pulumi.Input<string>): DeepInput<kubevirtV1.VirtualMachineSpec> {
  return {
    runStrategy: 'Halted',
    template: {
      spec: {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [{ name: 'root', disk: { bus } }] } },
        volumes: [{ name: 'root', containerDisk: { image: 'registry.local/guest:1' } }],
      },
    },
  } as DeepInput<kubevirtV1.VirtualMachineSpec>;
}

describe('VirtkitComponent', () => {
  it('registers under the virtkit:index token with the given name', async () => {
    const c = new SpecOnly('tokened', spec('virtio'));
    await valueOf(c.checked);
    expect(componentToken('SpecOnly')).toBe('virtkit:index:SpecOnly');
    expect(await valueOf(c.urn)).toMatch(/::virtkit:index:SpecOnly::tokened$/);
  });

  it('validates input that arrives through outputs once it resolves, with a ResourceError on the component', async () => {
    const c = new SpecOnly('late', spec(pulumi.output('floppy')));
    const failure = await failureOf(c.checked);
    expect(failure).toBeInstanceOf(pulumi.ResourceError);
    expect((failure as pulumi.ResourceError).resource).toBe(c);
    expect((failure as Error).message).toMatch(
      /virtkit:index:SpecOnly "late" is invalid[\s\S]*spec\.template\.spec\.domain\.devices\.disks\[0\]\.disk\.bus[\s\S]*floppy/,
    );
  });

  it('passes valid late input through unchanged', async () => {
    const c = new SpecOnly('fine', spec(Promise.resolve('sata')));
    expect(await valueOf(c.checked)).toMatchObject({
      spec: { template: { spec: { domain: { devices: { disks: [{ disk: { bus: 'sata' } }] } } } } },
    });
  });
});
