/** `virtkit:index:DataVolume`: a CDI DataVolume (a PVC filled from a source), awaited until Succeeded. */
import type * as pulumi from '@pulumi/pulumi';
import { cdiV1beta1 } from '../api';
import { AwaitedComponent, type AwaitedArgs, type AwaitedKind } from './core/awaited-component';
import { dataVolumeReadiness } from './core/readiness';

/** Imports can be slow (a disk image over HTTP): wait up to 30 minutes unless told otherwise. */
export const DATA_VOLUME_TIMEOUT_SECONDS = 1800;

const kind: AwaitedKind<cdiV1beta1.DataVolumeSpec> = {
  typeName: 'DataVolume',
  def: cdiV1beta1.DataVolumeKind,
  readiness: () => dataVolumeReadiness,
  defaultTimeoutSeconds: DATA_VOLUME_TIMEOUT_SECONDS,
};

/** spec: `source` or `sourceRef`, and `storage` or `pvc`, as CDI defines them. */
export type DataVolumeArgs = AwaitedArgs<cdiV1beta1.DataVolumeSpec>;

export class DataVolume extends AwaitedComponent<cdiV1beta1.DataVolumeSpec, cdiV1beta1.DataVolumeStatus> {
  constructor(name: string, args: DataVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super(kind, name, args, opts);
    this.doneWith({ status: this.status });
  }
}
