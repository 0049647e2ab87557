/**
 * Hostile values through the planner: each either reaches QEMU as exactly the keys and values
 * intended (read back with QEMU's own option grammar) or is refused with the field named.
 */
import { buildLaunchPlan, type PlannableVmi } from './build';
import { LaunchSpecError } from './errors';
import { IMPLIED_KEY, RAW_OPTIONS, options, parseCpu, parseOpts } from './qemu-grammar.test-helper';
import type { LaunchContext, LaunchPlan } from './types';

type Spec = PlannableVmi['spec'];

const ctx = (over: Partial<LaunchContext> = {}): LaunchContext => ({
  workDir: '/run/vm',
  accelerator: 'tcg',
  // The tests use local images and host disks; the gates' refusals have their own tests.
  featureGates: ['LocalContainerDisk', 'HostDisk'],
  firmware: { efiCode: '/ovmf/CODE.fd', efiVars: '/ovmf/VARS.fd' },
  exists: () => true,
  ...over,
});

function base(): PlannableVmi {
  return {
    metadata: { name: 'web', namespace: 'prod' },
    spec: {
      domain: {
        resources: { requests: { memory: '1Gi' } },
        devices: {
          disks: [
            { name: 'root', disk: { bus: 'virtio' }, serial: 'S1' },
            { name: 'data', disk: { bus: 'scsi' } },
          ],
          interfaces: [{ name: 'default', masquerade: {} }],
        },
      },
      networks: [{ name: 'default', pod: {} }],
      volumes: [
        { name: 'root', containerDisk: { image: '/images/guest.img' } },
        { name: 'data', hostDisk: { path: '/data/host.img', type: 'Disk' } },
      ],
    } as Spec,
  };
}

interface Case {
  readonly what: string;
  /** The field a refusal must name. */
  readonly field: string;
  /** A value the planner accepts as it is, and the hostile ones. */
  readonly benign: string;
  readonly set: (vmi: PlannableVmi, value: string) => LaunchContext | void;
}

const CASES: Case[] = [
  {
    what: 'the VMI name',
    field: 'metadata.name',
    benign: 'benign',
    set: (v, x) => void (v.metadata!.name = x),
  },
  {
    what: 'the CPU model',
    field: 'spec.domain.cpu.model',
    benign: 'Skylake-Server',
    set: (v, x) => void (v.spec.domain.cpu = { model: x }),
  },
  {
    what: 'a CPU feature name',
    field: 'spec.domain.cpu.features[0].name',
    benign: 'pcid',
    set: (v, x) => void (v.spec.domain.cpu = { features: [{ name: x }] }),
  },
  {
    what: 'the SMBIOS serial',
    field: 'spec.domain.firmware.serial',
    benign: 'benign',
    set: (v, x) => void (v.spec.domain.firmware = { serial: x }),
  },
  {
    what: 'the firmware UUID',
    field: 'spec.domain.firmware.uuid',
    benign: '5d307ca9-b3ef-428c-8861-06e72d69f223',
    set: (v, x) => void (v.spec.domain.firmware = { uuid: x }),
  },
  {
    what: 'a disk serial',
    field: 'spec.domain.devices.disks[0].serial',
    benign: 'benign',
    set: (v, x) => void (v.spec.domain.devices.disks![0]!.serial = x),
  },
  {
    what: 'a hostDisk path',
    field: 'spec.volumes[1].hostDisk.path',
    benign: '/data/benign.img',
    set: (v, x) => void (v.spec.volumes![1]!.hostDisk!.path = x),
  },
  {
    what: 'a volume (and disk) name',
    field: 'spec.volumes[0].name',
    benign: 'benign',
    set: (v, x) => {
      v.spec.volumes![0]!.name = x;
      v.spec.domain.devices.disks![0]!.name = x;
    },
  },
  {
    what: 'the host name',
    field: 'spec.hostname',
    benign: 'benign',
    set: (v, x) => void (v.spec.hostname = x),
  },
  {
    what: 'the pod network CIDR',
    field: 'spec.networks[0].pod.vmNetworkCIDR',
    benign: '10.0.2.0/24',
    set: (v, x) => void (v.spec.networks![0]!.pod = { vmNetworkCIDR: x }),
  },
  {
    what: 'the kernel arguments',
    field: 'spec.domain.firmware.kernelBoot.kernelArgs',
    benign: 'console=ttyS0',
    set: (v, x) =>
      void (v.spec.domain.firmware = {
        kernelBoot: { kernelArgs: x, container: { image: '/kb', kernelPath: '/boot/vmlinuz' } },
      }),
  },
  {
    what: 'the kernel path inside the image',
    field: 'spec.domain.firmware.kernelBoot.container.kernelPath',
    benign: 'benign',
    set: (v, x) =>
      void (v.spec.domain.firmware = {
        kernelBoot: { container: { image: '/kb', kernelPath: `/boot/${x}` } },
      }),
  },
  {
    what: 'the work directory',
    field: '--workdir',
    benign: '/run/benign',
    set: (_v, x) => ctx({ workDir: x }),
  },
];

const HOSTILE = [
  'a,b',
  'a=b',
  'a,,b',
  'x,file=/etc/shadow',
  ',id=evil,',
  'x\ny',
  'x\u0000y',
  '../../../victim',
  '/etc/passwd',
  'json:{"driver":"file","filename":"/etc/shadow"}',
  'nbd:127.0.0.1:10809',
  'host,+vmx',
  '.',
  '..',
  'y'.repeat(300),
  '/run/vm,x=y',
  'console=ttyS0,115200 init=/bin/sh',
];

function plan(value: string, c: Case): LaunchPlan | LaunchSpecError {
  const vmi = base();
  const context = c.set(vmi, value) ?? ctx();
  try {
    return buildLaunchPlan(vmi, context);
  } catch (e) {
    if (e instanceof LaunchSpecError) return e;
    throw e;
  }
}

/** Every option of `hostile` parses as the same option of `benign`, with only the value swapped. */
function expectSameShape(
  benign: readonly string[],
  hostile: readonly string[],
  from: string,
  to: string,
): void {
  const swap = (s: string): string => s.split(from).join(to);
  const a = options(benign);
  const b = options(hostile);
  expect(b.map(([o]) => o)).toEqual(a.map(([o]) => o));
  a.forEach(([opt, value], i) => {
    const got = b[i]![1];
    // -kernel / -initrd name the launcher's copy in QEMU's directory: never a value from the VMI.
    if (RAW_OPTIONS.has(opt)) expect(got).toBe(swap(value));
    else if (opt === '-cpu') {
      const pa = parseCpu(value);
      expect(parseCpu(got)).toEqual({ model: swap(pa.model), features: pa.features.map(swap) });
    } else {
      const pa = parseOpts(value, IMPLIED_KEY[opt]);
      const pb = parseOpts(got, IMPLIED_KEY[opt]);
      expect(pb.implied).toEqual(pa.implied === undefined ? undefined : swap(pa.implied));
      expect(pb.pairs).toEqual(pa.pairs.map(([k, v]) => [k, swap(v)]));
    }
  });
}

describe.each(CASES)('hostile $what', (c) => {
  const benign = plan(c.benign, c);
  it('has a benign value that plans', () => {
    expect(benign).not.toBeInstanceOf(LaunchSpecError);
  });

  it.each(HOSTILE)('%j reaches QEMU intact or is refused naming the field', (value) => {
    const result = plan(value, c);
    if (result instanceof LaunchSpecError) {
      expect(result.problems.map((p) => p.path)).toContain(c.field);
      // Nothing raw is echoed.
      // eslint-disable-next-line no-control-regex
      expect(result.message.replace(/\n {2}- /g, ' ')).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
      return;
    }
    // Accepted: never with a control character anywhere, and with exactly the intended keys.
    // eslint-disable-next-line no-control-regex
    expect(result.args.join(' ')).not.toMatch(/[\x00-\x1f]/);
    const good = benign as LaunchPlan;
    expectSameShape(good.args, result.args, c.benign, value);
    // Files QEMU gets as descriptors: exactly the intended ones, with the same access.
    const swap = (p: string): string => p.split(c.benign).join(value);
    expect(result.passFds).toEqual(good.passFds.map((f) => ({ ...f, path: swap(f.path) })));
  });
});

describe('what is always refused', () => {
  const refused = (c: Case, value: string): boolean => plan(value, c) instanceof LaunchSpecError;
  const byField = Object.fromEntries(CASES.map((c) => [c.field, c]));

  it('refuses protocol prefixes and relative hostDisk paths (QEMU would reinterpret them)', () => {
    for (const v of ['json:{"driver":"file","filename":"/etc/shadow"}', 'nbd:127.0.0.1:10809', 'disk.img'])
      expect(refused(byField['spec.volumes[1].hostDisk.path']!, v)).toBe(true);
  });
  it('refuses CPU models and features that QEMU would split', () => {
    for (const v of ['host,+vmx', 'a=b', 'x\ny'])
      expect(refused(byField['spec.domain.cpu.model']!, v)).toBe(true);
  });
  it('refuses volume names that leave the work directory', () => {
    for (const v of ['../../../victim', '/etc/passwd', '.', '..', 'a/b', 'x\u0000y', 'y'.repeat(300)])
      expect(refused(byField['spec.volumes[0].name']!, v)).toBe(true);
  });
  it('refuses a newline in spec.hostname (it would be written into NoCloud meta-data)', () => {
    const vmi = base();
    vmi.spec.hostname = 'web\nlocal-hostname: evil';
    vmi.spec.volumes!.push({ name: 'ci', cloudInitNoCloud: { userData: '#cloud-config\n' } });
    vmi.spec.domain.devices.disks!.push({ name: 'ci', disk: { bus: 'virtio' } });
    expect(() => buildLaunchPlan(vmi, ctx())).toThrow(/spec\.hostname/);
  });
  it('refuses a kernelPath that leaves the kernelBoot image', () => {
    expect(
      refused(byField['spec.domain.firmware.kernelBoot.container.kernelPath']!, '../../etc/shadow'),
    ).toBe(true);
  });
});
