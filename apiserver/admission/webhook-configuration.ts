/**
 * The ValidatingWebhookConfiguration that sends every virtkit kind to `virtkit api`: one
 * webhook per API group, CREATE and UPDATE of the main resource (status is the runtime's),
 * `failurePolicy: Fail` (an object is never stored unchecked), no side effects. Pure: the
 * install renderer and local mode both call it.
 */
import { virtkitKinds } from '../../api/registry';

export const WEBHOOK_CONFIGURATION_NAME = 'virtkit-validator';
export const VALIDATE_PATH = '/validate';

export interface WebhookTarget {
  /** PEM of the CA that signed the webhook server's certificate. */
  readonly caBundlePem: string;
  /** `https://host:port` when the server runs outside the cluster (local mode). */
  readonly url?: string;
  /** The Service in front of the server (cluster mode). */
  readonly service?: { readonly namespace: string; readonly name: string; readonly port?: number };
  /** Only objects in namespaces with these labels (tests scope a webhook to their namespace). */
  readonly namespaceSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
  /** @default WEBHOOK_CONFIGURATION_NAME */
  readonly name?: string;
  /** Seconds the API server waits for an answer. @default 10 */
  readonly timeoutSeconds?: number;
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
  const clientConfig = {
    caBundle: Buffer.from(t.caBundlePem).toString('base64'),
    ...(t.url ? { url: `${t.url.replace(/\/$/, '')}${VALIDATE_PATH}` } : {}),
    ...(t.service ? { service: { ...t.service, path: VALIDATE_PATH, port: t.service.port ?? 443 } } : {}),
  };
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
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: t.name ?? WEBHOOK_CONFIGURATION_NAME,
      labels: { 'app.kubernetes.io/part-of': 'virtkit' },
    },
    webhooks,
  };
}
