/**
 * Writing a VMI's status as the handler: server-side apply of the status subresource (under the
 * client's field manager, `virtkit-handler`), with the read's resourceVersion so a stale read
 * fails instead of overwriting lists others changed.
 */
import { isNotFound, VIRTUAL_MACHINE_INSTANCES, type KubeClient } from '../../kube';
import type { VmiJson } from './vmi-json';

/** Applies `status` to `vmi` as read; false when the VMI is gone. */
export async function applyVmiStatus(
  client: KubeClient,
  vmi: Pick<VmiJson, 'metadata'>,
  status: object,
): Promise<boolean> {
  const meta = vmi.metadata ?? {};
  try {
    await client.apply(
      VIRTUAL_MACHINE_INSTANCES,
      meta.namespace,
      meta.name ?? '',
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: {
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        status,
      },
      { subresource: 'status' },
    );
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
