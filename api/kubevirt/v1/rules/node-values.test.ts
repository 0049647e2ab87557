import { validateUserFields } from '../../../validation/validate';
import { checkNodeValues, imageProblem } from './node-values';

const spec = (over: Record<string, unknown> = {}, domain: Record<string, unknown> = {}) => ({
  domain: { memory: { guest: '128Mi' }, devices: {}, ...domain },
  ...over,
});

const paths = (s: Record<string, unknown>) => checkNodeValues(s, 'spec').map((i) => i.path);

describe('values that reach the node', () => {
  it('accepts what KubeVirt users write', () => {
    const good = spec(
      {
        subdomain: 'db',
        volumes: [
          { name: 'a', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
          { name: 'b', containerDisk: { image: 'registry.local:5000/x/y@sha256:' + 'a'.repeat(64) } },
          { name: 'c', containerDisk: { image: '/srv/images/disk.qcow2' } },
          { name: 'd', hostDisk: { path: '/var/lib/images/d.img', type: 'Disk' } },
          { name: 'e', configMap: { name: 'app.config' } },
          { name: 'f', cloudInitNoCloud: { secretRef: { name: 'ci-secret' } } },
        ],
        networks: [
          { name: 'default', pod: { vmNetworkCIDR: '10.0.2.0/24', vmIPv6NetworkCIDR: 'fd10:0:2::/120' } },
          { name: 'n2', multus: { networkName: 'other-ns/br-1' } },
        ],
      },
      {
        cpu: { model: 'Skylake-Server-IBRS', features: [{ name: 'sse4.2' }] },
        machine: { type: 'pc-q35-rhel9.2.0' },
        clock: { timezone: 'America/Argentina/Buenos_Aires' },
        firmware: {
          uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223',
          kernelBoot: {
            kernelArgs: 'console=ttyS0,115200 root=/dev/vda rw',
            container: {
              image: 'quay.io/example/kernel:1',
              kernelPath: '/boot/vmlinuz',
              initrdPath: '/boot/initrd',
            },
          },
        },
      },
    );
    expect(checkNodeValues(good, 'spec')).toEqual([]);
  });

  it.each([
    ['domain.cpu.model', spec({}, { cpu: { model: 'host,+vmx' } })],
    ['domain.cpu.features[0].name', spec({}, { cpu: { features: [{ name: 'a,b' }] } })],
    ['domain.machine.type', spec({}, { machine: { type: 'q35,accel=kvm' } })],
    ['domain.firmware.uuid', spec({}, { firmware: { uuid: '../../etc' } })],
    ['domain.firmware.kernelBoot.kernelArgs', spec({}, { firmware: { kernelBoot: { kernelArgs: 'a\nb' } } })],
    [
      'domain.firmware.kernelBoot.container.kernelPath',
      spec(
        {},
        { firmware: { kernelBoot: { container: { image: 'x/k', kernelPath: '/boot/../../etc/shadow' } } } },
      ),
    ],
    [
      'domain.firmware.kernelBoot.container.image',
      spec({}, { firmware: { kernelBoot: { container: { image: '../../k', kernelPath: '/k' } } } }),
    ],
    ['domain.clock.timezone', spec({}, { clock: { timezone: '../../etc/localtime' } })],
    ['subdomain', spec({ subdomain: 'a.b' })],
    [
      'volumes[0].containerDisk.image',
      spec({ volumes: [{ name: 'a', containerDisk: { image: 'x,file=/y' } }] }),
    ],
    [
      'volumes[0].containerDisk.image',
      spec({ volumes: [{ name: 'a', containerDisk: { image: '/a/../b' } }] }),
    ],
    [
      'volumes[0].hostDisk.path',
      spec({ volumes: [{ name: 'a', hostDisk: { path: 'json:{}', type: 'Disk' } }] }),
    ],
    [
      'volumes[0].hostDisk.path',
      spec({ volumes: [{ name: 'a', hostDisk: { path: 'nbd:x:1', type: 'Disk' } }] }),
    ],
    ['volumes[0].configMap.name', spec({ volumes: [{ name: 'a', configMap: { name: '../x' } }] })],
    ['volumes[0].secret.secretName', spec({ volumes: [{ name: 'a', secret: { secretName: 'X' } }] })],
    [
      'volumes[0].cloudInitConfigDrive.networkDataSecretRef.name',
      spec({ volumes: [{ name: 'a', cloudInitConfigDrive: { networkDataSecretRef: { name: 'a\nb' } } }] }),
    ],
    [
      'volumes[0].persistentVolumeClaim.claimName',
      spec({ volumes: [{ name: 'a', persistentVolumeClaim: { claimName: '..' } }] }),
    ],
    ['networks[0].multus.networkName', spec({ networks: [{ name: 'n', multus: { networkName: 'a/b/c' } }] })],
    [
      'networks[0].pod.vmNetworkCIDR',
      spec({ networks: [{ name: 'n', pod: { vmNetworkCIDR: '10.0.2.0/24,x=y' } }] }),
    ],
    [
      'networks[0].pod.vmIPv6NetworkCIDR',
      spec({ networks: [{ name: 'n', pod: { vmIPv6NetworkCIDR: '10.0.2.0/24' } }] }),
    ],
    [
      'accessCredentials[0].sshPublicKey.source.secret.secretName',
      spec({ accessCredentials: [{ sshPublicKey: { source: { secret: { secretName: '/etc' } } } }] }),
    ],
  ])('refuses a hostile %s, naming it, with no raw control character', (field, s) => {
    const issues = checkNodeValues(s, 'spec');
    expect(issues.map((i) => i.path)).toEqual([`spec.${field}`]);
    // eslint-disable-next-line no-control-regex
    for (const i of issues) expect(i.message).not.toMatch(/[\x00-\x1f]/);
  });

  it('tells registry references from local files', () => {
    expect(imageProblem('quay.io/containerdisks/fedora:40')).toBeUndefined();
    expect(imageProblem('file:///srv/disk.img')).toBeUndefined();
    expect(imageProblem('file://srv/disk.img')).toMatch(/absolute path/);
    expect(imageProblem('Quay.io/Upper')).toMatch(/not a container image reference/);
    expect(imageProblem(`x/${'y'.repeat(300)}`)).toMatch(/at most 255/);
    expect(imageProblem('')).toMatch(/must not be empty/);
  });

  it('runs for every VMI-bearing kind at its own path', () => {
    const bad = {
      volumes: [{ name: 'a', containerDisk: { image: '..' } }],
      domain: { memory: { guest: '1Gi' }, devices: { disks: [{ name: 'a', disk: {} }] } },
    };
    const rs = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceReplicaSet',
      metadata: { name: 'rs', namespace: 'default' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: bad },
      },
    };
    expect(validateUserFields(rs).map((i) => i.path)).toContain(
      'spec.template.spec.volumes[0].containerDisk.image',
    );
    const vm = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'vm' },
      spec: { runStrategy: 'Halted', template: { spec: bad } },
    };
    expect(validateUserFields(vm).map((i) => i.path)).toContain(
      'spec.template.spec.volumes[0].containerDisk.image',
    );
  });

  it('refuses an empty volume, disk or interface name', () => {
    const s = spec({ volumes: [{ name: '', emptyDisk: { capacity: '1Gi' } }] });
    const vmi = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'v' },
      spec: s,
    };
    expect(validateUserFields(vmi).map((i) => i.path)).toContain('spec.volumes[0].name');
  });
});

describe('a rule warning next to a schema error', () => {
  it('does not hide the error (a deprecated Vlan field of the wrong type)', () => {
    const vlan = {
      apiVersion: 'kubeovn.io/v1',
      kind: 'Vlan',
      metadata: { name: 'v' },
      spec: { id: 1, provider: 'p', vlanId: 1.5 },
    };
    const issues = validateUserFields(vlan).filter((i) => i.path === 'spec.vlanId');
    expect(issues.map((i) => i.severity).sort()).toEqual(['error', 'warning']);
  });
});

describe('paths are reported below the spec they sit in', () => {
  it('names the field under spec for a VMI', () => {
    expect(paths(spec({ subdomain: 'A' }))).toEqual(['spec.subdomain']);
  });
});
