import { Testing, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AppIssueSeverity, AppValidation, validateApp, type IAppCheck } from '.';
import { Disk, InterfaceBinding, NetworkSource, VirtualMachine, type INetworkAttachment } from '../vm';

/** A stand-in network construct, as the network helper's NAD construct implements INetworkAttachment. */
class FakeNad extends Construct implements INetworkAttachment {
  constructor(
    scope: Construct,
    id: string,
    readonly multusNetworkName: string,
    readonly namespace?: string,
  ) {
    super(scope, id);
  }
}

function vm(chart: Chart, id: string, namespace: string) {
  return new VirtualMachine(chart, id, {
    name: id,
    namespace,
    memory: '1Gi',
    disks: [{ name: 'root', source: Disk.containerDisk('img') }],
  });
}

describe('app-level validation', () => {
  test('registered checks run at synth; errors fail it with the construct path', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const target = vm(chart, 'a', 'x');
    const check: IAppCheck = {
      id: 'test.always',
      check: () => [
        {
          construct: target,
          path: 'spec.runStrategy',
          message: 'nope; do this instead',
          severity: AppIssueSeverity.ERROR,
        },
      ],
    };
    AppValidation.of(chart).addCheck(check);
    AppValidation.of(target).addCheck(check);
    expect(AppValidation.of(app).checkIds.filter((id) => id === 'test.always')).toHaveLength(1);
    expect(() => app.synthYaml()).toThrow('c/a: spec.runStrategy: nope; do this instead');
    expect(validateApp(app).errors).toEqual([
      `[${AppValidation.of(app).node.path}] c/a: spec.runStrategy: nope; do this instead`,
    ]);
  });

  test('warnings are printed with the construct path once and do not fail synth', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const target = vm(chart, 'a', 'x');
    const printed: string[] = [];
    const validation = AppValidation.of(app);
    validation.warningSink = { warn: (t) => printed.push(t) };
    validation.addCheck({
      id: 'test.warn',
      check: () => [
        {
          construct: target,
          path: '',
          message: 'VM "other" is not defined in this app',
          severity: AppIssueSeverity.WARNING,
        },
      ],
    });
    expect(() => app.synthYaml()).not.toThrow();
    app.synthYaml();
    expect(printed).toEqual(['c/a: VM "other" is not defined in this app']);
    expect(validateApp(app)).toEqual({
      errors: [],
      warnings: ['c/a: VM "other" is not defined in this app'],
    });
  });

  test('the default sink prints warnings to stderr', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const target = vm(chart, 'a', 'x');
    AppValidation.of(app).addCheck({
      id: 'w',
      check: () => [
        { construct: target, path: 'spec', message: 'heads up', severity: AppIssueSeverity.WARNING },
      ],
    });
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      app.synthYaml();
      expect(write).toHaveBeenCalledWith('warning: c/a: spec: heads up\n');
    } finally {
      write.mockRestore();
    }
  });
});

describe('Multus reference to a NAD of the app in another namespace', () => {
  test('a bare name resolving to the VM namespace while the app defines the NAD elsewhere is an error', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    new FakeNad(chart, 'nad', 'vlan100', 'net');
    const v = vm(chart, 'web', 'apps');
    v.addInterface({ name: 'v', binding: InterfaceBinding.bridge() });
    v.addNetwork('v', NetworkSource.multus('vlan100'));
    expect(() => app.synthYaml()).toThrow(
      'c/web: spec.template.spec.networks[0].multus.networkName: "vlan100" resolves to NetworkAttachmentDefinition "vlan100" in namespace "apps", but this app defines it in namespace "net" (c/nad); write "net/vlan100" or use attachNetwork() with the network construct',
    );
  });

  test('attachNetwork qualifies the name, so the same setup is valid', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const nad = new FakeNad(chart, 'nad', 'vlan100', 'net');
    vm(chart, 'web', 'apps').attachNetwork('v', nad);
    expect(validateApp(app).errors).toEqual([]);
  });

  test('a NAD in the same namespace, or one the app does not define, is fine', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    new FakeNad(chart, 'nad', 'vlan100', 'apps');
    const v = vm(chart, 'web', 'apps');
    v.addInterface({ name: 'v', binding: InterfaceBinding.bridge() });
    v.addNetwork('v', NetworkSource.multus('vlan100'));
    v.addInterface({ name: 'w', binding: InterfaceBinding.bridge() });
    v.addNetwork('w', NetworkSource.multus('elsewhere/unknown'));
    expect(validateApp(app).errors).toEqual([]);
  });
});
