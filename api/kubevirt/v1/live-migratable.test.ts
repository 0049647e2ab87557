import { sampleVirtualMachineSpec } from '../../testing/crd-kit';
import {
  ALLOW_POD_BRIDGE_NETWORK_LIVE_MIGRATION_ANNOTATION,
  commonMigrationConstraints,
  liveMigratableCondition,
  liveMigrationBlocker,
  liveMigrationMethod,
  storageLiveMigratableCondition,
  type LiveMigratableFacts,
  type LiveMigratableVmi,
} from './live-migratable';

const NOW = new Date('2025-03-01T10:20:30.456Z');
/** A node that can reproduce host-model, so the default CPU does not get in the way. */
const FACTS: LiveMigratableFacts = { hostCpuModel: 'Skylake-Client-IBRS' };
const RWX = { claimName: 'data', accessModes: ['ReadWriteMany' as const], volumeMode: 'Block' as const };
const RWO = { claimName: 'data', accessModes: ['ReadWriteOnce' as const], volumeMode: 'Filesystem' as const };

type Spec = LiveMigratableVmi['spec'];
type Status = NonNullable<LiveMigratableVmi['status']>;

/** A running VMI on node-a: a containerDisk root, cloud-init, masquerade on the pod network. */
function vmi(
  change: (spec: Spec) => void = () => undefined,
  status: Partial<Status> = {},
  annotations?: Record<string, string>,
): LiveMigratableVmi {
  const spec = (sampleVirtualMachineSpec().template as { spec: Spec }).spec;
  change(spec);
  return {
    metadata: annotations ? { annotations } : {},
    spec,
    status: { phase: 'Running', nodeName: 'node-a', ...status },
  };
}

const withClaim =
  (kind: 'persistentVolumeClaim' | 'dataVolume' = 'persistentVolumeClaim') =>
  (s: Spec): void => {
    s.domain.devices.disks!.push({ name: 'data', disk: { bus: 'virtio' } });
    s.volumes!.push(
      kind === 'persistentVolumeClaim'
        ? { name: 'data', persistentVolumeClaim: { claimName: 'data' } }
        : { name: 'data', dataVolume: { name: 'data' } },
    );
  };

describe('liveMigratableCondition: migratable', () => {
  it('is True for local disks (block-migrated) and a masquerade pod network, with the time of now', () => {
    expect(liveMigratableCondition(vmi(), FACTS, NOW)).toEqual({
      type: 'LiveMigratable',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: '2025-03-01T10:20:30Z',
    });
    expect(liveMigrationMethod(vmi(), FACTS)).toBe('BlockMigration');
  });

  it('every volume kind KubeVirt copies along is migratable', () => {
    const local = vmi((s) => {
      for (const [name, source] of [
        ['empty', { emptyDisk: { capacity: '1Gi' } }],
        ['cfg', { configMap: { name: 'app' } }],
        ['sec', { secret: { secretName: 'app' } }],
        ['sa', { serviceAccount: { serviceAccountName: 'default' } }],
        ['meta', { downwardAPI: {} }],
        ['cd', { cloudInitConfigDrive: { userData: '#cloud-config\n' } }],
      ] as const) {
        s.domain.devices.disks!.push({ name, disk: {} });
        s.volumes!.push({ name, ...source });
      }
    });
    expect(liveMigrationBlocker(local, FACTS)).toBeUndefined();
  });

  it('claims that are ReadWriteMany migrate without copying; a read-only CD-ROM is not copied either', () => {
    const shared = vmi((s) => {
      withClaim()(s);
      s.volumes = s.volumes!.filter((v) => v.name === 'data' || v.name === 'cloudinit');
      s.domain.devices.disks = [
        { name: 'data', disk: {} },
        { name: 'cloudinit', cdrom: { bus: 'sata' } },
      ];
    });
    const facts = { ...FACTS, claims: { data: RWX } };
    expect(liveMigratableCondition(shared, facts, NOW).status).toBe('True');
    expect(liveMigrationMethod(shared, facts)).toBe('LiveMigration');
  });

  it('reads the claim from status.volumeStatus when the facts leave it out (what KubeVirt reads)', () => {
    const v = vmi(withClaim('dataVolume'), {
      volumeStatus: [{ name: 'data', target: 'vdc', persistentVolumeClaimInfo: RWX }],
    });
    expect(liveMigrationBlocker(v, FACTS)).toBeUndefined();
  });

  it('a VMI without interfaces, or without a pod network, has nothing on the network to refuse', () => {
    expect(
      liveMigrationBlocker(
        vmi((s) => {
          s.domain.devices.interfaces = [];
          s.networks = [];
        }),
        FACTS,
      ),
    ).toBeUndefined();
    const multusOnly = vmi((s) => {
      s.domain.devices.interfaces = [{ name: 'lan', bridge: {} }];
      s.networks = [{ name: 'lan', multus: { networkName: 'lan-net' } }];
    });
    expect(liveMigrationBlocker(multusOnly, FACTS)).toBeUndefined();
  });
});

describe('liveMigratableCondition: DisksNotLiveMigratable', () => {
  it('a claim that is not ReadWriteMany, in KubeVirt words', () => {
    const c = liveMigratableCondition(vmi(withClaim()), { ...FACTS, claims: { data: RWO } }, NOW);
    expect(c).toMatchObject({
      type: 'LiveMigratable',
      status: 'False',
      reason: 'DisksNotLiveMigratable',
      message:
        'cannot migrate VMI: PVC data is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
    });
  });

  it('a DataVolume whose claim is unknown cannot be shown shared', () => {
    expect(liveMigrationBlocker(vmi(withClaim('dataVolume')), FACTS)).toEqual({
      reason: 'DisksNotLiveMigratable',
      message:
        'cannot migrate VMI: Unable to determine if PVC data is shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
    });
  });

  it('a host disk that is not shared names the volume, its path and the fix; a shared one migrates', () => {
    const host = (shared?: boolean) =>
      vmi((s) => {
        s.domain.devices.disks!.push({ name: 'scratch', disk: {} });
        s.volumes!.push({
          name: 'scratch',
          hostDisk: { path: '/var/lib/disks/s.img', type: 'Disk', ...(shared ? { shared } : {}) },
        });
      });
    expect(liveMigrationBlocker(host(), FACTS)).toEqual({
      reason: 'DisksNotLiveMigratable',
      message:
        'cannot migrate VMI with non-shared HostDisk; volume "scratch" (/var/lib/disks/s.img) is on the node\'s own disk: set hostDisk.shared: true only when that path is on storage every node shares',
    });
    expect(liveMigrationBlocker(host(true), FACTS)).toBeUndefined();
  });

  it('persistent EFI variables and TPM state live on the source node', () => {
    const v = vmi((s) => {
      s.domain.firmware = { bootloader: { efi: { persistent: true } } };
      s.domain.devices.tpm = { persistent: true };
    });
    expect(liveMigrationBlocker(v, FACTS)).toEqual({
      reason: 'DisksNotLiveMigratable',
      message:
        'cannot migrate VMI: its persistent EFI variables (spec.domain.firmware.bootloader.efi.persistent) and persistent TPM state (spec.domain.devices.tpm.persistent) are kept on node "node-a", which the target node cannot read: turn persistence off, or stop the VM and start it where it should run',
    });
    const notPersistent = vmi((s) => {
      s.domain.firmware = { bootloader: { efi: {} } };
    });
    expect(liveMigrationBlocker(notPersistent, FACTS)).toBeUndefined();
  });
});

describe('liveMigratableCondition: HotplugNotLiveMigratable', () => {
  it('a hotplugged claim, even a shared one, as the spec or the volume status says', () => {
    const plugged = vmi((s) => {
      withClaim()(s);
      s.volumes![2] = { name: 'data', persistentVolumeClaim: { claimName: 'data', hotpluggable: true } };
    });
    const facts = { ...FACTS, claims: { data: RWX } };
    expect(liveMigrationBlocker(plugged, facts)).toEqual({
      reason: 'HotplugNotLiveMigratable',
      message:
        'VMI has hotplugged disks; volume "data" is attached through a hotplug attachment pod, which virtkit cannot recreate on the target node yet: unplug it (virtkit removevolume) before migrating, or put it in the VM template and restart the VM',
    });
    const byStatus = vmi(withClaim('dataVolume'), {
      volumeStatus: [
        {
          name: 'data',
          target: 'sda',
          persistentVolumeClaimInfo: RWX,
          hotplugVolume: { attachPodName: 'hp' },
        },
      ],
    });
    expect(liveMigrationBlocker(byStatus, FACTS)?.reason).toBe('HotplugNotLiveMigratable');
  });
});

describe('liveMigratableCondition: InterfaceNotLiveMigratable', () => {
  const KUBEVIRT =
    'cannot migrate VMI which does not use masquerade, bridge with kubevirt.io/allow-pod-bridge-network-live-migration VM annotation or a migratable plugin to connect to the pod network';

  it('bridge on the pod network, unless the VMI carries the annotation', () => {
    const bridged = (annotations?: Record<string, string>) =>
      vmi(
        (s) => {
          s.domain.devices.interfaces = [{ name: 'default', bridge: {} }];
        },
        {},
        annotations,
      );
    expect(liveMigratableCondition(bridged(), FACTS, NOW)).toMatchObject({
      status: 'False',
      reason: 'InterfaceNotLiveMigratable',
      message: `${KUBEVIRT}; interface "default" connects to pod network "default" with bridge: use masquerade, or annotate the VMI with kubevirt.io/allow-pod-bridge-network-live-migration when the guest can take a new pod address after the move`,
    });
    expect(
      liveMigrationBlocker(bridged({ [ALLOW_POD_BRIDGE_NETWORK_LIVE_MIGRATION_ANNOTATION]: '' }), FACTS),
    ).toBeUndefined();
  });

  it('a binding plugin migrates only when the KubeVirt configuration says it can; SR-IOV never', () => {
    const plugin = vmi((s) => {
      s.domain.devices.interfaces = [{ name: 'default', binding: { name: 'l2bridge' } }];
    });
    expect(liveMigrationBlocker(plugin, FACTS)?.message).toBe(
      `${KUBEVIRT}; interface "default" connects to pod network "default" with the binding plugin "l2bridge": use masquerade`,
    );
    expect(
      liveMigrationBlocker(plugin, { ...FACTS, migratableBindingPlugins: ['l2bridge'] }),
    ).toBeUndefined();
    const sriov = vmi((s) => {
      s.domain.devices.interfaces = [{ name: 'default', sriov: {} }];
    });
    expect(liveMigrationBlocker(sriov, FACTS)?.reason).toBe('InterfaceNotLiveMigratable');
  });

  it('is reported before the disks (KubeVirt checks the other constraints first)', () => {
    const both = vmi((s) => {
      withClaim()(s);
      s.domain.devices.interfaces = [{ name: 'default', bridge: {} }];
    });
    expect(liveMigrationBlocker(both, { ...FACTS, claims: { data: RWO } })?.reason).toBe(
      'InterfaceNotLiveMigratable',
    );
  });
});

describe('liveMigratableCondition: the other constraints, with KubeVirt reasons and messages', () => {
  it.each<[string, (s: Spec) => void, string, string]>([
    [
      'host devices',
      (s) => void (s.domain.devices.hostDevices = [{ name: 'nic', deviceName: 'intel.com/x710' }]),
      'HostDeviceNotLiveMigratable',
      'VMI uses a PCI host devices',
    ],
    [
      'GPUs',
      (s) => void (s.domain.devices.gpus = [{ name: 'gpu', deviceName: 'nvidia.com/A100' }]),
      'HostDeviceNotLiveMigratable',
      'VMI uses a PCI host devices',
    ],
    ['SEV', (s) => void (s.domain.launchSecurity = { sev: {} }), 'SEVNotLiveMigratable', 'VMI uses SEV'],
    ['SEV-SNP', (s) => void (s.domain.launchSecurity = { snp: {} }), 'SEVNotLiveMigratable', 'VMI uses SEV'],
    ['TDX', (s) => void (s.domain.launchSecurity = { tdx: {} }), 'TDXNotLiveMigratable', 'VMI uses TDX'],
    [
      'Secure Execution (s390x)',
      (s) => {
        s.architecture = 's390x';
        s.domain.launchSecurity = {};
      },
      'SecureExecutionNotLiveMigratable',
      'VMI uses Secure Execution',
    ],
    [
      'SCSI persistent reservation',
      (s) => void s.domain.devices.disks!.push({ name: 'shared', lun: { bus: 'scsi', reservation: true } }),
      'PersistentReservationNotLiveMigratable',
      'VMI uses SCSI persistent reservation',
    ],
    [
      'Hyper-V reenlightenment without a TSC frequency',
      (s) => void (s.domain.features = { hyperv: { reenlightenment: { enabled: true } } }),
      'NoTSCFrequencyNotLiveMigratable',
      'HyperV Reenlightenment VMIs cannot migrate when TSC Frequency is not exposed on the cluster: guest timers might be inconsistent',
    ],
    [
      'Hyper-V passthrough',
      (s) => void (s.domain.features = { hypervPassthrough: { enabled: true } }),
      'HypervPassthroughNotLiveMigratable',
      'VMI uses hyperv passthrough',
    ],
  ])('%s', (_what, change, reason, message) => {
    expect(liveMigratableCondition(vmi(change), FACTS, NOW)).toMatchObject({
      status: 'False',
      reason,
      message,
    });
  });

  it('host-model (also when cpu.model is left out) needs a host CPU model from the node; other models do not', () => {
    expect(liveMigrationBlocker(vmi(), {})).toEqual({
      reason: 'CPUModeLiveMigratable',
      message: 'the node "node-a" does not allow migration with host-model',
    });
    const explicit = vmi((s) => void (s.domain.cpu = { model: 'host-model' }));
    expect(liveMigrationBlocker(explicit, { hostCpuModel: '' })?.reason).toBe('CPUModeLiveMigratable');
    expect(
      liveMigrationBlocker(
        vmi((s) => void (s.domain.cpu = { model: 'host-passthrough' })),
        {},
      ),
    ).toBeUndefined();
    expect(
      liveMigrationBlocker(
        vmi((s) => void (s.domain.cpu = { model: 'Skylake-Server' })),
        {},
      ),
    ).toBeUndefined();
  });

  it('reenlightenment migrates once the TSC frequency is known, or when invtsc is required (a boot matter)', () => {
    const reenlightened = (s: Spec): void =>
      void (s.domain.features = { hyperv: { reenlightenment: { enabled: true } } });
    expect(liveMigrationBlocker(vmi(reenlightened), FACTS)?.reason).toBe('NoTSCFrequencyNotLiveMigratable');
    expect(
      liveMigrationBlocker(vmi(reenlightened, { topologyHints: { tscFrequency: 2_400_000_000 } }), FACTS),
    ).toBeUndefined();
    const invtsc = vmi((s) => {
      reenlightened(s);
      s.domain.cpu = { model: 'host-passthrough', features: [{ name: 'invtsc', policy: 'require' }] };
    });
    expect(liveMigrationBlocker(invtsc, FACTS)).toBeUndefined();
  });
});

describe('StorageLiveMigratable', () => {
  it('lists every constraint that is not about the volumes, as "Reason: message, ..."', () => {
    const v = vmi(
      (s) => {
        s.domain.devices.interfaces = [{ name: 'default', bridge: {} }];
        s.domain.devices.gpus = [{ name: 'gpu', deviceName: 'nvidia.com/A100' }];
        withClaim()(s);
      },
      {},
      { [ALLOW_POD_BRIDGE_NETWORK_LIVE_MIGRATION_ANNOTATION]: 'true' },
    );
    expect(commonMigrationConstraints(v, {}).map((r) => r.reason)).toEqual([
      'CPUModeLiveMigratable',
      'HostDeviceNotLiveMigratable',
    ]);
    expect(storageLiveMigratableCondition(v, {}, NOW)).toEqual({
      type: 'StorageLiveMigratable',
      status: 'False',
      reason: 'NotMigratable',
      message:
        'CPUModeLiveMigratable: the node "node-a" does not allow migration with host-model, HostDeviceNotLiveMigratable: VMI uses a PCI host devices',
      lastProbeTime: null,
      lastTransitionTime: '2025-03-01T10:20:30Z',
    });
  });

  it('is True when only the volumes stand in the way (moving them is what it is about)', () => {
    const v = vmi(withClaim());
    expect(storageLiveMigratableCondition(v, { ...FACTS, claims: { data: RWO } }, NOW).status).toBe('True');
    expect(liveMigratableCondition(v, { ...FACTS, claims: { data: RWO } }, NOW).status).toBe('False');
  });
});
