/**
 * How kube-apiserver reaches `virtkit api` for the aggregated API `subresources.kubevirt.io/v1`:
 * an APIService naming a Service, and (local mode) that Service. Pure: local mode, the
 * integration suite and cluster mode's install renderer build the same objects.
 */
import { SUBRESOURCES_GROUP } from '../../kube/resources';

export const SUBRESOURCES_VERSION = 'v1';
/** `<version>.<group>`: the only name an APIService for this group version may have. */
export const APISERVICE_NAME = `${SUBRESOURCES_VERSION}.${SUBRESOURCES_GROUP}`;

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

/**
 * The APIService `v1.subresources.kubevirt.io`: requests under /apis/subresources.kubevirt.io/v1
 * go, after the API server authenticated and authorized them, to the Service's port over TLS,
 * verified with `caBundlePem` for the name `<service>.<namespace>.svc`.
 */
export function subresourcesApiService(
  o: ServiceRef & { readonly caBundlePem: string },
): Record<string, unknown> {
  return apiServiceObject({ ...o, group: SUBRESOURCES_GROUP, version: SUBRESOURCES_VERSION });
}

/**
 * An APIService `<version>.<group>` naming `virtkit api`'s Service (this group's and CDI's
 * upload group's: one server answers both), with KubeVirt's ordering values.
 */
export function apiServiceObject(
  o: ServiceRef & { readonly caBundlePem: string; readonly group: string; readonly version: string },
): Record<string, unknown> {
  if (!o.caBundlePem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`APIService ${o.version}.${o.group}: caBundlePem must be PEM certificates`);
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: `${o.version}.${o.group}`, labels: LABELS },
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
      caBundle: Buffer.from(o.caBundlePem).toString('base64'),
    },
  };
}

/**
 * Local mode's Service for `virtkit api`, which runs on this host, not in a pod: type
 * ExternalName `localhost`. kube-apiserver's default routing resolves an ExternalName Service
 * to https://<externalName>:<APIService port> (Endpoints would refuse a loopback address).
 */
export function localApiServiceObject(o: ServiceRef): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: o.name ?? API_SERVICE_NAME,
      namespace: o.namespace ?? API_SERVICE_NAMESPACE,
      labels: LABELS,
    },
    spec: {
      type: 'ExternalName',
      externalName: 'localhost',
      ports: [{ name: 'https', port: o.port, protocol: 'TCP' }],
    },
  };
}

/** The APIService's `Available` condition, as the aggregator reports it. */
export interface Availability {
  readonly available: boolean;
  /** The aggregator's reason and message when it is not available (or not yet judged). */
  readonly message: string;
}

/** Read the Available condition of a stored APIService. Pure. */
export function apiServiceAvailability(apiService: unknown): Availability {
  const conditions = (apiService as { status?: { conditions?: unknown } } | undefined)?.status?.conditions;
  const c = Array.isArray(conditions)
    ? (conditions as { type?: string; status?: string; reason?: string; message?: string }[]).find(
        (x) => x?.type === 'Available',
      )
    : undefined;
  if (!c) return { available: false, message: 'the aggregator has not judged it yet' };
  return {
    available: c.status === 'True',
    message: [c.reason, c.message].filter(Boolean).join(': '),
  };
}
