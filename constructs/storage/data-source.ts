/** A CDI DataSource: a stable name for a golden image that VMs clone their disks from. */
import type { Construct } from 'constructs';
import { cdiV1beta1 } from '../../api';
import { KubeVirtObject, type ObjectMetaProps } from '../core';
import type { DataVolume } from './data-volume';

type DataSourceSourceSpec = cdiV1beta1.DataSourceSource;

/** What a DataSource points at. */
export class DataSourceSource {
  /**
   * A PersistentVolumeClaim.
   * @example DataSourceSource.pvc('images', 'fedora-40')
   */
  public static pvc(namespace: string, name: string): DataSourceSource {
    return new DataSourceSource(() => ({ pvc: { namespace, name } }));
  }

  /** The PVC of a DataVolume construct of this app. */
  public static dataVolume(dataVolume: DataVolume): DataSourceSource {
    return new DataSourceSource(() => ({
      pvc: { namespace: dataVolume.effectiveNamespace, name: dataVolume.name },
    }));
  }

  /**
   * A VolumeSnapshot.
   * @example DataSourceSource.snapshot('images', 'fedora-40-snap')
   */
  public static snapshot(namespace: string, name: string): DataSourceSource {
    return new DataSourceSource(() => ({ snapshot: { namespace, name } }));
  }

  /**
   * Another DataSource (followed one level deep).
   * @example DataSourceSource.dataSource('kubevirt-os-images', 'fedora')
   */
  public static dataSource(namespace: string, name: string): DataSourceSource {
    return new DataSourceSource(() => ({ dataSource: { namespace, name } }));
  }

  private constructor(private readonly renderer: () => DataSourceSourceSpec) {}

  /**
   * The api/ source.
   * @internal
   */
  public _render(): DataSourceSourceSpec {
    return this.renderer();
  }
}

/** Props of a DataSource. */
export interface DataSourceProps extends ObjectMetaProps {
  /**
   * What the DataSource points at.
   * @example DataSourceSource.dataVolume(goldenImage)
   */
  readonly source: DataSourceSource;
}

/**
 * A CDI DataSource.
 *
 * @example new DataSource(chart, 'fedora', { name: 'fedora', namespace: 'images', source: DataSourceSource.pvc('images', 'fedora-40') })
 */
export class DataSource extends KubeVirtObject {
  private readonly props: DataSourceProps;

  public constructor(scope: Construct, id: string, props: DataSourceProps) {
    super(scope, id, cdiV1beta1.DataSourceKind, props);
    this.props = props;
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: { source: this.props.source._render() } };
  }
}
