/**
 * The shapes of the Kubernetes objects the DataVolume controller reads (claims, pods, storage
 * classes), as far as it reads them.
 */
import type { ObjectMeta } from '../../api/k8s/meta';
import type { PersistentVolumeClaimSpec } from '../../api/k8s/storage';

export interface Claim {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: PersistentVolumeClaimSpec;
  status?: { phase?: string; capacity?: Record<string, string> };
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

export interface WorkerPod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name?: string;
      restartCount?: number;
      state?: ContainerState;
      lastState?: ContainerState;
    }[];
  };
}

export interface StorageClass {
  metadata?: ObjectMeta;
  provisioner?: string;
  volumeBindingMode?: string;
}

export const WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer';
