/**
 * Every object that installs virtkit into a Kubernetes cluster (cluster mode), as plain JSON in
 * apply order (pure). `virtkit install -o yaml`, the cdk8s `VirtkitInstall` construct and the
 * Pulumi `Install` component all emit exactly this list.
 *
 * Apply order: the namespace; the CRDs; the KubeVirt configuration (before the webhooks that
 * would check it exist); ServiceAccounts; roles, then their bindings; cert-manager's objects;
 * Services; the Deployments and the DaemonSet; PodDisruptionBudgets; last the webhook
 * configuration and the APIServices, which send the API server's requests to the api.
 */
import { crds, volumeSnapshotCrds } from '../crd/generate';
import { subresourcesApiService, uploadApiService } from './api-services';
import { caInjectionAnnotations, certManagerObjects, certManagerRbac, selfSignedRbac } from './certificates';
import {
  apiDeployment,
  apiService,
  controllerDeployment,
  controllerMetricsService,
  disruptionBudget,
  handlerDaemonSet,
  serviceAccount,
} from './components';
import { installNamespace, kubeVirtConfig } from './config';
import { API, API_SERVICE_PORT, CONTROLLER, HANDLER, installLabels, type InstallPart } from './names';
import { CertificateMode, resolveInstallOptions, type InstallOptions } from './options';
import { componentRbac, userRoles } from './rbac';
import { VIRTKIT_VERSION } from './version';
import { webhookConfiguration } from './webhook-configuration';

/** One Kubernetes object of the install. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** What the renderer needs to know of the virtkit that runs it. */
export interface RenderContext {
  /**
   * virtkit's version: the `app.kubernetes.io/version` label and the default image tag.
   * @default VIRTKIT_VERSION
   */
  readonly version: string;
}

/** `Kind/namespace/name` (`Kind//name` when cluster-scoped): an object's identity in the install. */
export function installObjectKey(o: { kind?: unknown; metadata?: unknown }): string {
  const m = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(o.kind)}/${m.namespace ?? ''}/${m.name ?? ''}`;
}

/** The object with the install's labels on it (labels it had, such as role aggregation, stay). */
function labelled(part: InstallPart, version: string, o: Record<string, unknown>): KubeObject {
  const metadata = (o.metadata ?? {}) as KubeObject['metadata'];
  return {
    ...o,
    metadata: { ...metadata, labels: { ...(metadata.labels ?? {}), ...installLabels(part, version) } },
  } as KubeObject;
}

const isRole = (o: { kind?: unknown }): boolean => o.kind === 'ClusterRole' || o.kind === 'Role';

/**
 * The install's objects for `options`, in apply order. Throws an InstallOptionsError naming
 * every bad option.
 */
export function renderInstall(
  options: InstallOptions = {},
  context: RenderContext = { version: VIRTKIT_VERSION },
): KubeObject[] {
  const o = resolveInstallOptions(options, context.version);
  const ns = o.namespace;
  const sa = (name: string) => ({ kind: 'ServiceAccount' as const, name, namespace: ns });
  const ca = caInjectionAnnotations(o.certificates, ns);
  const selfSigned = o.certificates === CertificateMode.SELF_SIGNED;
  const rbac = [
    ...[CONTROLLER, API, HANDLER].flatMap((c) => componentRbac(c, sa(c))),
    ...userRoles(),
    ...(selfSigned ? selfSignedRbac(ns) : certManagerRbac(ns)),
  ];
  const apiTarget = { namespace: ns, name: API, port: API_SERVICE_PORT, ...(ca ? { annotations: ca } : {}) };
  const parts: [InstallPart, readonly object[]][] = [
    ['config', [installNamespace(ns)]],
    [
      'crds',
      [
        ...crds({ withNetworkCrds: o.withNetworkCrds }),
        ...(o.withVolumeSnapshotCrds ? volumeSnapshotCrds() : []),
      ],
    ],
    ['config', [kubeVirtConfig(ns, o.featureGates, o.useEmulation)]],
    ['controller', [serviceAccount(ns, CONTROLLER)]],
    ['api', [serviceAccount(ns, API)]],
    ['handler', [serviceAccount(ns, HANDLER)]],
    ['rbac', rbac.filter(isRole)],
    ['rbac', rbac.filter((r) => !isRole(r))],
    ['certificates', selfSigned ? [] : certManagerObjects(ns)],
    ['api', [apiService(o)]],
    ['controller', [controllerMetricsService(o)]],
    ['controller', [controllerDeployment(o)]],
    ['api', [apiDeployment(o)]],
    ['handler', [handlerDaemonSet(o)]],
    ['controller', disruptionBudget(o, 'controller')],
    ['api', disruptionBudget(o, 'api')],
    [
      'api',
      [
        webhookConfiguration({
          service: { namespace: ns, name: API, port: API_SERVICE_PORT },
          ...(ca ? { annotations: ca } : {}),
        }),
        subresourcesApiService(apiTarget),
        uploadApiService(apiTarget),
      ],
    ],
  ];
  return parts.flatMap(([part, objects]) =>
    objects.map((x) => labelled(part, o.version, x as Record<string, unknown>)),
  );
}
