/**
 * The names, ports, paths and labels of cluster mode's install (pure): one place, so the
 * renderer's objects agree with each other (a Service's selector with its pods, a binding with
 * its ServiceAccount) and tests and docs can name them.
 */
import type { ComponentName } from './rbac';
import { API_SERVICE_NAME } from './api-services';

/** The three components that run in the cluster; their Deployments, DaemonSet and ServiceAccounts take these names. */
export const CONTROLLER: ComponentName = 'virtkit-controller';
export const API: ComponentName = API_SERVICE_NAME;
export const HANDLER: ComponentName = 'virtkit-handler';

/** The KubeVirt object holding the cluster's configuration (feature gates), in the install's namespace. */
export const KUBEVIRT_CONFIG_NAME = 'virtkit';

/**
 * The Secret with `virtkit api`'s serving certificate (`tls.crt`, `tls.key`, `ca.crt`): written
 * by the api itself in self-signed mode, by cert-manager in cert-manager mode.
 */
export const API_CERTS_SECRET = 'virtkit-api-certs';
/**
 * The Secret with the CA that signs it in self-signed mode (`tls.crt`, `tls.key`, `ca-bundle.crt`):
 * read and written only by the api, never mounted.
 */
export const API_CA_SECRET = 'virtkit-api-ca';
/**
 * The node API's certificates (apiserver/certificates/node-pki.ts): their own CA (self-signed
 * mode: read and written only by the api), the serving certificate every handler serves with
 * (`virtkit-handler`; the handlers read it through the API), and the api's client certificate.
 * Each but the CA is kubernetes.io/tls with `ca.crt`; cert-manager mode makes the last two.
 */
export const NODE_CA_SECRET = 'virtkit-node-ca';
/** KubeVirt's virt-handler port, the handler's node API port outside local mode. */
export const DEFAULT_NODE_API_PORT = 8186;
/**
 * The TLS server name every handler's serving certificate carries (besides the address it is
 * reached at): the api checks a handler's certificate for this name, so no other certificate of
 * the same CA (the API server's, etcd's, both valid for 127.0.0.1) passes for a handler.
 */
export const NODE_API_SERVER_NAME = 'virtkit-handler';
/** The common name of the api component's client certificate, the one caller the handler accepts by default. */
export const NODE_API_CLIENT_NAME = 'virtkit-api-node-client';
export const HANDLER_NODE_API_SECRET = 'virtkit-handler-certs';
export const API_NODE_CLIENT_SECRET = 'virtkit-api-node-client';
/** Where the api's pods see that Secret. */
export const API_CERTS_DIR = '/etc/virtkit/api-certs';
/** The api's HTTPS port in its pods (admission, the aggregated APIs); its Service serves 443. */
export const API_PORT = 8443;
export const API_SERVICE_PORT = 443;

/** The controller's Prometheus metrics, /healthz and /readyz (plain HTTP, controller/metrics.ts). */
export const CONTROLLER_METRICS_PORT = 8080;
export const CONTROLLER_METRICS_SERVICE = 'virtkit-controller-metrics';

/**
 * Host folders the handler uses on every node: its state (the same default as `virtkit handler
 * --state-dir`), the launcher sockets it shares with launcher pods (virt-handler's
 * /var/run/kubevirt), and kubelet's pod folders (the volumes of launcher pods).
 */
export const HANDLER_STATE_DIR = '/var/lib/virtkit';
export const LAUNCHER_SOCKET_DIR = '/var/run/virtkit';
export const KUBELET_PODS_DIR = '/var/lib/kubelet/pods';
/** kubelet's device-plugins folder (fixed in kubelet, whatever its --root-dir): the handler's device plugins serve there. */
export const DEVICE_PLUGINS_DIR = '/var/lib/kubelet/device-plugins';

/** The user and group the controller and the api run as (no name in /etc/passwd needed). */
export const NON_ROOT_ID = 65532;

/** What each rendered object belongs to: `app.kubernetes.io/component`. */
export type InstallPart = 'controller' | 'api' | 'handler' | 'crds' | 'rbac' | 'config' | 'certificates';

const WORKLOADS: Partial<Record<InstallPart, ComponentName>> = {
  controller: CONTROLLER,
  api: API,
  handler: HANDLER,
};

/** `app.kubernetes.io/name`: the workload's own name, or virtkit for what all of them share. */
export function appName(part: InstallPart): string {
  return WORKLOADS[part] ?? 'virtkit';
}

/** The recommended labels of an object of `part`. */
export function installLabels(part: InstallPart, version: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': appName(part),
    'app.kubernetes.io/component': part,
    'app.kubernetes.io/part-of': 'virtkit',
    'app.kubernetes.io/version': version,
  };
}

/** The labels a workload's selector matches: never the version, so an upgrade keeps its pods' selector. */
export function selectorLabels(part: 'controller' | 'api' | 'handler'): Record<string, string> {
  return { 'app.kubernetes.io/name': appName(part), 'app.kubernetes.io/part-of': 'virtkit' };
}
