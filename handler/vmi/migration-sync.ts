/**
 * The I/O around ./migration-plan.ts: asks the launcher on this node where the migration
 * stands, does the one step the plan says, and merges what this side reports into the VMI's
 * `status.migrationState`. Every write tests the migration's uid first, so a step decided from a
 * stale cache never lands in the state of another (newer) migration.
 */
import type { LauncherClient } from '../../launcher/api/client';
import { BLOCK_MIGRATION_PORT, MIGRATION_PORT, type MigrationStatus } from '../../launcher/api/protocol';
import type { DomainStatus } from '../../launcher/runtime/domain-types';
import { isNotFound, VIRTUAL_MACHINE_INSTANCES, type KubeClient } from '../../kube';
import {
  completedByExit,
  sourceAction,
  targetAction,
  type MigrationState,
  type SourceAction,
  type TargetAction,
} from './migration-plan';
import type { MigrationProxies } from './migration-proxy';

export interface MigratingVmi {
  readonly metadata?: { readonly namespace?: string; readonly name?: string; readonly uid?: string };
  readonly status?: { readonly migrationState?: MigrationState };
}

/** How soon a migration in progress is looked at again (the launchers' events wake it up too). */
export const MIGRATION_POLL_MS = 500;

/** What the target side remembers between two looks: the address and ports it listens on. */
export interface TargetMemory {
  listening?: { address: string; ports: Record<string, number> };
}

/**
 * How this handler carries the stream (./migration-proxy.ts): the proxies, the launcher's QEMU
 * directory (where its migration sockets are) and the key of this migration's side.
 */
export interface MigrationCarrier {
  readonly proxies: MigrationProxies;
  readonly qemuDir: string;
  readonly key: string;
}

/**
 * Merges `patch` into the VMI's `status.migrationState` (JSON patch, after testing that the
 * state is still the one of `migrationUid`); false when the VMI is gone.
 */
export async function patchMigrationState(
  client: KubeClient,
  vmi: MigratingVmi,
  patch: MigrationState,
): Promise<boolean> {
  const meta = vmi.metadata ?? {};
  const uid = vmi.status?.migrationState?.migrationUid;
  const ops: object[] = [{ op: 'test', path: '/metadata/uid', value: meta.uid }];
  if (uid !== undefined) ops.push({ op: 'test', path: '/status/migrationState/migrationUid', value: uid });
  for (const [k, v] of Object.entries(patch))
    if (v !== undefined) ops.push({ op: 'add', path: `/status/migrationState/${k}`, value: v });
  try {
    await client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, meta.namespace, meta.name ?? '', ops, {
      subresource: 'status',
    });
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/** The target side's step; answers the action taken (for logs) and when to look again. */
export async function syncMigrationTarget(
  client: KubeClient,
  launcher: LauncherClient,
  vmi: MigratingVmi,
  podIP: string,
  memory: TargetMemory,
  carrier: MigrationCarrier,
  now: Date,
): Promise<{ action: TargetAction; again?: number }> {
  const ms = vmi.status?.migrationState ?? {};
  const domain: DomainStatus = await launcher.status();
  const migration: MigrationStatus =
    domain.state === 'NoState' ? { role: 'none', phase: 'None' } : await launcher.migration();
  const action = targetAction({ ms, domain, migration, podIP, listening: memory.listening, now });
  switch (action.kind) {
    case 'start':
      await launcher.sync();
      return { action, again: 0 };
    case 'listen': {
      // The QEMU here listens on sockets of its directory; this node's proxy takes the stream
      // (and the mirrors' NBD connections) on the node's address.
      const ready = await launcher.migrationIncoming({
        transport: 'unix',
        allowPostCopy: action.allowPostCopy,
      });
      const block = ready.mirroredDisks.length > 0;
      const ports = await carrier.proxies.target(carrier.key, carrier.qemuDir, block);
      memory.listening = {
        address: carrier.proxies.address,
        ports: {
          [String(ports.migrationPort)]: MIGRATION_PORT,
          ...(ports.blockPort !== undefined ? { [String(ports.blockPort)]: BLOCK_MIGRATION_PORT } : {}),
        },
      };
      return { action, again: 0 };
    }
    case 'report':
      await patchMigrationState(client, vmi, action.patch);
      return { action };
    case 'finish':
      await launcher.migrationFinish();
      return { action, again: 0 };
    case 'wait':
      return { action, again: ms.failed || ms.targetNodeDomainDetected ? undefined : MIGRATION_POLL_MS * 4 };
  }
}

/** The source side's step; answers the action taken and when to look again. */
export async function syncMigrationSource(
  client: KubeClient,
  launcher: LauncherClient,
  vmi: MigratingVmi,
  guestMemoryBytes: number,
  carrier: MigrationCarrier,
  now: Date,
): Promise<{ action: SourceAction; migration: MigrationStatus; again?: number }> {
  const ms = vmi.status?.migrationState ?? {};
  const migration = await launcher.migration();
  const action = sourceAction({ ms, migration, guestMemoryBytes, now });
  switch (action.kind) {
    case 'start': {
      // This node's proxy listens in the QEMU directory and sends to the target node's proxy.
      const { address, migrationPort, blockPort, options } = action.request;
      await carrier.proxies.source(carrier.key, carrier.qemuDir, {
        address,
        migrationPort,
        ...(blockPort !== undefined ? { blockPort } : {}),
      });
      // An empty list: the source mirrors the node-local disks of its own plan, which the target
      // (same spec) exported too; the launchers compare them when they connect.
      await launcher.migrationStart({ transport: 'unix', options, mirroredDisks: [] });
      return { action, migration, again: 0 };
    }
    case 'cancel':
      await launcher.migrationCancel();
      return { action, migration, again: MIGRATION_POLL_MS };
    case 'report':
      await patchMigrationState(client, vmi, action.patch);
      return { action, migration, again: MIGRATION_POLL_MS };
    case 'wait':
      return { action, migration, again: ms.completed || ms.failed ? undefined : MIGRATION_POLL_MS };
  }
}

/** The source launcher exited because its guest moved: say the migration completed. */
export async function reportCompletedByExit(client: KubeClient, vmi: MigratingVmi, now: Date): Promise<void> {
  const ms = vmi.status?.migrationState ?? {};
  if (ms.completed) return;
  await patchMigrationState(client, vmi, completedByExit(ms, now));
}
