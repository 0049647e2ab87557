/** Acme's database VM: one memory-heavy VM whose data lives on a DataVolume. */
import type { Construct } from 'constructs';
import { DataVolumeTemplate, Disk, RunStrategy, VmTemplate } from 'virtkit/constructs';

/** Parameters of a database VM. */
export interface DatabaseTemplateProps {
  /**
   * Size of the data disk.
   * @default '50Gi'
   * @example '200Gi'
   */
  readonly dataSize?: string;
  /**
   * Instancetype; the m1 series suits databases.
   * @default 'm1.large'
   * @example 'm1.xlarge'
   */
  readonly size?: string;
  /**
   * StorageClass of the data disk.
   * @default - the cluster default
   * @example 'fast-ssd'
   */
  readonly storageClassName?: string;
  /**
   * Namespace.
   * @default - the chart's namespace
   * @example 'db'
   */
  readonly namespace?: string;
  /**
   * Name of the VM.
   * @default - derived from the construct path
   * @example 'orders-db'
   */
  readonly name?: string;
}

/**
 * A database VM with a blank data disk.
 *
 * @example new DatabaseTemplate(chart, 'orders', { size: 'm1.xlarge', dataSize: '200Gi' })
 */
export class DatabaseTemplate extends VmTemplate {
  public constructor(scope: Construct, id: string, props: DatabaseTemplateProps = {}) {
    super(scope, id, {
      image: 'quay.io/containerdisks/centos-stream:9',
      size: props.size ?? 'm1.large',
      os: 'centos.stream9',
      name: props.name,
      namespace: props.namespace,
      runStrategy: RunStrategy.ALWAYS,
      labels: { 'acme.example/tier': 'database' },
    });
    this.workload.addDisk({
      name: 'data',
      source: Disk.dataVolume(
        DataVolumeTemplate.blank({
          size: props.dataSize ?? '50Gi',
          storageClassName: props.storageClassName,
        }),
      ),
    });
  }
}
