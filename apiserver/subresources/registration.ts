/**
 * How kube-apiserver reaches `virtkit api` for the aggregated API `subresources.kubevirt.io/v1`:
 * an APIService naming a Service, and (local mode) that Service. The APIServices are built in
 * api/install/api-services.ts, beside the rest of cluster mode's install (pure); local mode's
 * ExternalName Service and the reading of an APIService's availability are here.
 */
import { API_SERVICE_NAME, API_SERVICE_NAMESPACE, type ServiceRef } from '../../api/install/api-services';

export {
  API_SERVICE_NAME,
  API_SERVICE_NAMESPACE,
  APISERVICE_NAME,
  apiServiceObject,
  GROUP_PRIORITY_MINIMUM,
  subresourcesApiService,
  SUBRESOURCES_VERSION,
  VERSION_PRIORITY,
  type ApiServiceTarget,
  type ServiceRef,
} from '../../api/install/api-services';

const LABELS = { 'app.kubernetes.io/part-of': 'virtkit', 'app.kubernetes.io/component': 'virtkit-api' };

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
