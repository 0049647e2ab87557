import { buildLaunchPlan, type PlannableVmi } from './build';
import { LaunchSpecError } from './errors';
import type { LaunchContext } from './types';

const existing = new Set([
  '/images/guest.img',
  '/data/host.img',
  '/kb/boot/vmlinuz',
  '/kb/boot/initrd.gz',
  '/pvc/disk.img',
]);
const ctx = (over: Partial<LaunchContext> = {}): LaunchContext => ({
  workDir: '/run/vm',
  accelerator: 'tcg',
  // The tests use local images and host disks; the gates' refusals have their own tests.
  featureGates: ['LocalContainerDisk', 'HostDisk'],
  firmware: {
    efiCode: '/ovmf/CODE.fd',
    efiVars: '/ovmf/VARS.fd',
    efiSecureCode: '/ovmf/CODE.secboot.fd',
    efiSecureVars: '/ovmf/VARS.ms.fd',
  },
  exists: (p) => existing.has(p),
  ...over,
});

function vmi(
  spec: Partial<PlannableVmi['spec']> & { domain?: Partial<PlannableVmi['spec']['domain']> } = {},
): PlannableVmi {
  return {
    metadata: { name: 'web', namespace: 'prod' },
    spec: {
      ...spec,
      domain: {
        resources: { requests: { memory: '1Gi' } },
        devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
        ...spec.domain,
      },
      volumes: spec.volumes ?? [{ name: 'root', containerDisk: { image: '/images/guest.img' } }],
    },
  };
}

/** Values following each occurrence of a flag. */
function flag(args: readonly string[], name: string): string[] {
  return args.flatMap((a, i) => (a === name ? [args[i + 1]!] : []));
}

describe('buildLaunchPlan', () => {
  it('builds a q35 machine with memory, one vCPU, TCG and the default devices', () => {
    const plan = buildLaunchPlan(vmi(), ctx());
    expect(flag(plan.args, '-machine')).toEqual(['q35']);
    expect(flag(plan.args, '-accel')).toEqual(['tcg,thread=multi,tb-size=64']);
    expect(flag(plan.args, '-m')).toEqual(['1024M']);
    expect(flag(plan.args, '-smp')).toEqual(['cpus=1,sockets=1,cores=1,threads=1']);
    expect(flag(plan.args, '-cpu')).toEqual(['max']);
    // The launcher uses absolute paths; QEMU, confined to its directory, gets them relative.
    expect(plan.serialSocket).toBe('/run/vm/serial.sock');
    expect(plan.qemuDir).toBe('/run/vm');
    expect(flag(plan.args, '-chardev')).toEqual([
      'socket,id=qmp,path=./qmp.sock,server=on,wait=off',
      'socket,id=serial0,path=./serial.sock,server=on,wait=off,logfile=./serial.log,logappend=on',
      'socket,id=qga0,path=./qga.sock,server=on,wait=off',
    ]);
    expect(flag(plan.args, '-vnc')).toEqual(['vnc=unix:./vnc.sock']);
    expect(flag(plan.args, '-sandbox')).toEqual([
      'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny',
    ]);
    expect(flag(plan.args, '-device')).toEqual(
      expect.arrayContaining([
        'virtio-balloon-pci,id=balloon0',
        'virtserialport,bus=virtio-serial0.0,chardev=qga0,name=org.qemu.guest_agent.0',
      ]),
    );
    expect(plan.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(buildLaunchPlan(vmi(), ctx()).uuid).toBe(plan.uuid);
  });

  it('uses the host CPU under KVM and honours topology and CPU flags', () => {
    const plan = buildLaunchPlan(
      vmi({
        domain: {
          devices: { disks: [{ name: 'root' }] },
          cpu: {
            sockets: 2,
            cores: 2,
            threads: 1,
            features: [{ name: 'pcid' }, { name: 'vmx', policy: 'disable' }],
          },
        },
      }),
      ctx({ accelerator: 'kvm' }),
    );
    expect(flag(plan.args, '-cpu')).toEqual(['host,+pcid,-vmx']);
    expect(flag(plan.args, '-smp')).toEqual(['cpus=4,sockets=2,cores=2,threads=1']);
    expect(plan.vcpus).toBe(4);
  });

  it('puts a containerDisk on a fresh qcow2 overlay and boots it first', () => {
    const plan = buildLaunchPlan(vmi(), ctx());
    expect(plan.prepare).toContainEqual({
      kind: 'overlay',
      path: '/run/vm/disks/root.qcow2',
      base: '/images/guest.img',
      volume: 'root',
    });
    // The base is read from a descriptor the launcher opened read-only, never by its path.
    expect(plan.passFds).toEqual([{ fd: 3, set: 1, path: '/images/guest.img', write: false }]);
    expect(flag(plan.args, '-add-fd')).toEqual(['fd=3,set=1']);
    expect(flag(plan.args, '-drive')).toEqual([
      'file=./disks/root.qcow2,format=qcow2,backing.file.filename=/dev/fdset/1,if=none,id=drive-root,cache=writethrough',
    ]);
    expect(flag(plan.args, '-device')).toContain('virtio-blk-pci,drive=drive-root,id=ua-root,bootindex=1');
  });

  it('maps buses, cdroms, read-only, cache/io, serials and boot order', () => {
    const plan = buildLaunchPlan(
      vmi({
        domain: {
          devices: {
            disks: [
              { name: 'root', disk: { bus: 'sata' }, bootOrder: 2, serial: 'ROOT1' },
              { name: 'data', disk: { bus: 'scsi', readonly: true }, cache: 'none', io: 'native' },
              { name: 'iso', cdrom: { bus: 'sata' }, bootOrder: 1 },
            ],
          },
        },
        volumes: [
          { name: 'root', containerDisk: { image: '/images/guest.img' } },
          { name: 'data', hostDisk: { path: '/data/host.img', type: 'Disk' } },
          { name: 'iso', persistentVolumeClaim: { claimName: 'install-iso' } },
        ],
      }),
      ctx({ volumes: { iso: { path: '/pvc/disk.img' } } }),
    );
    const devices = flag(plan.args, '-device');
    expect(devices).toContain('ide-hd,drive=drive-root,id=ua-root,bootindex=2,bus=ide.0,serial=ROOT1');
    expect(devices).toContain('virtio-scsi-pci,id=scsi0');
    expect(devices).toContain('scsi-hd,drive=drive-data,id=ua-data,bus=scsi0.0');
    expect(devices).toContain('ide-cd,drive=drive-iso,id=ua-iso,bootindex=1,bus=ide.1');
    const drives = flag(plan.args, '-drive');
    expect(drives).toContain(
      'file=/dev/fdset/2,format=raw,if=none,id=drive-data,readonly=on,cache=none,aio=native',
    );
    expect(drives).toContain(
      'file=/dev/fdset/3,format=raw,if=none,id=drive-iso,media=cdrom,readonly=on,cache=writethrough',
    );
    // Read-only disks are passed read-only.
    expect(plan.passFds).toEqual([
      { fd: 3, set: 1, path: '/images/guest.img', write: false },
      { fd: 4, set: 2, path: '/data/host.img', write: false },
      { fd: 5, set: 3, path: '/pvc/disk.img', write: false },
    ]);
  });

  it('opens a Block volume (a block device) with QEMU host_device driver, and a regular disk.img with its file driver', () => {
    const plan = buildLaunchPlan(
      vmi({
        domain: { devices: { disks: [{ name: 'root' }, { name: 'raw' }, { name: 'scratch' }] } },
        volumes: [
          { name: 'root', persistentVolumeClaim: { claimName: 'root' } },
          { name: 'raw', persistentVolumeClaim: { claimName: 'raw' } },
          { name: 'scratch', ephemeral: { persistentVolumeClaim: { claimName: 'raw' } } },
        ],
      }),
      ctx({
        exists: () => true,
        isBlockDevice: (p) => p.endsWith('/device'),
        volumes: {
          root: { path: '/pvc/disk.img' },
          raw: { path: '/volumes/pvc-1/device' },
          scratch: { path: '/volumes/pvc-1/device' },
        },
      }),
    );
    const drives = flag(plan.args, '-drive');
    expect(drives.find((d) => d.includes('id=drive-root'))).not.toContain('driver=host_device');
    expect(drives.find((d) => d.includes('id=drive-raw'))).toMatch(
      /^file=\/dev\/fdset\/\d+,file\.driver=host_device,format=raw,/,
    );
    expect(drives.find((d) => d.includes('id=drive-scratch'))).toContain('backing.file.driver=host_device');
  });

  it('writes cloud-init NoCloud and ConfigDrive ISOs with the right labels and files', () => {
    const plan = buildLaunchPlan(
      vmi({
        domain: { devices: { disks: [{ name: 'root' }, { name: 'ci' }, { name: 'cd' }] } },
        volumes: [
          { name: 'root', containerDisk: { image: '/images/guest.img' } },
          {
            name: 'ci',
            cloudInitNoCloud: {
              userDataBase64: Buffer.from('#cloud-config\nx: 1\n').toString('base64'),
              networkData: 'version: 2\n',
            },
          },
          { name: 'cd', cloudInitConfigDrive: { userData: '#!/bin/sh\necho hi\n' } },
        ],
      }),
      ctx(),
    );
    const isos = plan.prepare.filter((s) => s.kind === 'iso');
    expect(isos).toEqual([
      expect.objectContaining({
        label: 'cidata',
        path: '/run/vm/cloud-init/ci.iso',
        files: {
          'meta-data': 'instance-id: web.prod\nlocal-hostname: web\n',
          'user-data': '#cloud-config\nx: 1\n',
          'network-config': 'version: 2\n',
        },
      }),
      expect.objectContaining({
        label: 'config-2',
        files: expect.objectContaining({ 'openstack/latest/user_data': '#!/bin/sh\necho hi\n' }),
      }),
    ]);
  });

  it('creates emptyDisk and DiskOrCreate images, and uses handler-provided claim paths', () => {
    const plan = buildLaunchPlan(
      vmi({
        domain: { devices: { disks: [{ name: 'root' }, { name: 'scratch' }, { name: 'grow' }] } },
        volumes: [
          { name: 'root', dataVolume: { name: 'root-dv' } },
          { name: 'scratch', emptyDisk: { capacity: '2Gi' } },
          { name: 'grow', hostDisk: { path: '/data/new.img', type: 'DiskOrCreate', capacity: '64Mi' } },
        ],
      }),
      ctx({ volumes: { root: { path: '/pvc/disk.img' } } }),
    );
    expect(plan.prepare).toContainEqual({
      kind: 'emptyDisk',
      path: '/run/vm/disks/scratch.qcow2',
      sizeBytes: 2 * 2 ** 30,
      volume: 'scratch',
    });
    expect(plan.prepare).toContainEqual({
      kind: 'createIfMissing',
      path: '/data/new.img',
      sizeBytes: 64 * 2 ** 20,
      volume: 'grow',
    });
    expect(plan.disks.map((d) => `${d.name}:${d.volumeSource}:${d.path}`)).toEqual([
      'root:dataVolume:/pvc/disk.img',
      'scratch:emptyDisk:/run/vm/disks/scratch.qcow2',
      'grow:hostDisk:/data/new.img',
    ]);
  });

  it("refuses what reaches the node's files unless the cluster's feature gate allows it", () => {
    const spec = {
      volumes: [
        { name: 'root', containerDisk: { image: 'file:///images/guest.img' } },
        { name: 'data', hostDisk: { path: '/data/host.img', type: 'Disk' as const } },
      ],
      domain: { devices: { disks: [{ name: 'root' }, { name: 'data' }] } },
    };
    const refusal = (gates: string[]): string[] => {
      try {
        buildLaunchPlan(vmi(spec), ctx({ featureGates: gates }));
        return [];
      } catch (e) {
        return (e as LaunchSpecError).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(refusal([])).toEqual([
      expect.stringMatching(
        /^spec\.volumes\[0\]\.containerDisk\.image: LocalContainerDisk feature gate is not enabled/,
      ),
      expect.stringMatching(/^spec\.volumes\[1\]\.hostDisk: HostDisk feature gate is not enabled/),
    ]);
    expect(refusal(['LocalContainerDisk'])).toEqual([expect.stringMatching(/HostDisk feature gate/)]);
    expect(refusal(['LocalContainerDisk', 'HostDisk'])).toEqual([]);
  });

  it('boots EFI with Secure Boot by default, copying the variable store into the work dir', () => {
    const plan = buildLaunchPlan(
      vmi({ domain: { devices: { disks: [{ name: 'root' }] }, firmware: { bootloader: { efi: {} } } } }),
      ctx(),
    );
    expect(plan.firmware).toBe('efi');
    expect(flag(plan.args, '-machine')).toEqual(['q35,smm=on']);
    expect(flag(plan.args, '-drive')).toEqual(
      expect.arrayContaining([
        'if=pflash,format=raw,unit=0,readonly=on,file=/dev/fdset/1',
        'if=pflash,format=raw,unit=1,file=./efi-vars.fd',
      ]),
    );
    expect(plan.passFds[0]).toEqual({ fd: 3, set: 1, path: '/ovmf/CODE.secboot.fd', write: false });
    expect(plan.prepare).toContainEqual({
      kind: 'copyIfMissing',
      from: '/ovmf/VARS.ms.fd',
      path: '/run/vm/efi-vars.fd',
    });
    const plain = buildLaunchPlan(
      vmi({
        domain: {
          devices: { disks: [{ name: 'root' }] },
          firmware: { bootloader: { efi: { secureBoot: false } } },
        },
      }),
      ctx(),
    );
    expect(flag(plain.args, '-drive')).toContain('if=pflash,format=raw,unit=0,readonly=on,file=/dev/fdset/1');
    expect(plain.passFds[0]!.path).toBe('/ovmf/CODE.fd');
    // A persistent store outside QEMU's directory is passed read-write (and read-only).
    const persistent = buildLaunchPlan(
      vmi({
        domain: {
          devices: { disks: [{ name: 'root' }] },
          firmware: { bootloader: { efi: { secureBoot: false, persistent: true } } },
        },
      }),
      ctx({ stateDir: '/var/lib/vm' }),
    );
    expect(flag(persistent.args, '-drive')).toContain('if=pflash,format=raw,unit=1,file=/dev/fdset/2');
    expect(persistent.passFds.filter((f) => f.set === 2)).toEqual([
      { fd: 4, set: 2, path: '/var/lib/vm/efi-vars.fd', write: true },
      { fd: 5, set: 2, path: '/var/lib/vm/efi-vars.fd', write: false },
    ]);
  });

  it('boots a kernel directly from a kernelBoot container directory', () => {
    const plan = buildLaunchPlan(
      vmi({
        domain: {
          devices: { disks: [] },
          firmware: {
            kernelBoot: {
              kernelArgs: 'console=ttyS0',
              container: { image: '/kb', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.gz' },
            },
          },
        },
        volumes: [],
      }),
      ctx(),
    );
    expect(plan.firmware).toBe('kernel');
    // QEMU reads the kernel and initrd from copies in its own directory, made after the
    // launcher checked that the files really are inside the image.
    expect(flag(plan.args, '-kernel')).toEqual(['./boot/kernel']);
    expect(flag(plan.args, '-initrd')).toEqual(['./boot/initrd']);
    expect(plan.prepare).toEqual(
      expect.arrayContaining([
        {
          kind: 'confine',
          base: '/kb',
          path: '/kb/boot/vmlinuz',
          field: expect.stringContaining('kernelPath'),
        },
        { kind: 'copy', from: '/kb/boot/vmlinuz', path: '/run/vm/boot/kernel' },
        { kind: 'copy', from: '/kb/boot/initrd.gz', path: '/run/vm/boot/initrd' },
      ]),
    );
    const order = plan.prepare.map((st) => st.kind);
    expect(order.indexOf('confine')).toBeLessThan(order.indexOf('copy'));
    expect(flag(plan.args, '-append')).toEqual(['console=ttyS0']);
  });

  it('uses the tap the handler hands over, else user-mode networking with a stable MAC', () => {
    const spec = {
      domain: {
        devices: {
          disks: [{ name: 'root' }],
          interfaces: [
            { name: 'default', masquerade: {} },
            { name: 'blue', bridge: {}, model: 'e1000' as const, macAddress: 'DE-AD-00-00-BE-AF' },
          ],
        },
      },
      networks: [
        { name: 'default', pod: {} },
        { name: 'blue', multus: { networkName: 'blue-net' } },
      ],
    };
    const plan = buildLaunchPlan(vmi(spec), ctx({ taps: { blue: 'tap-blue' } }));
    expect(flag(plan.args, '-netdev')).toEqual([
      'user,id=net-default,net=10.0.2.0/24,hostname=web',
      'tap,id=net-blue,ifname=tap-blue,script=no,downscript=no',
    ]);
    expect(flag(plan.args, '-device')).toContain('e1000,netdev=net-blue,mac=de:ad:00:00:be:af,id=ua-blue');
    expect(plan.interfaces[0]!.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(buildLaunchPlan(vmi(spec), ctx({ taps: { blue: 'tap-blue' } })).interfaces[0]!.mac).toBe(
      plan.interfaces[0]!.mac,
    );
  });

  it('refuses a multus network standalone (no node attached it), naming the network', () => {
    const spec = {
      domain: { devices: { disks: [{ name: 'root' }], interfaces: [{ name: 'blue', bridge: {} }] } },
      networks: [{ name: 'blue', multus: { networkName: 'blue-net' } }],
    };
    expect(() => buildLaunchPlan(vmi(spec), ctx())).toThrow(
      /spec\.networks\[0\]\.multus.*a Multus network is attached by the node.*blue-net|blue-net.*a Multus network is attached by the node/s,
    );
  });

  it('adds the implicit pod interface only when none is declared', () => {
    expect(buildLaunchPlan(vmi(), ctx()).interfaces.map((i) => i.name)).toEqual(['default']);
    expect(
      buildLaunchPlan(
        vmi({ domain: { devices: { disks: [{ name: 'root' }], autoattachPodInterface: false } } }),
        ctx(),
      ).interfaces,
    ).toEqual([]);
  });

  it('gathers every problem into one error naming path, value and fix', () => {
    const run = (): unknown =>
      buildLaunchPlan(
        vmi({
          domain: {
            resources: {},
            machine: { type: 'virt' },
            devices: {
              disks: [
                { name: 'root', disk: { bus: 'ide' } },
                { name: 'gone' },
                { name: 'claim' },
                { name: 'cd', cdrom: { bus: 'virtio' } },
              ],
              interfaces: [{ name: 'nowhere', masquerade: {} }],
            },
          },
          volumes: [
            { name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:latest' } },
            { name: 'gone', hostDisk: { path: '/data/missing.img', type: 'Disk' } },
            { name: 'claim', persistentVolumeClaim: { claimName: 'data' } },
            { name: 'cd', containerDisk: { image: '/images/guest.img' } },
          ],
        }),
        ctx(),
      );
    expect(run).toThrow(LaunchSpecError);
    const err = (() => {
      try {
        run();
      } catch (e) {
        return e as LaunchSpecError;
      }
      throw new Error('no error');
    })();
    expect(err.problems.map((p) => p.path)).toEqual([
      'spec.domain.machine.type',
      'spec.domain.memory.guest',
      'spec.domain.devices.disks[0].disk.bus',
      'spec.volumes[1].hostDisk.path',
      'spec.volumes[2].persistentVolumeClaim',
      'spec.domain.devices.disks[3].cdrom.bus',
      'spec.domain.devices.interfaces[0].name',
    ]);
    expect(err.message).toContain('VirtualMachineInstance prod/web cannot be launched (7 problems)');
    expect(err.message).toContain(
      'spec.domain.devices.disks[0].disk.bus = "ide": unknown bus; use virtio, sata, scsi or usb',
    );
  });

  it('refuses features it cannot provide instead of dropping them', () => {
    expect(() =>
      buildLaunchPlan(
        vmi({
          domain: {
            devices: { disks: [{ name: 'root' }], gpus: [{ name: 'g', deviceName: 'nvidia.com/GP' }] },
            memory: { hugepages: { pageSize: '2Mi' } },
          },
        }),
        ctx(),
      ),
    ).toThrow(/spec\.domain\.memory\.hugepages[\s\S]*spec\.domain\.devices\.gpus/);
  });

  it('starts paused for startStrategy Paused and exits on reboot for rebootPolicy Terminate', () => {
    const plan = buildLaunchPlan(
      vmi({
        startStrategy: 'Paused',
        domain: { devices: { disks: [{ name: 'root' }] }, rebootPolicy: 'Terminate' },
      }),
      ctx(),
    );
    expect(plan.args).toContain('-S');
    expect(plan.args).toContain('-no-reboot');
  });

  it('a migration target waits for the incoming migration, paused, with the same devices as its source', () => {
    const source = buildLaunchPlan(vmi(), ctx());
    const target = buildLaunchPlan(vmi(), ctx({ migrationTarget: true }));
    expect(flag(target.args, '-incoming')).toEqual(['defer']);
    expect(target.args.filter((a) => a === '-S')).toHaveLength(1);
    expect(target.incoming).toBe(true);
    expect(source.incoming).toBeUndefined();
    expect(source.args).not.toContain('-incoming');
    expect(source.args).not.toContain('-S');
    // QEMU only accepts a migration between identical machines: the rest of the line is the same.
    expect(
      target.args.filter((a, i, all) => a !== '-S' && a !== '-incoming' && all[i - 1] !== '-incoming'),
    ).toEqual(source.args);
    // startStrategy Paused and a migration target together still pass -S once.
    const paused = buildLaunchPlan(vmi({ startStrategy: 'Paused' }), ctx({ migrationTarget: true }));
    expect(paused.args.filter((a) => a === '-S')).toHaveLength(1);
  });

  it('refuses a migrationTarget resource that is not a boolean', () => {
    expect(() => buildLaunchPlan(vmi(), ctx({ migrationTarget: 'yes' as unknown as boolean }))).toThrow(
      /resources\.migrationTarget = "yes": must be true or false/,
    );
  });
});
