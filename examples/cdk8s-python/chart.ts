/**
 * The TypeScript twin of main.py: the same chart with the same constructs, written in
 * TypeScript. test/integration/cdk8s-python.test.ts synthesizes both and compares the YAML.
 */
import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  DataVolumeTemplate,
  Disk,
  DiskBus,
  EvictionStrategy,
  Firmware,
  InstancetypeLibrary,
  PreferenceLibrary,
  Probe,
  RunStrategy,
  VirtualMachine,
  VmTemplate,
} from 'virtkit/constructs';

export class PythonVms extends Chart {
  public constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'apps' });

    new InstancetypeLibrary(this, 'instancetypes', { series: ['u1'], sizes: ['small', 'medium'] });
    new PreferenceLibrary(this, 'preferences', { os: ['fedora', 'ubuntu'] });

    const web = new VmTemplate(this, 'web', {
      name: 'web',
      image: 'quay.io/containerdisks/fedora:40',
      size: 'u1.medium',
      os: 'fedora',
      labels: { team: 'storefront' },
      userData: '#cloud-config\npackages: [nginx]\n',
    });
    web.workload.addToleration({ key: 'dedicated', operator: 'Equal', value: 'vms', effect: 'NoSchedule' });
    web.workload.addNodeSelector('disk', 'ssd');

    new VmTemplate(this, 'workers', {
      name: 'workers',
      image: 'quay.io/containerdisks/ubuntu:24.04',
      os: 'ubuntu',
      replicas: 3,
    });

    const db = new VirtualMachine(this, 'db', {
      name: 'db',
      labels: { app: 'db' },
      runStrategy: RunStrategy.RERUN_ON_FAILURE,
      cpu: { cores: 2, model: 'host-passthrough' },
      memory: '4Gi',
      firmware: Firmware.efi({ secureBoot: false }),
      features: { smm: { enabled: true }, apic: {} },
      disks: [
        {
          name: 'root',
          source: Disk.dataVolume(
            DataVolumeTemplate.dataSource('fedora', { sourceNamespace: 'os-images', size: '30Gi' }),
          ),
          bus: DiskBus.VIRTIO,
          bootOrder: 1,
        },
        { name: 'data', source: Disk.persistentVolumeClaim('db-data'), bus: DiskBus.SCSI },
        { name: 'cloudinit', source: Disk.cloudInitNoCloud({ userDataSecret: 'db-cloud-init' }) },
      ],
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
      readinessProbe: Probe.tcpSocket(5432, { initialDelaySeconds: 30 }),
      evictionStrategy: EvictionStrategy.LIVE_MIGRATE,
    });
    db.addPodNetwork();
  }
}

/** Synthesize the chart into `outdir` (python-vms.k8s.yaml, as main.py writes it). */
export function synthTwin(outdir: string): void {
  const app = new App({ outdir });
  new PythonVms(app, 'python-vms');
  app.synth();
}
