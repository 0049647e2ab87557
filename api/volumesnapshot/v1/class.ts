/**
 * snapshot.storage.k8s.io/v1 VolumeSnapshotClass (cluster-scoped): which driver takes the
 * snapshots of a class, with what parameters, and what happens to their data when the
 * VolumeSnapshot goes. Its fields sit at the top level of the object (no spec), as upstream.
 */
import { Str, StringMap } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { DeletionPolicyField } from './common';
import type { DeletionPolicy as Policy } from './well-known';

export const volumeSnapshotClassFields = {
  driver: Str(
    'The driver that takes the snapshots of this class (for virtkit local volumes: virtkit.io/local-volume).',
    { minLength: 1 },
  ),
  parameters: StringMap('Driver-specific parameters for taking snapshots; opaque to Kubernetes.'),
  deletionPolicy: DeletionPolicyField(
    'What happens to a VolumeSnapshotContent made through this class when its VolumeSnapshot is deleted.',
  ),
};

export interface VolumeSnapshotClass {
  apiVersion: 'snapshot.storage.k8s.io/v1';
  kind: 'VolumeSnapshotClass';
  metadata?: ObjectMeta;
  driver: string;
  parameters?: Record<string, string>;
  deletionPolicy: Policy;
}
