/**
 * Freezing and thawing a guest's filesystems the way KubeVirt's virt-controller does it: through
 * KubeVirt's subresource API (`PUT /apis/subresources.kubevirt.io/v1/namespaces/<ns>/
 * virtualmachineinstances/<name>/freeze` with `{"unfreezeTimeout": "5m0s"}`, and `.../unfreeze`),
 * reached through kube-apiserver's aggregator under the controller's own identity (its RBAC grants
 * `update` on those two subresources). virtkit's api component asks the handler of the VMI's
 * node, which asks the launcher, which runs `guest-fsfreeze-freeze` / `guest-fsfreeze-thaw`
 * through the guest agent.
 */
import { SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, type KubeClient } from '../../kube';
import { goDuration } from './deadline';

/** The two calls a snapshot makes to its running guest. */
export interface GuestFreezer {
  /** Freeze; the guest thaws by itself after `unfreezeTimeoutMs` (0: never). */
  freeze(namespace: string, name: string, unfreezeTimeoutMs: number): Promise<void>;
  unfreeze(namespace: string, name: string): Promise<void>;
}

export class SubresourceFreezer implements GuestFreezer {
  constructor(private readonly client: KubeClient) {}

  async freeze(namespace: string, name: string, unfreezeTimeoutMs: number): Promise<void> {
    await this.client.putSubresource(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, namespace, name, 'freeze', {
      unfreezeTimeout: goDuration(unfreezeTimeoutMs),
    });
  }

  async unfreeze(namespace: string, name: string): Promise<void> {
    await this.client.putSubresource(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, namespace, name, 'unfreeze', {});
  }
}
