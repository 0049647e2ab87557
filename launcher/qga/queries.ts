/**
 * Questions asked of the guest agent on demand (not by the monitor's poll): its version and
 * commands, the logged-in users, the mounted filesystems (what KubeVirt's `guestosinfo`,
 * `userlist` and `filesystemlist` answer), and the filesystem freeze and thaw behind `freeze`
 * and `unfreeze`. A command the agent does not have (or has disabled) is simply not answered:
 * its part stays empty, as in KubeVirt, which only reports what the agent supports.
 */
import type { QgaClient } from './client';
import { answerIfSupported } from './errors';
import {
  toGuestFilesystems,
  toGuestUsers,
  toSupportedCommands,
  type QgaAgentInfo,
  type QgaFsInfo,
  type QgaUser,
} from './protocol';
import type {
  GuestAgentCommandInfo,
  VirtualMachineInstanceFileSystem,
  VirtualMachineInstanceGuestOSUser,
} from '../../api/kubevirt/v1/vmi-subresources';

/** Freezing syncs every filesystem of the guest first: give it longer than a status poll. */
export const FREEZE_TIMEOUT_MS = 30_000;

export interface AgentDetails {
  readonly version?: string;
  readonly supportedCommands: GuestAgentCommandInfo[];
  readonly users: VirtualMachineInstanceGuestOSUser[];
  readonly filesystems: VirtualMachineInstanceFileSystem[];
}

/**
 * The agent's version and commands, and (unless `frozen`: a frozen agent refuses everything
 * but thaw, status, ping and sync) the users and filesystems.
 */
export async function agentDetails(c: QgaClient, o: { frozen?: boolean } = {}): Promise<AgentDetails> {
  const info = await answerIfSupported(c.execute<QgaAgentInfo>('guest-info'));
  const users = o.frozen ? undefined : await answerIfSupported(c.execute<QgaUser[]>('guest-get-users'));
  const fs = o.frozen ? undefined : await answerIfSupported(c.execute<QgaFsInfo[]>('guest-get-fsinfo'));
  return {
    ...(typeof info?.version === 'string' && info.version ? { version: info.version } : {}),
    supportedCommands: toSupportedCommands(info),
    users: toGuestUsers(users),
    filesystems: toGuestFilesystems(fs),
  };
}

export function guestUsers(c: QgaClient): Promise<VirtualMachineInstanceGuestOSUser[]> {
  return answerIfSupported(c.execute<QgaUser[]>('guest-get-users')).then(toGuestUsers);
}

export function guestFilesystems(c: QgaClient): Promise<VirtualMachineInstanceFileSystem[]> {
  return answerIfSupported(c.execute<QgaFsInfo[]>('guest-get-fsinfo')).then(toGuestFilesystems);
}

/** Freezes every filesystem of the guest; answers how many were frozen. */
export async function fsFreeze(c: QgaClient): Promise<number> {
  return Number(await c.execute<number>('guest-fsfreeze-freeze', undefined, FREEZE_TIMEOUT_MS));
}

/** Thaws the guest's filesystems; answers how many were thawed. */
export async function fsThaw(c: QgaClient): Promise<number> {
  return Number(await c.execute<number>('guest-fsfreeze-thaw', undefined, FREEZE_TIMEOUT_MS));
}
