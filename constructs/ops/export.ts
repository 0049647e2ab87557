/** VirtualMachineExport: serve a VM's (or snapshot's, or PVC's) volumes for download. */
import type { Construct } from 'constructs';
import { exportV1 } from '../../api';
import type { ObjectMetaProps } from '../core';
import { VirtualMachineOperation } from './operation';
import { OperationSource, snapshotReference, type VirtualMachineReference } from './references';
import type { VirtualMachineSnapshot } from './snapshot';

/** What an export serves. */
export class ExportSource extends OperationSource {
  /** The volumes of a VirtualMachine. */
  public static virtualMachine(vm: VirtualMachineReference): ExportSource {
    return new ExportSource(vm._render(), vm);
  }

  /** The volumes of a snapshot construct of this app. */
  public static snapshot(snapshot: VirtualMachineSnapshot): ExportSource {
    return new ExportSource(snapshotReference(snapshot.name), undefined);
  }

  /**
   * A PersistentVolumeClaim.
   * @example ExportSource.pvc('db-data')
   */
  public static pvc(name: string): ExportSource {
    return new ExportSource({ apiGroup: '', kind: 'PersistentVolumeClaim', name }, undefined);
  }
}

/** Props of a VirtualMachineExport. */
export interface VirtualMachineExportProps extends ObjectMetaProps {
  /**
   * What to export.
   * @example ExportSource.virtualMachine(VirtualMachineReference.fromVirtualMachine(db))
   */
  readonly source: ExportSource;
  /**
   * Secret holding the token clients must present.
   * @default - generated
   * @example 'db-export-token'
   */
  readonly tokenSecretRef?: string;
  /**
   * How long the export lives, as a Go duration.
   * @default - 2h0m0s
   * @example '30m0s'
   */
  readonly ttlDuration?: string;
}

/**
 * A VirtualMachineExport.
 *
 * @example new VirtualMachineExport(chart, 'backup', { source: ExportSource.pvc('db-data'), ttlDuration: '1h0m0s' })
 */
export class VirtualMachineExport extends VirtualMachineOperation {
  private readonly props: VirtualMachineExportProps;

  public constructor(scope: Construct, id: string, props: VirtualMachineExportProps) {
    super(
      scope,
      id,
      exportV1.VirtualMachineExportKind,
      props,
      'spec.source',
      props.source.sourceVirtualMachine,
    );
    this.props = props;
  }

  protected renderSpec(): { [field: string]: unknown } {
    const { source, tokenSecretRef, ttlDuration } = this.props;
    return { source: source._render(), tokenSecretRef, ttlDuration };
  }
}
