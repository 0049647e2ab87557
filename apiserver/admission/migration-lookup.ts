/**
 * The VMI a migration names and the migrations of its namespace, for admission (I/O), read with
 * the api component's client (RBAC: `get` on virtualmachineinstances, `list` on
 * virtualmachineinstancemigrations). A 429 (a CRD just installed answers "storage is
 * (re)initializing") is asked again for up to RETRY_MS, inside the webhook's time limit, before
 * admission fails closed; any other failure fails it at once.
 */
import {
  retrying429,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  VIRTUAL_MACHINE_INSTANCES,
  type KubeClient,
} from '../../kube';
import type { MigrationLookup } from './migrations';

const RETRY_MS = 5_000;

export function migrationLookupOf(client: KubeClient): MigrationLookup {
  return {
    vmi: (namespace, name) =>
      retrying429(
        () => client.getIfExists<Record<string, unknown>>(VIRTUAL_MACHINE_INSTANCES, namespace, name),
        RETRY_MS,
      ),
    migrations: (namespace) =>
      retrying429(
        async () =>
          (await client.list<Record<string, unknown>>(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, namespace)).items,
        RETRY_MS,
      ),
  };
}
