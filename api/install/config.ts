/**
 * The install's namespace and the cluster's configuration object (pure). The configuration is
 * a `KubeVirt` object, as in KubeVirt and in local mode: the one place feature gates live
 * (`spec.configuration.developerConfiguration.featureGates`), read by the api, the controller
 * and the handlers; `kubectl edit kubevirt -n <namespace> virtkit` changes them at run time.
 */
import { KUBEVIRT_CONFIG_NAME } from './names';

type Json = Record<string, unknown>;

/**
 * ArgoCD checks every object with a server-side dry run before it syncs; the KubeVirt object's
 * CRD is in the same sync, so on a fresh cluster that check has to wait for it.
 */
export const ARGOCD_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
export const SKIP_DRY_RUN_ON_MISSING_RESOURCE = 'SkipDryRunOnMissingResource=true';

/**
 * The namespace, labelled for Pod Security admission: the handler DaemonSet is privileged, so
 * the namespace enforces the `privileged` level (the controller and the api meet `restricted`
 * on their own).
 */
export function installNamespace(name: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
  };
}

/**
 * The KubeVirt object `<namespace>/virtkit` with these feature gates (checked by ./options.ts)
 * and, when software emulation is allowed, `useEmulation: true`.
 */
export function kubeVirtConfig(
  namespace: string,
  featureGates: readonly string[],
  useEmulation = false,
): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: {
      name: KUBEVIRT_CONFIG_NAME,
      namespace,
      annotations: { [ARGOCD_SYNC_OPTIONS]: SKIP_DRY_RUN_ON_MISSING_RESOURCE },
    },
    spec: {
      configuration: {
        developerConfiguration: {
          featureGates: [...featureGates],
          ...(useEmulation ? { useEmulation: true } : {}),
        },
      },
    },
  };
}
