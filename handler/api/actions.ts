/**
 * The node API's actions on a VMI of this node (the role of virt-handler's lifecycle REST
 * handlers), each one call of the VMI's launcher control API:
 *
 *   PUT pause | unpause | softreboot | reset          202, no body
 *   PUT freeze (body {"unfreezeTimeout": "5m0s"})    202; unfreeze 202
 *   GET guestosinfo                                   200 VirtualMachineInstanceGuestAgentInfo
 *   GET userlist | filesystemlist                     200 {"metadata": {}, "items": [...]}
 *
 * Failures are Kubernetes Status bodies: 400 for a bad body (KubeVirt's words for the freeze
 * timeout) or a freeze the agent refused (as virt-handler answers it), 409 when the launcher
 * says the guest cannot do it now (not running, no guest agent), 503 when the launcher cannot
 * be reached, 500 for anything else. The api component wraps every failure as virt-api does.
 */
import { readUnfreezeTimeout } from '../../api/kubevirt/v1/vmi-subresources';
import { failure } from '../../common/kube-status';
import type { NodeVmiAction } from '../../common/node-api';
import { LauncherApiError, type LauncherClient } from '../../launcher/api/client';

/** The launcher calls the actions make (LauncherClient's; tests pass their own). */
export type ActionLauncher = Pick<
  LauncherClient,
  | 'pause'
  | 'unpause'
  | 'softReboot'
  | 'reset'
  | 'freeze'
  | 'unfreeze'
  | 'guestAgentInfo'
  | 'guestUsers'
  | 'guestFilesystems'
>;

export interface ActionAnswer {
  readonly status: number;
  readonly body?: unknown;
}

const ACCEPTED: ActionAnswer = { status: 202 };

/** The answer for a launcher failure (pure). */
export function launcherFailure(action: NodeVmiAction, err: unknown): ActionAnswer {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof LauncherApiError) {
    if (err.statusCode === 0) return failure(503, message);
    if (err.statusCode === 409) return failure(409, message);
    // virt-handler answers a freeze or unfreeze the guest refused with 400.
    if (action === 'freeze' || action === 'unfreeze') return failure(400, message);
  }
  return failure(500, message);
}

/** Performs `action` through the VMI's launcher; never throws. */
export async function performAction(
  action: NodeVmiAction,
  body: unknown,
  launcher: ActionLauncher,
): Promise<ActionAnswer> {
  try {
    switch (action) {
      case 'pause':
        await launcher.pause();
        return ACCEPTED;
      case 'unpause':
        await launcher.unpause();
        return ACCEPTED;
      case 'softreboot':
        await launcher.softReboot();
        return ACCEPTED;
      case 'reset':
        await launcher.reset();
        return ACCEPTED;
      case 'freeze': {
        const read = readUnfreezeTimeout(body);
        if ('problem' in read) return failure(400, read.problem);
        await launcher.freeze(read.value.unfreezeTimeoutSeconds);
        return ACCEPTED;
      }
      case 'unfreeze':
        await launcher.unfreeze();
        return ACCEPTED;
      case 'guestosinfo':
        return { status: 200, body: await launcher.guestAgentInfo() };
      case 'userlist':
        return { status: 200, body: { metadata: {}, items: await launcher.guestUsers() } };
      case 'filesystemlist':
        return { status: 200, body: { metadata: {}, items: await launcher.guestFilesystems() } };
    }
  } catch (err) {
    return launcherFailure(action, err);
  }
}
