/**
 * The workloads of cluster mode's install (pure): the controller and api Deployments, the
 * handler DaemonSet, their ServiceAccounts, the api's Service, the controller's metrics
 * Service and the PodDisruptionBudgets. Names, ports and paths come from ./names.ts.
 *
 * The controller and the api run as a non-root user with a read-only root filesystem, no
 * capabilities, no privilege escalation and the runtime's default seccomp profile (the
 * "restricted" Pod Security Standard). The handler is privileged, as KubeVirt's virt-handler
 * is: it works in launcher pods' network namespaces and on the node's devices.
 */
import {
  API,
  API_CERTS_DIR,
  API_CERTS_SECRET,
  API_NODE_CLIENT_SECRET,
  DEFAULT_NODE_API_PORT,
  HANDLER_NODE_API_SECRET,
  NODE_API_CLIENT_NAME,
  API_PORT,
  API_SERVICE_PORT,
  CONTROLLER,
  CONTROLLER_METRICS_PORT,
  CONTROLLER_METRICS_SERVICE,
  HANDLER,
  DEVICE_PLUGINS_DIR,
  HANDLER_STATE_DIR,
  KUBELET_PODS_DIR,
  LAUNCHER_SOCKET_DIR,
  NON_ROOT_ID,
  installLabels,
  selectorLabels,
} from './names';
import { CertificateMode, type ResolvedInstallOptions } from './options';

type Json = Record<string, unknown>;

/** The restricted Pod Security Standard, pod side. */
export const RESTRICTED_POD_SECURITY: Json = {
  runAsNonRoot: true,
  runAsUser: NON_ROOT_ID,
  runAsGroup: NON_ROOT_ID,
  fsGroup: NON_ROOT_ID,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** The restricted Pod Security Standard, container side. */
export const RESTRICTED_CONTAINER_SECURITY: Json = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Node.js and its libraries may write temporary files; the root filesystem is read-only. */
const TMP_VOLUME = { name: 'tmp', emptyDir: {} };
const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };

/** The ServiceAccount of a component (its name is the component's). */
export function serviceAccount(namespace: string, name: string): Json {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

/** Two replicas of a Deployment on two nodes where the cluster has them. */
function spreadOverNodes(selector: Json): Json {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: selector },
          },
        },
      ],
    },
  };
}

/** An HTTP(S) probe on a named port; `startup` gives Node.js a minute to load and connect. */
function probe(
  path: string,
  port: string,
  scheme: 'HTTP' | 'HTTPS',
  kind: 'startup' | 'liveness' | 'readiness',
): Json {
  const timing =
    kind === 'startup'
      ? { periodSeconds: 2, failureThreshold: 30 }
      : kind === 'liveness'
        ? { periodSeconds: 10, failureThreshold: 3 }
        : { periodSeconds: 5, failureThreshold: 2 };
  return { httpGet: { path, port, scheme }, timeoutSeconds: 5, ...timing };
}

function deployment(
  o: ResolvedInstallOptions,
  part: 'controller' | 'api',
  name: string,
  replicas: number,
  container: Json,
  volumes: Json[],
): Json {
  const selector = selectorLabels(part);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: o.namespace },
    spec: {
      replicas,
      selector: { matchLabels: selector },
      // Never fewer ready pods than asked for while a new version rolls out.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: installLabels(part, o.version) },
        spec: {
          serviceAccountName: name,
          securityContext: RESTRICTED_POD_SECURITY,
          affinity: spreadOverNodes(selector),
          containers: [
            {
              image: o.virtkitImage,
              imagePullPolicy: o.imagePullPolicy,
              securityContext: RESTRICTED_CONTAINER_SECURITY,
              ...container,
            },
          ],
          volumes: [TMP_VOLUME, ...volumes],
        },
      },
    },
  };
}

/**
 * `virtkit controller` with leader election on the Lease `<namespace>/virtkit-controller` (one
 * replica reconciles, the others wait to take over), its metrics and probes on
 * CONTROLLER_METRICS_PORT, and the launcher image for the pods it creates.
 */
export function controllerDeployment(o: ResolvedInstallOptions): Json {
  return deployment(
    o,
    'controller',
    CONTROLLER,
    o.controllerReplicas,
    {
      name: 'controller',
      command: ['virtkit'],
      args: [
        'controller',
        '--leader-elect',
        '--leader-elect-namespace',
        o.namespace,
        '--metrics-port',
        String(CONTROLLER_METRICS_PORT),
        '--launcher-image',
        o.launcherImage,
      ],
      ports: [{ name: 'metrics', containerPort: CONTROLLER_METRICS_PORT, protocol: 'TCP' }],
      startupProbe: probe('/healthz', 'metrics', 'HTTP', 'startup'),
      livenessProbe: probe('/healthz', 'metrics', 'HTTP', 'liveness'),
      // Ready once its caches are in sync, leader or not: a standby is ready to take over.
      readinessProbe: probe('/readyz', 'metrics', 'HTTP', 'readiness'),
      resources: { requests: { cpu: '100m', memory: '256Mi' } },
      volumeMounts: [TMP_MOUNT],
    },
    [],
  );
}

/**
 * `virtkit api` serving admission and the aggregated APIs on API_PORT. In self-signed mode it
 * makes, renews and reads its certificate through the API (`--rotate-certificates`: the Secrets
 * are in its own namespace, POD_NAMESPACE); in cert-manager mode it serves the mounted
 * API_CERTS_SECRET, and the pods wait until cert-manager has issued it.
 */
export function apiDeployment(o: ResolvedInstallOptions): Json {
  const selfSigned = o.certificates === CertificateMode.SELF_SIGNED;
  return deployment(
    o,
    'api',
    API,
    o.apiReplicas,
    {
      name: 'api',
      command: ['virtkit'],
      args: [
        'api',
        ...(selfSigned
          ? ['--rotate-certificates', '--service-name', API]
          : [
              '--tls-cert-file',
              `${API_CERTS_DIR}/tls.crt`,
              '--tls-private-key-file',
              `${API_CERTS_DIR}/tls.key`,
            ]),
        '--port',
        String(API_PORT),
        '--bind-address',
        '0.0.0.0',
        // The node handlers' API: its client certificate, read through the API (made by the api
        // itself in self-signed mode, by cert-manager otherwise).
        '--node-client-secret',
        API_NODE_CLIENT_SECRET,
      ],
      // The certificate Secrets' namespace (self-signed mode).
      env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
      ports: [{ name: 'https', containerPort: API_PORT, protocol: 'TCP' }],
      startupProbe: probe('/healthz', 'https', 'HTTPS', 'startup'),
      livenessProbe: probe('/healthz', 'https', 'HTTPS', 'liveness'),
      readinessProbe: probe('/readyz', 'https', 'HTTPS', 'readiness'),
      resources: { requests: { cpu: '100m', memory: '256Mi' } },
      volumeMounts: selfSigned
        ? [TMP_MOUNT]
        : [TMP_MOUNT, { name: 'certs', mountPath: API_CERTS_DIR, readOnly: true }],
    },
    selfSigned ? [] : [{ name: 'certs', secret: { secretName: API_CERTS_SECRET, defaultMode: 0o440 } }],
  );
}

/** The Service the API server reaches the api through (webhooks and APIServices): 443 to the api's port. */
export function apiService(o: ResolvedInstallOptions): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: API, namespace: o.namespace },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels('api'),
      ports: [{ name: 'https', port: API_SERVICE_PORT, targetPort: 'https', protocol: 'TCP' }],
    },
  };
}

/** The controller's Prometheus endpoint (/metrics on every replica; the leader's is the one that counts). */
export function controllerMetricsService(o: ResolvedInstallOptions): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: CONTROLLER_METRICS_SERVICE, namespace: o.namespace },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels('controller'),
      ports: [{ name: 'metrics', port: CONTROLLER_METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }],
    },
  };
}

const hostPath = (name: string, path: string, type: string): Json => ({ name, hostPath: { path, type } });

/**
 * `virtkit handler` on every Linux node, named after its node (the downward API's
 * spec.nodeName), privileged and in the host's PID namespace (to reach launcher pods'
 * namespaces through /proc, as virt-handler does), not on the host's network. Host folders:
 * its state (HANDLER_STATE_DIR), the launcher sockets (LAUNCHER_SOCKET_DIR) and kubelet's pods
 * (KUBELET_PODS_DIR, read with mounts from the host propagated in) and kubelet's device-plugins
 * folder (DEVICE_PLUGINS_DIR: the kvm, tun and vhost-net plugins serve there). It runs with
 * `--runtime kubelet`: kubelet registers the Node and runs the pods.
 */
export function handlerDaemonSet(o: ResolvedInstallOptions): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: HANDLER, namespace: o.namespace },
    spec: {
      selector: { matchLabels: selectorLabels('handler') },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: installLabels('handler', o.version) },
        spec: {
          serviceAccountName: HANDLER,
          hostPID: true,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
          containers: [
            {
              name: 'handler',
              image: o.virtkitImage,
              imagePullPolicy: o.imagePullPolicy,
              command: ['virtkit'],
              args: [
                'handler',
                '--runtime',
                'kubelet',
                '--node-name',
                '$(NODE_NAME)',
                '--state-dir',
                HANDLER_STATE_DIR,
                '--device-plugin-dir',
                DEVICE_PLUGINS_DIR,
                // The node API virtkit api calls (console, VNC, pause...), on the pod's address,
                // with the certificate of HANDLER_NODE_API_SECRET (read through the API).
                '--node-api-secret',
                HANDLER_NODE_API_SECRET,
                '--node-api-address',
                '$(POD_IP)',
                '--node-api-port',
                String(DEFAULT_NODE_API_PORT),
                '--node-api-allowed-client',
                NODE_API_CLIENT_NAME,
                // Migration targets listen on the pod's address (virt-handler's is its pod IP too).
                '--migration-address',
                '$(POD_IP)',
                // containerDisks are pulled by the handler (containerd pulls only the pods' images).
                ...o.registryMirrors.flatMap((m) => ['--registry-mirror', m]),
              ],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              ports: [{ name: 'node-api', containerPort: DEFAULT_NODE_API_PORT, protocol: 'TCP' }],
              securityContext: { privileged: true, runAsUser: 0, readOnlyRootFilesystem: true },
              resources: { requests: { cpu: '100m', memory: '256Mi' } },
              volumeMounts: [
                TMP_MOUNT,
                { name: 'state', mountPath: HANDLER_STATE_DIR },
                { name: 'launcher-sockets', mountPath: LAUNCHER_SOCKET_DIR },
                { name: 'kubelet-pods', mountPath: KUBELET_PODS_DIR, mountPropagation: 'HostToContainer' },
                { name: 'device-plugins', mountPath: DEVICE_PLUGINS_DIR },
              ],
            },
          ],
          volumes: [
            TMP_VOLUME,
            hostPath('state', HANDLER_STATE_DIR, 'DirectoryOrCreate'),
            hostPath('launcher-sockets', LAUNCHER_SOCKET_DIR, 'DirectoryOrCreate'),
            hostPath('kubelet-pods', KUBELET_PODS_DIR, 'Directory'),
            hostPath('device-plugins', DEVICE_PLUGINS_DIR, 'Directory'),
          ],
        },
      },
    },
  };
}

/**
 * At least one pod of the controller or the api through voluntary disruptions (a node drain),
 * when its Deployment has two or more replicas: with one, the budget would block every drain
 * of its node, so there is none.
 */
export function disruptionBudget(o: ResolvedInstallOptions, part: 'controller' | 'api'): Json[] {
  const replicas = part === 'controller' ? o.controllerReplicas : o.apiReplicas;
  if (replicas < 2) return [];
  return [
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: part === 'controller' ? CONTROLLER : API, namespace: o.namespace },
      spec: { minAvailable: 1, selector: { matchLabels: selectorLabels(part) } },
    },
  ];
}
