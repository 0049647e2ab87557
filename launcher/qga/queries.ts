/**
 * Questions asked of the guest agent on demand (not by the monitor's poll): its version and
 * commands, the logged-in users, the mounted filesystems (what KubeVirt's `guestosinfo`,
 * `userlist` and `filesystemlist` answer), and the filesystem freeze and thaw behind `freeze`
 * and `unfreeze`. A command the agent does not have (or has disabled) is simply not answered:
 * its part stays empty, as in KubeVirt, which only reports what the agent supports.
 */
import type { QgaClient } from './client';
import { answerIfSupported, QgaCommandError } from './errors';
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
export async function fsFreeze(c: QgaClient, timeoutMs = FREEZE_TIMEOUT_MS): Promise<number> {
  return Number(await c.execute<number>('guest-fsfreeze-freeze', undefined, timeoutMs));
}

/** Thaws the guest's filesystems; answers how many were thawed. */
export async function fsThaw(c: QgaClient, timeoutMs = FREEZE_TIMEOUT_MS): Promise<number> {
  return Number(await c.execute<number>('guest-fsfreeze-thaw', undefined, timeoutMs));
}

/** A freeze that failed, after what was done so that it leaves nothing frozen. */
export class FsFreezeFailedError extends Error {
  constructor(
    /** The freeze's own failure (the agent's answer, a timeout...). */
    readonly freezeError: Error,
    /**
     * The guest may still be frozen, in part: the thaw after the failure failed too, or was
     * not sent because the freeze went unanswered (the agent may still be freezing).
     */
    readonly mayBeFrozen: boolean,
    aftermath: string,
  ) {
    const what =
      freezeError instanceof QgaCommandError
        ? `the guest agent failed to freeze the guest's filesystems (${freezeError.command}: ${freezeError.errorClass}: ${freezeError.description})`
        : `freezing the guest's filesystems failed: ${freezeError.message}`;
    super(`${what}; ${aftermath}`);
    this.name = 'FsFreezeFailedError';
  }
}

/**
 * Freezes every filesystem of the guest, as fsFreeze; a freeze that fails is undone before its
 * failure is thrown (an FsFreezeFailedError). An agent whose freeze went part-way (FIFREEZE or
 * the fsfreeze hook failed after some filesystems froze) can be left in frozen state, refusing
 * every command but a few: its status is asked and, unless it says thawed, the guest is thawed.
 * An agent that cleaned up by itself is not thawed again (a thaw runs the guest's thaw hook even
 * when nothing is frozen). A freeze that went unanswered is not followed by more questions
 * here: the caller treats the guest as possibly frozen and thaws it once the agent answers.
 */
export async function fsFreezeOrUndo(c: QgaClient, timeoutMs = FREEZE_TIMEOUT_MS): Promise<number> {
  try {
    return await fsFreeze(c, timeoutMs);
  } catch (err) {
    const freezeError = err instanceof Error ? err : new Error(String(err));
    if (!(freezeError instanceof QgaCommandError))
      throw new FsFreezeFailedError(
        freezeError,
        true,
        'the guest may still be freezing: it is thawed as soon as its agent answers',
      );
    const status = await c
      .execute<string>('guest-fsfreeze-status', undefined, timeoutMs)
      .catch(() => undefined);
    if (status === 'thawed')
      throw new FsFreezeFailedError(freezeError, false, 'the agent left nothing frozen');
    try {
      await fsThaw(c, timeoutMs);
    } catch (thawErr) {
      throw new FsFreezeFailedError(
        freezeError,
        true,
        `thawing the filesystems it froze failed too (${(thawErr as Error).message}): the thaw is tried again until it goes through`,
      );
    }
    throw new FsFreezeFailedError(freezeError, false, 'the filesystems it had frozen were thawed again');
  }
}
