/**
 * `PUT .../virtualmachines/{name}/migrate` (subresources.kubevirt.io/v1), as KubeVirt's virt-api
 * serves it: the body is KubeVirt's MigrateOptions (`dryRun`, `addedNodeSelector`); the VM and
 * its VMI are read, a VMI that is not Running is refused, and a VirtualMachineInstanceMigration
 * `kubevirt-migrate-vm-<suffix>` with `spec.vmiName` = the VM's name (and the added node
 * selector) is created; the answer is 202 Accepted with no body.
 *
 * The migration is created with the api component's identity, as virt-api creates it with its
 * own: the API server has already authorized the user for `update` of `virtualmachines/migrate`.
 * It goes through admission like one a user writes (apiserver/admission/migrations.ts: the VMI
 * is LiveMigratable, no migration is in flight), and a refusal there is virt-api's 500 with the
 * webhook's words. `dryRun: ["All"]` creates it with dryRun=All: admission judges it, nothing is
 * stored. The migration carries KubeVirt's selector label `kubevirt.io/vmi-name`, which
 * KubeVirt's mutating webhook would have put there.
 *
 * RBAC of the api component: `get` of virtualmachines and virtualmachineinstances, `create` of
 * virtualmachineinstancemigrations.
 */
import type { VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import { readDryRunOptions } from '../../api/kubevirt/v1/vmi-subresources';
import { failure } from '../../common/kube-status';
import { VIRTUAL_MACHINE_INSTANCE_MIGRATIONS } from '../../kube/resources';
import { MIGRATION_SELECTOR_LABEL } from '../../api/kubevirt/v1/migration-labels';
import { nodeSelectorProblems } from '../admission/migrations';
import { fetchVmi } from './node-client';
import type { SubresourceAnswer, SubresourceHandler } from './types';
import { badRequest, internalError, MESSAGES, vmConflict } from './vm-state';
import { fetchVm, serverWords } from './vm-state-handlers';

/** KubeVirt's generateName of the migrations the subresource creates. */
export const MIGRATE_GENERATE_NAME = 'kubevirt-migrate-vm-';

/** KubeVirt's MigrateOptions, as read from the body. */
export interface MigrateOptions {
  readonly dryRun: boolean;
  readonly addedNodeSelector?: Readonly<Record<string, string>>;
}

const UNMARSHAL = 'Can not unmarshal Request body to struct, error: ';

/**
 * Reads MigrateOptions (pure): an empty body is no option; `dryRun` is `["All"]` or left out;
 * `addedNodeSelector` maps node label keys to values (each checked, as the target pod's
 * nodeSelector needs them). Unknown fields are ignored, as virt-api does.
 */
export function parseMigrateOptions(
  body: unknown,
): { readonly options: MigrateOptions } | { readonly refusal: SubresourceAnswer } {
  if (body === undefined || body === null || (typeof body === 'string' && body.trim() === '')) body = {};
  const dry = readDryRunOptions(body);
  if ('problem' in dry) return { refusal: badRequest(`${UNMARSHAL}MigrateOptions: ${dry.problem}`) };
  const selector = (body as Record<string, unknown>).addedNodeSelector;
  const problems = nodeSelectorProblems(selector);
  if (problems.length)
    return {
      refusal: badRequest(
        `${UNMARSHAL}MigrateOptions.addedNodeSelector ${problems.join('; ')}: give node labels such as {"topology.kubernetes.io/zone": "zone-b"}`,
      ),
    };
  const added = selector as Record<string, string> | undefined | null;
  return {
    options: {
      dryRun: dry.value.dryRun,
      ...(added && Object.keys(added).length ? { addedNodeSelector: { ...added } } : {}),
    },
  };
}

/** The migration the subresource creates for VM `name` (pure). */
export function migrationFor(name: string, options: MigrateOptions): VirtualMachineInstanceMigration {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { generateName: MIGRATE_GENERATE_NAME, labels: { [MIGRATION_SELECTOR_LABEL]: name } },
    spec: {
      vmiName: name,
      ...(options.addedNodeSelector ? { addedNodeSelector: { ...options.addedNodeSelector } } : {}),
    },
  };
}

export const migrateVm: SubresourceHandler = async (req, ctx) => {
  if (req.method !== 'PUT')
    return failure(
      405,
      `virtualmachines/migrate accepts PUT only, not ${req.method} (virtctl migrate and virtkit migrate send PUT)`,
    );
  const parsed = parseMigrateOptions(req.body);
  if ('refusal' in parsed) return parsed.refusal;
  const { namespace, name } = req;
  const { client, log } = ctx;

  // 404 virtualmachine "NAME" / virtualmachineinstance "NAME" not found, or a 500: KubeVirt's
  // answers, thrown as SubresourceErrors (the router answers them as they are).
  const vm = await fetchVm(namespace, name, ctx);
  const vmi = await fetchVmi(namespace, name, ctx);
  const where = { kind: 'VirtualMachine', namespace, name, uid: vm.metadata?.uid, user: req.user.name };
  if (vmi.status?.phase !== 'Running') {
    log.debug(where, `migrate refused: the VMI is in phase ${vmi.status?.phase ?? '(none)'}`);
    return vmConflict(name, MESSAGES.notRunning);
  }
  const { dryRun } = parsed.options;
  let created: VirtualMachineInstanceMigration;
  try {
    created = await client.create<VirtualMachineInstanceMigration>(
      VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
      namespace,
      migrationFor(name, parsed.options),
      { dryRun },
    );
  } catch (err) {
    // virt-api answers every failure to create the migration (admission's refusals too) as a 500.
    log.debug(where, `migrate refused: ${serverWords(err)}`);
    return internalError(serverWords(err));
  }
  log.info(
    where,
    `migrate${dryRun ? ' (dry run)' : ''}: created VirtualMachineInstanceMigration ${namespace}/${created.metadata?.name ?? MIGRATE_GENERATE_NAME}`,
  );
  return { status: 202 };
};

/** The handler, keyed as the subresource router looks it up (./handlers.ts). */
export const VM_MIGRATE_HANDLERS: Readonly<Record<'virtualmachines/migrate', SubresourceHandler>> = {
  'virtualmachines/migrate': migrateVm,
};
