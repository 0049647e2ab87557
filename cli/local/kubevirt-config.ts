/**
 * Local mode's `KubeVirt` object (namespace virtkit, name virtkit): the one place the cluster's
 * feature gates live, as in KubeVirt (`virtkit up --feature-gates HostDisk,...` writes them;
 * `kubectl edit kubevirt -n virtkit virtkit` changes them; admission follows at once), and
 * `useEmulation`, which `up` sets where this machine's KVM does not boot a guest
 * (launcher/host/kvm-probe.ts's hostKvm).
 */
import { FEATURE_GATES } from '../../api/feature-gates';
import { isAlreadyExists, KUBEVIRTS, NAMESPACES, type KubeClient } from '../../kube';

/**
 * Why KVM is not used, as `up` says it (pure): a probe boot that QEMU ended is "a test boot of
 * QEMU with KVM did not run on this machine" (QEMU's own words stay in the handler's Node
 * condition, not in up's lines, which would read as up's own failures); other reasons (no
 * /dev/kvm, VIRTKIT_ACCEL) as they are.
 */
export function kvmWhy(reason: string): string {
  return /^KVM probe failed/.test(reason)
    ? 'a test boot of QEMU with KVM did not run on this machine'
    : reason;
}

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

/**
 * The cluster's KubeVirt object (namespace virtkit, name virtkit) with these feature gates and,
 * when software emulation is allowed, `useEmulation: true` (launcher pods then do not ask for
 * `devices.kubevirt.io/kvm`).
 */
export async function applyKubeVirtConfig(
  client: KubeClient,
  gates: readonly string[],
  useEmulation = false,
): Promise<void> {
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
    spec: {
      configuration: {
        developerConfiguration: { featureGates: [...gates], ...(useEmulation ? { useEmulation: true } : {}) },
      },
    },
  });
}
