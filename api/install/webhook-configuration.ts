/**
 * The ValidatingWebhookConfiguration that sends every virtkit kind to `virtkit api`: one
 * webhook per API group, CREATE and UPDATE of the main resource (status is the runtime's),
 * `failurePolicy: Fail` (an object is never stored unchecked), no side effects. Pure: the
 * install renderer (./render.ts) and local mode both call it.
 *
 * Plus one webhook for pod evictions (KubeVirt's virt-launcher-eviction-interceptor, see
 * apiserver/admission/pod-eviction.ts): CREATE of `pods/eviction` in every namespace, at its own
 * path. It marks VMIs for evacuation, so its side effects are `NoneOnDryRun` (a dry-run eviction
 * marks with dryRun=All). No object selector: the object an eviction carries is the Eviction,
 * whose labels are not the pod's. `failurePolicy: Fail`, unlike KubeVirt's Ignore: KubeVirt falls
 * back on the PodDisruptionBudget it keeps per VMI, virtkit has none, so while `virtkit api` is
 * unreachable evictions are refused (a drain waits) rather than stopping guests that wanted to
 * migrate.
 *
 * The CA bundle is optional: cluster mode's manifests carry none (the api writes it at run time,
 * or cert-manager's CA injector does, from the annotations given here), so that whoever applies
 * the manifests (ArgoCD, Pulumi, kubectl) never owns that field and never reverts it.
 */
import { virtkitKinds } from '../registry';

export const WEBHOOK_CONFIGURATION_NAME = 'virtkit-validator';
export const VALIDATE_PATH = '/validate';
/** Where the API server sends pod evictions (apiserver/admission/pod-eviction.ts). */
export const POD_EVICTION_PATH = '/pod-eviction';
export const POD_EVICTION_WEBHOOK_NAME = 'pod-eviction.validate.virtkit.io';

export interface WebhookTarget {
  /**
   * PEM of the CA that signed the webhook server's certificate. Left out, the webhooks carry no
   * `caBundle` (it is written at run time, by the api or by cert-manager's CA injector).
   */
  readonly caBundlePem?: string;
  /** `https://host:port` when the server runs outside the cluster (local mode). */
  readonly url?: string;
  /** The Service in front of the server (cluster mode). @default port 443 */
  readonly service?: { readonly namespace: string; readonly name: string; readonly port?: number };
  /** Only objects in namespaces with these labels (tests scope a webhook to their namespace). */
  readonly namespaceSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
  /** @default WEBHOOK_CONFIGURATION_NAME */
  readonly name?: string;
  /** Seconds the API server waits for an answer. @default 10 */
  readonly timeoutSeconds?: number;
  /** Labels of the configuration object. @default `app.kubernetes.io/part-of: virtkit` */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations of the configuration object (cert-manager's `cert-manager.io/inject-ca-from`). */
  readonly annotations?: Readonly<Record<string, string>>;
}

export function webhookConfiguration(t: WebhookTarget): Record<string, unknown> {
  if (!t.url === !t.service) throw new Error('webhookConfiguration: give exactly one of url and service');
  const byGroup = new Map<
    string,
    { versions: Set<string>; resources: Set<string>; cluster: boolean; namespaced: boolean }
  >();
  for (const k of virtkitKinds()) {
    const g = byGroup.get(k.group) ?? {
      versions: new Set(),
      resources: new Set(),
      cluster: false,
      namespaced: false,
    };
    g.versions.add(k.version);
    g.resources.add(k.plural);
    if (k.scope === 'Cluster') g.cluster = true;
    else g.namespaced = true;
    byGroup.set(k.group, g);
  }
  const clientConfigAt = (path: string): Record<string, unknown> => ({
    ...(t.caBundlePem !== undefined ? { caBundle: Buffer.from(t.caBundlePem).toString('base64') } : {}),
    ...(t.url ? { url: `${t.url.replace(/\/$/, '')}${path}` } : {}),
    ...(t.service ? { service: { ...t.service, path, port: t.service.port ?? 443 } } : {}),
  });
  const clientConfig = clientConfigAt(VALIDATE_PATH);
  const webhooks = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, g]) => ({
      name: `${group.replace(/\.kubevirt\.io$/, '').replace(/^kubevirt\.io$/, 'core')}.validate.virtkit.io`,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      timeoutSeconds: t.timeoutSeconds ?? 10,
      clientConfig,
      ...(t.namespaceSelector ? { namespaceSelector: t.namespaceSelector } : {}),
      rules: [
        {
          apiGroups: [group],
          apiVersions: [...g.versions].sort(),
          operations: ['CREATE', 'UPDATE'],
          resources: [...g.resources].sort(),
          scope: g.cluster && g.namespaced ? '*' : g.cluster ? 'Cluster' : 'Namespaced',
        },
      ],
    }));
  webhooks.push({
    name: POD_EVICTION_WEBHOOK_NAME,
    admissionReviewVersions: ['v1'],
    sideEffects: 'NoneOnDryRun',
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    timeoutSeconds: t.timeoutSeconds ?? 10,
    clientConfig: clientConfigAt(POD_EVICTION_PATH),
    ...(t.namespaceSelector ? { namespaceSelector: t.namespaceSelector } : {}),
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['pods/eviction'],
        scope: 'Namespaced',
      },
    ],
  });
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: t.name ?? WEBHOOK_CONFIGURATION_NAME,
      labels: { ...(t.labels ?? { 'app.kubernetes.io/part-of': 'virtkit' }) },
      ...(t.annotations ? { annotations: { ...t.annotations } } : {}),
    },
    webhooks,
  };
}
