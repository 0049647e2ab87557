/**
 * A standalone CDI DataVolume: a PVC plus the recipe that fills it. The recipe is the same
 * DataVolumeTemplate a VirtualMachine uses for its owned disks, so a golden image and a
 * VM disk are written alike.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { cdiV1beta1 } from '../../api';
import { KubeVirtObject, type ObjectMetaProps } from '../core';
import { compact } from '../core/compact';
import type { DataVolumeTemplate } from '../../api/render/data-volume-template';

/** What a DataVolume holds. */
export enum DataVolumeContentType {
  /** A disk image (converted to raw). */
  KUBEVIRT = 'kubevirt',
  /** A tar archive extracted onto the volume's filesystem. */
  ARCHIVE = 'archive',
}

/** Props of a DataVolume. */
export interface DataVolumeProps extends ObjectMetaProps {
  /**
   * Where the data comes from and how much storage it gets.
   * @example DataVolumeTemplate.http('https://example.org/debian-12.qcow2', { size: '10Gi' })
   */
  readonly source: DataVolumeTemplate;
  /**
   * What the data is.
   * @default DataVolumeContentType.KUBEVIRT
   * @example DataVolumeContentType.ARCHIVE
   */
  readonly contentType?: DataVolumeContentType;
  /**
   * Allocate the whole volume up front instead of thin provisioning.
   * @default false
   * @example true
   */
  readonly preallocation?: boolean;
  /**
   * PriorityClass of the importer or cloner pod.
   * @default - none
   * @example 'system-cluster-critical'
   */
  readonly priorityClassName?: string;
}

/**
 * A CDI DataVolume.
 *
 * @example
 * new DataVolume(chart, 'debian-golden', {
 *   namespace: 'images',
 *   source: DataVolumeTemplate.http('https://example.org/debian-12.qcow2', { size: '10Gi' }),
 * });
 */
export class DataVolume extends KubeVirtObject {
  private readonly props: DataVolumeProps;

  public constructor(scope: Construct, id: string, props: DataVolumeProps) {
    super(scope, id, cdiV1beta1.DataVolumeKind, { ...props, name: props.name ?? props.source.explicitName });
    this.props = props;
  }

  /** The namespace PVC references to this DataVolume use (`default` when none is set). */
  public get effectiveNamespace(): string {
    return this.namespace ?? Chart.of(this).namespace ?? 'default';
  }

  protected renderBody(): { [key: string]: unknown } {
    const spec = this.props.source._render(this.name).spec ?? {};
    return {
      spec: compact({
        ...spec,
        contentType: this.props.contentType,
        preallocation: this.props.preallocation,
        priorityClassName: this.props.priorityClassName,
      }),
    };
  }
}
