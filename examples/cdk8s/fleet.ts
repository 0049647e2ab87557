/**
 * A small, realistic fleet as cdk8s code: a web tier as a VirtualMachinePool on the pod
 * network, a PostgreSQL VM with a DataVolume and snapshots, a Kube-OVN underlay VLAN
 * (ProviderNetwork -> Vlan -> Subnet) where the database gets a static IP, a Multus bridge
 * network for backups, and cloud-init user data from a Secret.
 */
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  CniPlugin,
  DataVolumeTemplate,
  Disk,
  EvictionStrategy,
  InstancetypeLibrary,
  InstancetypeRef,
  Ipam,
  NetworkAttachmentDefinition,
  PreferenceLibrary,
  PreferenceRef,
  Probe,
  ProviderNetwork,
  Subnet,
  VirtualMachine,
  VirtualMachinePool,
  VirtualMachineReference,
  VirtualMachineSnapshot,
  Vlan,
} from 'virtkit/constructs';
// The team's published template library (examples/template-library, package @acme/vm-templates).
import { WebServerTemplate } from '../template-library/src';

export const NAMESPACE = 'shop';

export class FleetChart extends Chart {
  public readonly database: VirtualMachine;
  public readonly web: VirtualMachinePool;

  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: NAMESPACE, ...props });

    // Cluster-wide sizes and OS preferences from the template library.
    const sizes = new InstancetypeLibrary(this, 'instancetypes', {
      series: ['u1'],
      sizes: ['small', 'medium', 'large'],
    });
    const prefs = new PreferenceLibrary(this, 'preferences', { os: ['fedora'] });

    // Kube-OVN underlay: VLAN 100 on the nodes' eth1, a subnet with a static range.
    const provider = new ProviderNetwork(this, 'underlay-provider', {
      name: 'underlay',
      defaultInterface: 'eth1',
    });
    const vlan = new Vlan(this, 'vlan100', { name: 'vlan100', id: 100, provider });
    const underlayNad = new NetworkAttachmentDefinition(this, 'underlay-nad', {
      name: 'underlay',
      plugin: CniPlugin.kubeOvn(),
    });
    const subnet = new Subnet(this, 'underlay-subnet', {
      name: 'underlay-vlan100',
      cidrBlock: '192.168.100.0/24',
      gateway: '192.168.100.1',
      excludeIps: ['192.168.100.1..192.168.100.9'],
      vlan,
      network: underlayNad,
    });

    // A Multus bridge network for backup traffic.
    const backupNet = new NetworkAttachmentDefinition(this, 'backup-net', {
      name: 'backup',
      plugin: CniPlugin.bridge({
        bridge: 'br-backup',
        ipam: Ipam.hostLocal({ ranges: [{ subnet: '10.50.0.0/24' }] }),
      }),
    });

    // Web tier: three identical VMs from one template.
    this.web = new VirtualMachinePool(this, 'web', {
      name: 'web',
      replicas: 3,
      instancetype: InstancetypeRef.fromInstancetype(sizes.get('u1.small')),
      preference: PreferenceRef.fromPreference(prefs.get('fedora')),
      evictionStrategy: EvictionStrategy.LIVE_MIGRATE,
      readinessProbe: Probe.httpGet(80, { path: '/healthz', initialDelaySeconds: 60 }),
      disks: [
        { name: 'root', source: Disk.containerDisk('quay.io/containerdisks/fedora:40'), bootOrder: 1 },
        { name: 'cloudinit', source: Disk.cloudInitNoCloud({ userDataSecret: 'web-cloud-init' }) },
      ],
      vmLabels: { app: 'shop', tier: 'web' },
      templateLabels: { app: 'shop', tier: 'web' },
    });
    this.web.addPodNetwork();

    // Database: persistent root disk and data disk, static IP on the underlay, backups network.
    this.database = new VirtualMachine(this, 'db', {
      name: 'db',
      instancetype: InstancetypeRef.fromInstancetype(sizes.get('u1.large')),
      preference: PreferenceRef.fromPreference(prefs.get('fedora')),
      evictionStrategy: EvictionStrategy.LIVE_MIGRATE,
      labels: { app: 'shop', tier: 'db' },
      disks: [
        {
          name: 'root',
          source: Disk.dataVolume(
            DataVolumeTemplate.registry('quay.io/containerdisks/fedora:40', { size: '30Gi' }),
          ),
          bootOrder: 1,
        },
        {
          name: 'data',
          source: Disk.dataVolume(DataVolumeTemplate.blank({ size: '200Gi', storageClassName: 'fast-ssd' })),
        },
        { name: 'cloudinit', source: Disk.cloudInitNoCloud({ userDataSecret: 'db-cloud-init' }) },
      ],
      readinessProbe: Probe.tcpSocket(5432, { initialDelaySeconds: 90 }),
      terminationGracePeriodSeconds: 180,
    });
    this.database.addPodNetwork();
    subnet.attachVm(this.database, underlayNad, {
      interfaceName: 'underlay',
      ipAddress: '192.168.100.20',
      macAddress: '02:00:c0:a8:64:14',
    });
    this.database.attachNetwork('backup', backupNet);

    // A storefront from the team's template library: two u1.medium web VMs, typed parameters only.
    new WebServerTemplate(this, 'storefront', {
      name: 'storefront',
      size: 'u1.medium',
      replicas: 2,
      userDataSecret: 'web-cloud-init',
    });

    // Nightly-style snapshots of the database (named; a scheduler creates new ones in practice).
    for (const day of ['mon', 'thu']) {
      new VirtualMachineSnapshot(this, `db-snapshot-${day}`, {
        name: `db-${day}`,
        source: VirtualMachineReference.fromVirtualMachine(this.database),
      });
    }
  }
}
