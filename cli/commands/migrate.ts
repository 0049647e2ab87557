/**
 * virtctl's live migration verbs, with virtctl's names, flags and lines:
 *
 *   virtkit migrate NAME [--addedNodeSelector k=v,...] [--dry-run]
 *       PUT .../virtualmachines/NAME/migrate with KubeVirt's MigrateOptions
 *       {addedNodeSelector, dryRun: ["All"]}; virtkit api creates the
 *       VirtualMachineInstanceMigration (RBAC: `update` on `virtualmachines/migrate`).
 *       Prints "VM NAME was scheduled to migrate" once it is created; the move follows
 *       (`kubectl get vmim -w` shows its phase).
 *   virtkit migrate-cancel NAME
 *       Lists the namespace's VirtualMachineInstanceMigrations and deletes the one of VMI NAME
 *       that has not ended (the controller then aborts the move; RBAC: `list` and `delete` on
 *       virtualmachineinstancemigrations). Prints "VM NAME was scheduled to migrate-cancel".
 *
 * Exit codes: 0 done, 1 the server refused (its message is printed), could not be reached, or
 * there is no migration to cancel; 2 usage (a missing NAME, an unknown flag, a node selector that
 * is not `key=value` pairs of node labels).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { KubeConfigOptions } from '../../kube/config';
import { SUBRESOURCE_VIRTUAL_MACHINES, VIRTUAL_MACHINE_INSTANCE_MIGRATIONS } from '../../kube/resources';
import { isFinalMigration } from '../../api/kubevirt/v1/migration-labels';
import { nodeSelectorProblems } from '../../apiserver/admission/migrations';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { refusalMessage, usageExitCodes } from './vm-state';

export type MigrateVerb = 'migrate' | 'migrate-cancel';

export const MIGRATE_VERBS: readonly MigrateVerb[] = ['migrate', 'migrate-cancel'];

export interface MigrateFlags extends KubeFlags {
  readonly addedNodeSelector?: Readonly<Record<string, string>>;
  readonly dryRun?: boolean;
}

/** A migration as the CLI reads it from a list. */
export interface MigrationItem {
  readonly metadata?: { readonly name?: string; readonly uid?: string };
  readonly spec?: { readonly vmiName?: string };
  readonly status?: { readonly phase?: string };
}

/** The requests the verbs make; tests pass their own. */
export interface MigrationApi {
  readonly namespace: string;
  /** PUT .../virtualmachines/NAME/migrate. */
  migrate(name: string, body: Record<string, unknown>): Promise<void>;
  listMigrations(): Promise<readonly MigrationItem[]>;
  /** Deletes the migration, only if it still has this uid. */
  deleteMigration(name: string, uid: string | undefined): Promise<void>;
  close(): void;
}

export type MigrationConnector = (connection: KubeConfigOptions) => Promise<MigrationApi>;

/** The real requests: through KubeClient, in the namespace -n or the context gives. */
export const connectKube: MigrationConnector = async (connection) => {
  // Loaded here: the pure parts of this module stay loadable without the Kubernetes client.
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  return {
    namespace: api.namespace,
    migrate: async (name, body) => {
      await api.putSubresource(SUBRESOURCE_VIRTUAL_MACHINES, api.namespace, name, 'migrate', body);
    },
    listMigrations: async () =>
      (await api.list<MigrationItem>(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, api.namespace)).items,
    deleteMigration: async (name, uid) => {
      await api.delete(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, api.namespace, name, uid ? { uid } : {});
    },
    close: () => api.close(),
  };
};

/**
 * Commander's parser of `--addedNodeSelector key=value1,key2=value2` (pure; virtctl's
 * StringToString flag: comma-separated pairs, repeatable, a later key wins). Every key must be a
 * node label key and every value a label value; anything else is a usage error.
 */
export function parseNodeSelector(
  text: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = { ...previous };
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new InvalidArgumentError(
        `${JSON.stringify(pair)} is not key=value; write node labels as --addedNodeSelector=topology.kubernetes.io/zone=zone-b,disktype=ssd`,
      );
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const problems = nodeSelectorProblems(out);
  if (problems.length) throw new InvalidArgumentError(`${problems.join('; ')}`);
  return out;
}

/** The MigrateOptions virtctl sends for these flags (only the fields set; pure). */
export function migrateBody(flags: MigrateFlags): Record<string, unknown> {
  return {
    ...(flags.addedNodeSelector && Object.keys(flags.addedNodeSelector).length
      ? { addedNodeSelector: { ...flags.addedNodeSelector } }
      : {}),
    ...(flags.dryRun ? { dryRun: ['All'] } : {}),
  };
}

/** A failure of migrate-cancel that is not the server's own refusal: printed as it is. */
export class MigrateCancelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrateCancelError';
  }
}

/**
 * virtctl's migrate-cancel: the first migration of VMI `name` that has not ended is deleted.
 * Answers its name; throws MigrateCancelError when there is none, or when a request fails.
 */
export async function cancelMigration(api: MigrationApi, name: string): Promise<string> {
  let all: readonly MigrationItem[];
  try {
    all = await api.listMigrations();
  } catch (err) {
    throw new MigrateCancelError(
      `Error fetching virtual machine instance migration list: ${refusalMessage(err)}`,
    );
  }
  const active = all.find((m) => m.spec?.vmiName === name && !isFinalMigration(m));
  if (!active?.metadata?.name)
    throw new MigrateCancelError(
      `Found no migration to cancel for ${name}: no VirtualMachineInstanceMigration of VMI ${api.namespace}/${name} is in flight (\`kubectl get vmim -n ${api.namespace}\` lists the ones that ended)`,
    );
  const migration = active.metadata.name;
  try {
    await api.deleteMigration(migration, active.metadata.uid);
  } catch (err) {
    throw new MigrateCancelError(
      `Error canceling migration ${migration} of a VirtualMachine ${name}: ${refusalMessage(err)}`,
    );
  }
  return migration;
}

const DESCRIPTIONS: Record<MigrateVerb, string> = {
  migrate:
    'Live-migrate a running virtual machine to another node (like `virtctl migrate`): NAME is a VirtualMachine',
  'migrate-cancel':
    'Cancel the live migration of a virtual machine in flight (like `virtctl migrate-cancel`): NAME is its VM or VMI',
};

/** Registers one verb, connecting through `connect` (tests pass their own). */
export function registerVerb(
  program: Command,
  verb: MigrateVerb,
  connect: MigrationConnector = connectKube,
): Command {
  const cmd = program
    .command(verb)
    .description(DESCRIPTIONS[verb])
    .argument('<name>', 'the VirtualMachine (its VMI has the same name)');
  if (verb === 'migrate')
    cmd
      .option(
        '--addedNodeSelector <key=value,...>',
        'node labels the target node must also have, for this migration only (it narrows the placement rules of the VM, never widens them); by default the scheduler picks the node',
        (text: string, previous?: Record<string, string>) => parseNodeSelector(text, previous),
      )
      .option('--dry-run', 'let the server check the migration without creating it');
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(async (name: string, flags: MigrateFlags) => {
    if (flags.dryRun) console.log('Dry Run execution');
    let api: MigrationApi | undefined;
    try {
      api = await connect(connectionOf(flags));
      if (verb === 'migrate') await api.migrate(name, migrateBody(flags));
      else await cancelMigration(api, name);
    } catch (err) {
      console.error(
        `virtkit ${verb}: ${err instanceof MigrateCancelError ? err.message : refusalMessage(err)}`,
      );
      process.exitCode = 1;
      return;
    } finally {
      api?.close();
    }
    console.log(`VM ${name} was scheduled to ${verb}`);
  });
  return cmd;
}

/** Registers migrate and migrate-cancel (main.ts maps both names here); a second call adds nothing. */
export function register(program: Command): void {
  for (const verb of MIGRATE_VERBS)
    if (!program.commands.some((c) => c.name() === verb)) registerVerb(program, verb);
}
