/**
 * Local mode's `KubeVirt` object (namespace virtkit, name virtkit): the one place the cluster's
 * feature gates live, as in KubeVirt (`virtkit up --feature-gates HostDisk,...` writes them;
 * `kubectl edit kubevirt -n virtkit virtkit` changes them; admission follows at once).
 */
import { FEATURE_GATES } from '../../api/feature-gates';
import { isAlreadyExists, KUBEVIRTS, NAMESPACES, type KubeClient } from '../../kube';

export const CONFIG_NAMESPACE = 'virtkit';
export const CONFIG_NAME = 'virtkit';

/** A gate name virtkit does not know is an error naming the known ones (a typo would silently do nothing). */
export function checkFeatureGates(gates: readonly string[]): void {
  const unknown = gates.filter((g) => !(g in FEATURE_GATES));
  if (unknown.length)
    throw new Error(
      `--feature-gates: unknown gate${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; virtkit knows ${Object.keys(FEATURE_GATES).join(', ')}`,
    );
}

/** The cluster's KubeVirt object (namespace virtkit, name virtkit) with these feature gates. */
export async function applyKubeVirtConfig(client: KubeClient, gates: readonly string[]): Promise<void> {
  checkFeatureGates(gates);
  try {
    await client.create(NAMESPACES, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: CONFIG_NAMESPACE },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  await client.apply(KUBEVIRTS, CONFIG_NAMESPACE, CONFIG_NAME, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: CONFIG_NAME, namespace: CONFIG_NAMESPACE },
    spec: { configuration: { developerConfiguration: { featureGates: [...gates] } } },
  });
}
