/**
 * The migration controller as the manager runs it (KubeVirt's virt-controller migration
 * controller): informers over VirtualMachineInstanceMigrations (indexed by UID and by the VMI they
 * name), MigrationPolicies and KubeVirt objects (the settings, which the VMI controller reads too
 * for useEmulation); the manager's VMI and launcher pod caches are shared. One work queue; a
 * change of a VMI wakes its migrations, a change of a target pod its migration, a change of
 * another launcher pod the unfinished migrations of its namespace.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import { MIGRATION_JOB_UID_LABEL } from '../../api/kubevirt/v1/migration-labels';
import type { MigrationPolicy } from '../../api/migrations/v1alpha1/policy';
import {
  byNamespace,
  DEFAULT_RATE_LIMIT,
  Informer,
  KUBEVIRTS,
  MIGRATION_POLICIES,
  objectKey,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  WorkQueue,
} from '../../kube';
import type { KubeOvnIpam } from '../kubeovn/ipam';
import { ownInformers, type OwnerController, type OwnerControllerDeps } from '../replicas/owner-controller';
import type { LauncherPod } from '../vmi/phase';
import { isFinalMigration } from './limits';
import { MigrationReconciler, type KubeVirtSettings } from './reconciler';

const BY_UID = 'uid';
const BY_VMI = 'vmi';

/** The migration controller's own informers, which the evacuation and VMI controllers read too. */
export interface MigrationInformers {
  readonly migrations: Informer<VirtualMachineInstanceMigration>;
  readonly kubevirts: Informer<KubeVirtSettings>;
}

export interface MigrationControllerOptions {
  readonly launcherImage?: string;
  readonly kubeOvn?: KubeOvnIpam;
}

export function createMigrationController(
  deps: OwnerControllerDeps,
  shared: { readonly vmis: Informer<VirtualMachineInstance>; readonly pods: Informer<LauncherPod> },
  options: MigrationControllerOptions = {},
): OwnerController & { readonly informers: MigrationInformers } {
  const name = 'virt-controller-migration';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const migrations = new Informer<VirtualMachineInstanceMigration>(
    deps.client.listWatch<VirtualMachineInstanceMigration>(
      VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
      undefined,
      deps.namespace,
    ),
    {
      namespace: byNamespace,
      [BY_UID]: (m) => (m.metadata?.uid ? [m.metadata.uid] : []),
      [BY_VMI]: (m) => (m.spec?.vmiName ? [`${m.metadata?.namespace ?? ''}/${m.spec.vmiName}`] : []),
    },
    deps.watchOptions,
  );
  // Cluster-wide settings: read wherever they are, whichever namespace the controller watches.
  const policies = new Informer<MigrationPolicy>(
    deps.client.listWatch<MigrationPolicy>(MIGRATION_POLICIES),
    {},
    deps.watchOptions,
  );
  const kubevirts = new Informer<KubeVirtSettings>(deps.client.listWatch(KUBEVIRTS), {}, deps.watchOptions);
  const reconciler = new MigrationReconciler(
    deps.client,
    { migrations, vmis: shared.vmis, pods: shared.pods, policies, kubevirts },
    deps.recorder,
    options,
  );

  const wake = (index: string, key: string): void => {
    for (const m of migrations.cache.byIndex(index, key)) queue.add(objectKey(m));
  };
  migrations.onChange((m) => queue.add(objectKey(m)));
  shared.vmis.onChange((vmi) => wake(BY_VMI, objectKey(vmi)));
  shared.pods.onChange((p) => {
    const uid = p.metadata?.labels?.[MIGRATION_JOB_UID_LABEL];
    if (uid) return wake(BY_UID, uid);
    // The source pod (created, bound, gone) matters to the migrations still at work.
    for (const m of migrations.cache.byIndex('namespace', p.metadata?.namespace ?? ''))
      if (!isFinalMigration(m)) queue.add(objectKey(m));
  });

  return {
    kind: 'VirtualMachineInstanceMigration',
    resource: VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
    informer: ownInformers(migrations, [migrations, policies, kubevirts]),
    queue,
    reconcile: (k) => reconciler.reconcile(k),
    informers: { migrations, kubevirts },
  };
}
