/** The parts of a VirtualMachineInstance the handler reads (its pods, its sync, its spec guard). */
import type { KernelBootContainerSource, VolumeSource } from '../volumes/plan';

export interface VmiJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec?: {
    volumes?: VolumeSource[];
    terminationGracePeriodSeconds?: number;
    domain?: { firmware?: { kernelBoot?: { container?: KernelBootContainerSource } } };
  };
  status?: Record<string, unknown>;
}
