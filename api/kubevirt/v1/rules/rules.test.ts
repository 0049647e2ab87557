import type { Issue } from '../../../validation/issue';
import { checkVmiSpec } from './vmi-spec';
import { checkVmSpec } from './vm';

type Spec = Record<string, unknown>;

/** A small valid VMI spec: container disk, cloud-init, masquerade on the pod network. */
function vmiSpec(): Spec {
  return {
    domain: {
      memory: { guest: '128Mi' },
      devices: {
        disks: [
          { name: 'rootdisk', disk: { bus: 'virtio' }, bootOrder: 1 },
          { name: 'cloudinit', disk: { bus: 'virtio' } },
        ],
        interfaces: [{ name: 'default', masquerade: {} }],
      },
    },
    networks: [{ name: 'default', pod: {} }],
    volumes: [
      { name: 'rootdisk', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
      { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
    ],
  };
}

function vmSpec(): Spec {
  return { runStrategy: 'Always', template: { spec: vmiSpec() } };
}

function only(issues: Issue[], rule: string): Issue[] {
  return issues.filter((i) => i.rule === rule);
}

/** Apply a mutation to a fresh spec and return the issues. */
function vmiWith(mutate: (s: Spec & { domain: Spec & { devices: Spec } }) => void): Issue[] {
  const s = vmiSpec() as Spec & { domain: Spec & { devices: Spec } };
  mutate(s);
  return checkVmiSpec(s, 'spec');
}

describe('VMI admission rules', () => {
  it('accept a valid spec', () => {
    expect(checkVmiSpec(vmiSpec(), 'spec')).toEqual([]);
  });

  it('a disk without a matching volume', () => {
    const issues = vmiWith((s) => (s.domain.devices.disks as Spec[]).push({ name: 'data', disk: {} }));
    expect(only(issues, 'vmi.disk-without-volume')).toEqual([
      expect.objectContaining({
        path: 'spec.domain.devices.disks[2].name',
        message: expect.stringContaining("spec.domain.devices.disks[2].Name 'data' not found."),
      }),
    ]);
  });

  it('a volume without a disk', () => {
    const issues = vmiWith((s) =>
      (s.volumes as Spec[]).push({ name: 'extra', emptyDisk: { capacity: '1Gi' } }),
    );
    expect(only(issues, 'vmi.volume-without-disk')[0].path).toBe('spec.volumes[2].name');
  });

  it('duplicate disk, volume, interface and network names', () => {
    const issues = vmiWith((s) => {
      (s.domain.devices.disks as Spec[]).push({ name: 'rootdisk', disk: {} });
      (s.volumes as Spec[]).push({ name: 'rootdisk', emptyDisk: { capacity: '1Gi' } });
      (s.domain.devices.interfaces as Spec[]).push({ name: 'default', masquerade: {} });
      (s.networks as Spec[]).push({ name: 'default', pod: {} });
    });
    expect(only(issues, 'vmi.disk-name-unique')[0]).toMatchObject({
      path: 'spec.domain.devices.disks[2].name',
      message: 'spec.domain.devices.disks[2] and spec.domain.devices.disks[0] must not have the same Name.',
    });
    expect(only(issues, 'vmi.volume-name-unique')[0].path).toBe('spec.volumes[2].name');
    expect(only(issues, 'vmi.interface-name-unique')[0].message).toBe(
      'Only one interface can be connected to one specific network',
    );
    expect(only(issues, 'vmi.network-name-unique')[0].message).toBe(
      'Network with name "default" already exists, every network must have a unique name',
    );
  });

  it('no memory requested', () => {
    const issues = vmiWith((s) => delete s.domain.memory);
    expect(only(issues, 'vmi.memory-required')[0].message).toBe(
      "no memory requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.size' or 'spec.domain.resources.requests.memory' must be set",
    );
  });

  it('memory from resources.requests is enough', () => {
    const issues = vmiWith((s) => {
      delete s.domain.memory;
      s.domain.resources = { requests: { memory: '64Mi' } };
    });
    expect(only(issues, 'vmi.memory-required')).toEqual([]);
  });

  it('a volume with zero or several sources', () => {
    const issues = vmiWith((s) => {
      (s.volumes as Spec[])[0] = { name: 'rootdisk' };
      (s.volumes as Spec[])[1] = {
        name: 'cloudinit',
        cloudInitNoCloud: { userData: 'x' },
        emptyDisk: { capacity: '1Gi' },
      };
    });
    const found = only(issues, 'vmi.volume-one-source');
    expect(found.map((i) => i.path)).toEqual(['spec.volumes[0]', 'spec.volumes[1]']);
    expect(found[0].message).toContain('spec.volumes[0] must have exactly one source type set');
    expect(found[1].message).toContain('cloudInitNoCloud and emptyDisk');
  });

  it('EFI and BIOS both set', () => {
    const issues = vmiWith(
      (s) => (s.domain.firmware = { bootloader: { efi: { secureBoot: false }, bios: {} } }),
    );
    expect(only(issues, 'vmi.efi-and-bios')[0].message).toBe(
      'spec.domain.firmware.bootloader has both EFI and BIOS configured, but they are mutually exclusive.',
    );
  });

  it('secure boot without SMM', () => {
    const issues = vmiWith((s) => (s.domain.firmware = { bootloader: { efi: {} } }));
    expect(only(issues, 'vmi.secureboot-smm')[0].message).toContain(
      'SecureBoot requires SMM, which is currently disabled.',
    );
    const fixed = vmiWith((s) => {
      s.domain.firmware = { bootloader: { efi: {} } };
      s.domain.features = { smm: {} };
    });
    expect(only(fixed, 'vmi.secureboot-smm')).toEqual([]);
  });

  it('isolateEmulatorThread without dedicatedCpuPlacement', () => {
    const issues = vmiWith((s) => (s.domain.cpu = { isolateEmulatorThread: true }));
    expect(only(issues, 'vmi.isolate-emulator-thread')[0]).toMatchObject({
      path: 'spec.domain.cpu.isolateEmulatorThread',
      message: 'IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement',
    });
  });

  it('a boot order used twice, across disks and interfaces', () => {
    const issues = vmiWith((s) => ((s.domain.devices.interfaces as Spec[])[0].bootOrder = 1));
    expect(only(issues, 'vmi.boot-order-unique')[0].message).toBe(
      'Boot order for spec.domain.devices.interfaces[0].bootOrder already set for a different device.',
    );
  });

  it('masquerade on a non-pod network', () => {
    const issues = vmiWith((s) => {
      (s.domain.devices.interfaces as Spec[]).push({ name: 'ovn', masquerade: {} });
      (s.networks as Spec[]).push({ name: 'ovn', multus: { networkName: 'default/ovn' } });
    });
    expect(only(issues, 'vmi.masquerade-pod-only')[0]).toMatchObject({
      path: 'spec.domain.devices.interfaces[1].name',
      message: 'Masquerade interface only implemented with pod network',
    });
  });

  it('more than one pod network', () => {
    const issues = vmiWith((s) => {
      (s.domain.devices.interfaces as Spec[]).push({ name: 'second', bridge: {} });
      (s.networks as Spec[]).push({ name: 'second', pod: {} });
    });
    expect(only(issues, 'vmi.one-pod-network')[0].message).toBe(
      'more than one interface is connected to a pod network in spec.interfaces',
    );
  });

  it('an interface with more than one binding', () => {
    const issues = vmiWith((s) => ((s.domain.devices.interfaces as Spec[])[0].bridge = {}));
    expect(only(issues, 'vmi.interface-one-binding')[0].message).toContain(
      'must have exactly one binding method; it has bridge and masquerade',
    );
  });

  it('cloud-init userData over the size limit', () => {
    const issues = vmiWith(
      (s) =>
        ((s.volumes as Spec[])[1] = { name: 'cloudinit', cloudInitNoCloud: { userData: 'x'.repeat(2049) } }),
    );
    expect(only(issues, 'vmi.cloud-init-userdata-size')[0].message).toBe(
      'spec.volumes[1].cloudInitNoCloud userdata exceeds 2048 byte limit. Should use UserDataSecretRef for larger data.',
    );
    const atLimit = vmiWith(
      (s) =>
        ((s.volumes as Spec[])[1] = { name: 'cloudinit', cloudInitNoCloud: { userData: 'x'.repeat(2048) } }),
    );
    expect(only(atLimit, 'vmi.cloud-init-userdata-size')).toEqual([]);
  });

  it('cloud-init user-data from a Secret alone is enough', () => {
    const issues = vmiWith(
      (s) =>
        ((s.volumes as Spec[])[1] = {
          name: 'cloudinit',
          cloudInitNoCloud: { secretRef: { name: 'userdata' } },
        }),
    );
    expect(issues).toEqual([]);
    const empty = vmiWith((s) => ((s.volumes as Spec[])[1] = { name: 'cloudinit', cloudInitNoCloud: {} }));
    expect(only(empty, 'vmi.cloud-init-empty')[0].message).toBe(
      'spec.volumes[1].cloudInitNoCloud must have at least one userdatasource or one networkdatasource set.',
    );
  });

  it('the IDE bus and unknown buses', () => {
    const issues = vmiWith((s) => {
      (s.domain.devices.disks as Spec[])[0].disk = { bus: 'ide' };
      (s.domain.devices.disks as Spec[])[1].disk = { bus: 'floppy' };
    });
    expect(only(issues, 'vmi.disk-bus-ide')[0]).toMatchObject({
      path: 'spec.domain.devices.disks[0].disk.bus',
      message: 'IDE bus is not supported',
    });
    expect(only(issues, 'vmi.disk-bus-unknown')[0].message).toBe(
      'spec.domain.devices.disks[1] is set with an unrecognized bus floppy, must be one of: [virtio scsi sata usb]',
    );
  });

  it('a virtio cdrom', () => {
    const issues = vmiWith(
      (s) => ((s.domain.devices.disks as Spec[])[1] = { name: 'cloudinit', cdrom: { bus: 'virtio' } }),
    );
    expect(only(issues, 'vmi.cdrom-virtio')[0].message).toBe('Bus type virtio is invalid for CD-ROM device');
  });

  it('an interface naming a network that does not exist, and a network without interface', () => {
    const issues = vmiWith((s) => {
      (s.domain.devices.interfaces as Spec[]).push({ name: 'lost', bridge: {} });
      (s.networks as Spec[]).push({ name: 'orphan', multus: { networkName: 'x' } });
    });
    expect(only(issues, 'vmi.interface-without-network')[0].path).toBe(
      'spec.domain.devices.interfaces[1].name',
    );
    expect(only(issues, 'vmi.network-without-interface')[0].path).toBe('spec.networks[1].name');
  });

  it('hostDisk type, path and capacity', () => {
    const issues = vmiWith((s) => {
      (s.domain.devices.disks as Spec[]).push({ name: 'host', disk: {} });
      (s.volumes as Spec[]).push({ name: 'host', hostDisk: { type: 'Disk', capacity: '1Gi' } });
    });
    expect(only(issues, 'vmi.hostdisk-path')[0].path).toBe('spec.volumes[2].hostDisk.path');
    expect(only(issues, 'vmi.hostdisk-capacity')[0].message).toBe(
      "spec.volumes[2].hostDisk.capacity is allowed to pass only with spec.volumes[2].hostDisk.type equal to 'DiskOrCreate'",
    );
  });

  it('probes need exactly one handler', () => {
    const issues = vmiWith((s) => (s.readinessProbe = { initialDelaySeconds: 1 }));
    expect(only(issues, 'vmi.probe-one-handler')[0].message).toBe(
      'either spec.readinessProbe.tcpSocket, spec.readinessProbe.exec or spec.readinessProbe.httpGet must be set if a spec.readinessProbe is specified',
    );
  });

  it('MAC address and interface model', () => {
    const issues = vmiWith((s) => {
      (s.domain.devices.interfaces as Spec[])[0].macAddress = 'zz:00';
      (s.domain.devices.interfaces as Spec[])[0].model = 'virtio-net';
    });
    expect(only(issues, 'vmi.interface-mac')[0].message).toBe(
      'interface spec.domain.devices.interfaces[0].name has malformed MAC address (zz:00).',
    );
    expect(only(issues, 'vmi.interface-model')[0].message).toBe(
      'interface spec.domain.devices.interfaces[0].name uses model virtio-net that is not supported.',
    );
  });

  it("a masquerade interface may not take the in-pod bridge's MAC (KubeVirt's reserved one), in any spelling", () => {
    for (const mac of ['02:00:00:00:00:00', '02-00-00-00-00-00']) {
      const issues = vmiWith((s) => {
        (s.domain.devices.interfaces as Spec[])[0] = { name: 'default', masquerade: {}, macAddress: mac };
      });
      const [issue] = only(issues, 'vmi.interface-mac-reserved');
      expect(issue?.path).toBe('spec.domain.devices.interfaces[0].macAddress');
      expect(issue?.message).toMatch(
        /^The requested MAC address is reserved for the in-pod bridge\. Please choose another one\. \(/,
      );
    }
    // Another binding has no in-pod bridge of that MAC.
    const bridged = vmiWith((s) => {
      (s.domain.devices.interfaces as Spec[])[0] = {
        name: 'default',
        bridge: {},
        macAddress: '02:00:00:00:00:00',
      };
    });
    expect(only(bridged, 'vmi.interface-mac-reserved')).toEqual([]);
  });

  it('reports every problem at once', () => {
    const issues = vmiWith((s) => {
      delete s.domain.memory;
      (s.domain.devices.disks as Spec[])[0].disk = { bus: 'ide' };
      s.domain.cpu = { isolateEmulatorThread: true };
    });
    expect(new Set(issues.map((i) => i.rule))).toEqual(
      new Set(['vmi.memory-required', 'vmi.disk-bus-ide', 'vmi.isolate-emulator-thread']),
    );
  });

  it('never throws on shapes the schema rejects', () => {
    expect(() => checkVmiSpec({ domain: 'x', volumes: 'y', networks: [null, 3] }, 'spec')).not.toThrow();
  });
});

describe('VM admission rules', () => {
  it('accept a valid VM', () => {
    expect(checkVmSpec(vmSpec(), 'spec')).toEqual([]);
  });

  it('runStrategy and running both set, neither set, or unknown', () => {
    const both = checkVmSpec({ ...vmSpec(), running: true }, 'spec');
    expect(both[0]).toMatchObject({
      path: 'spec.running',
      message: expect.stringContaining('Running and RunStrategy are mutually exclusive'),
    });
    const neither = { ...vmSpec() };
    delete neither.runStrategy;
    expect(checkVmSpec(neither, 'spec')[0].message).toContain(
      'One of Running or RunStrategy must be specified',
    );
    const unknown = checkVmSpec({ ...vmSpec(), runStrategy: 'Sometimes' }, 'spec');
    expect(unknown[0]).toMatchObject({
      path: 'spec.runStrategy',
      message: expect.stringContaining('Invalid RunStrategy (Sometimes)'),
    });
  });

  it('the deprecated running field alone is accepted', () => {
    const spec: Spec = { ...vmSpec(), running: false };
    delete spec.runStrategy;
    expect(checkVmSpec(spec, 'spec')).toEqual([]);
  });

  it('a dataVolumeTemplate not referenced by a volume', () => {
    const issues = checkVmSpec(
      { ...vmSpec(), dataVolumeTemplates: [{ metadata: { name: 'db-data' }, spec: {} }] },
      'spec',
    );
    expect(issues[0]).toMatchObject({
      path: 'spec.dataVolumeTemplates[0]',
      message: expect.stringContaining(
        "DataVolumeTemplate entry spec.dataVolumeTemplates[0] must be referenced in the VMI template's 'volumes' list",
      ),
    });
  });

  it('an instancetype inferred from a volume is checked by the controller, not here: the fallback memory is allowed', () => {
    const spec = vmSpec() as { template: { spec: { domain: Spec } } } & Spec;
    spec.instancetype = { inferFromVolume: 'rootdisk', inferFromVolumeFailurePolicy: 'Ignore' };
    expect(
      checkVmSpec(spec, 'spec').filter((i) => /conflicts with selected instance type/.test(i.message)),
    ).toEqual([]);
  });

  it('instancetype fields that conflict with the VM', () => {
    const spec = vmSpec() as { template: { spec: { domain: Spec } } } & Spec;
    spec.instancetype = { name: 'u1.small' };
    spec.template.spec.domain.cpu = { sockets: 2 };
    const issues = checkVmSpec(spec, 'spec');
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringContaining(
        'VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type',
      ),
      expect.stringContaining(
        'VM field(s) spec.template.spec.domain.memory.guest conflicts with selected instance type',
      ),
    ]);
  });

  it('with an instancetype, memory comes from it', () => {
    const spec = vmSpec() as { template: { spec: { domain: Spec } } } & Spec;
    spec.instancetype = { name: 'u1.small' };
    delete spec.template.spec.domain.memory;
    expect(checkVmSpec(spec, 'spec')).toEqual([]);
  });

  it('template rules are reported under spec.template.spec', () => {
    const spec = vmSpec() as { template: { spec: { domain: { devices: { disks: Spec[] } } } } } & Spec;
    spec.template.spec.domain.devices.disks[0].disk = { bus: 'ide' };
    expect(checkVmSpec(spec, 'spec')[0].path).toBe('spec.template.spec.domain.devices.disks[0].disk.bus');
  });

  it('a VM without a template', () => {
    expect(checkVmSpec({ runStrategy: 'Always' }, 'spec')).toEqual([
      expect.objectContaining({ path: 'spec.template', message: 'missing virtual machine template.' }),
    ]);
  });
});
