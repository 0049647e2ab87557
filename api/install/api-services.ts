/**
 * How kube-apiserver reaches `virtkit api` for its aggregated APIs (pure): the APIServices
 * `v1.subresources.kubevirt.io` (KubeVirt's subresource API) and `v1beta1.upload.cdi.kubevirt.io`
 * (CDI's upload tokens), both naming the one Service in front of the api, with KubeVirt's
 * ordering values. Local mode, the integration suites and cluster mode's install renderer
 * (./render.ts) build the same objects.
 *
 * The CA bundle is optional, as for the webhook configuration (./webhook-configuration.ts):
 * cluster mode's manifests leave it out and it is written at run time.
 */
import { UPLOAD_GROUP, UPLOAD_VERSION } from '../cdi/upload-api';

/** KubeVirt's subresource API group (kube/resources.ts names the same group for the client). */
export const SUBRESOURCES_GROUP = 'subresources.kubevirt.io';
export const SUBRESOURCES_VERSION = 'v1';
/** `<version>.<group>`: the only name an APIService for this group version may have. */
export const APISERVICE_NAME = `${SUBRESOURCES_VERSION}.${SUBRESOURCES_GROUP}`;
export const UPLOAD_APISERVICE_NAME = `${UPLOAD_VERSION}.${UPLOAD_GROUP}`;

/** Where virtkit's components live and the Service in front of `virtkit api`. */
export const API_SERVICE_NAMESPACE = 'virtkit';
export const API_SERVICE_NAME = 'virtkit-api';

/** KubeVirt's values (virt-operator's APIService for virt-api): ordering among API groups. */
export const GROUP_PRIORITY_MINIMUM = 1000;
export const VERSION_PRIORITY = 15;

const LABELS = { 'app.kubernetes.io/part-of': 'virtkit', 'app.kubernetes.io/component': 'virtkit-api' };

export interface ServiceRef {
  /** @default API_SERVICE_NAMESPACE */
  readonly namespace?: string;
  /** @default API_SERVICE_NAME */
  readonly name?: string;
  /** The port kube-apiserver connects to. */
  readonly port: number;
}

export interface ApiServiceTarget extends ServiceRef {
  /**
   * PEM certificates the aggregator verifies the server with. Left out, the APIService carries
   * no `caBundle` (it is written at run time).
   */
  readonly caBundlePem?: string;
  /** @default `app.kubernetes.io/part-of: virtkit`, `app.kubernetes.io/component: virtkit-api` */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations (cert-manager's `cert-manager.io/inject-ca-from`). */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The APIService `v1.subresources.kubevirt.io`: requests under /apis/subresources.kubevirt.io/v1
 * go, after the API server authenticated and authorized them, to the Service's port over TLS,
 * verified with the CA bundle for the name `<service>.<namespace>.svc`.
 */
export function subresourcesApiService(o: ApiServiceTarget): Record<string, unknown> {
  return apiServiceObject({ ...o, group: SUBRESOURCES_GROUP, version: SUBRESOURCES_VERSION });
}

/** The APIService `v1beta1.upload.cdi.kubevirt.io` (CDI's name), served by the same `virtkit api`. */
export function uploadApiService(o: ApiServiceTarget): Record<string, unknown> {
  return apiServiceObject({ ...o, group: UPLOAD_GROUP, version: UPLOAD_VERSION });
}

/**
 * An APIService `<version>.<group>` naming `virtkit api`'s Service (this group's and CDI's
 * upload group's: one server answers both), with KubeVirt's ordering values.
 */
export function apiServiceObject(
  o: ApiServiceTarget & { readonly group: string; readonly version: string },
): Record<string, unknown> {
  if (o.caBundlePem !== undefined && !o.caBundlePem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`APIService ${o.version}.${o.group}: caBundlePem must be PEM certificates`);
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: {
      name: `${o.version}.${o.group}`,
      labels: { ...(o.labels ?? LABELS) },
      ...(o.annotations ? { annotations: { ...o.annotations } } : {}),
    },
    spec: {
      group: o.group,
      version: o.version,
      groupPriorityMinimum: GROUP_PRIORITY_MINIMUM,
      versionPriority: VERSION_PRIORITY,
      service: {
        namespace: o.namespace ?? API_SERVICE_NAMESPACE,
        name: o.name ?? API_SERVICE_NAME,
        port: o.port,
      },
      ...(o.caBundlePem !== undefined ? { caBundle: Buffer.from(o.caBundlePem).toString('base64') } : {}),
    },
  };
}
