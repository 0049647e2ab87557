/**
 * Command lines of the control-plane components (pure), close to what envtest runs: loopback
 * only, client-certificate authentication, RBAC, no leader election (one replica of each).
 */
import * as path from 'path';
import { API_SERVER_VIP } from './kubelet/slots';
import { componentKubeconfig, type Layout } from './layout';
import { FRONT_PROXY_CLIENT_NAME, type PkiFiles } from './pki';

/** The Service network; the API server's Service takes its first address. */
export const SERVICE_CIDR = '10.0.0.0/24';
export const KUBERNETES_SERVICE_IP = '10.0.0.1';

export interface Ports {
  readonly etcd: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly scheduler: number;
  readonly controllerManager: number;
}

const loopback = (port: number, scheme = 'http'): string => `${scheme}://127.0.0.1:${port}`;

/** etcd over TLS on loopback; clients and peers must present a certificate of the local CA. */
export function etcdArgs(l: Layout, ports: Ports, pki: PkiFiles): string[] {
  return [
    '--name=virtkit',
    `--data-dir=${l.etcdDataDir}`,
    `--listen-client-urls=${loopback(ports.etcd, 'https')}`,
    `--advertise-client-urls=${loopback(ports.etcd, 'https')}`,
    `--listen-peer-urls=${loopback(ports.etcdPeer, 'https')}`,
    `--initial-advertise-peer-urls=${loopback(ports.etcdPeer, 'https')}`,
    `--initial-cluster=virtkit=${loopback(ports.etcdPeer, 'https')}`,
    '--initial-cluster-state=new',
    `--cert-file=${pki.etcdCert}`,
    `--key-file=${pki.etcdKey}`,
    `--trusted-ca-file=${pki.caCert}`,
    '--client-cert-auth=true',
    `--peer-cert-file=${pki.etcdCert}`,
    `--peer-key-file=${pki.etcdKey}`,
    `--peer-trusted-ca-file=${pki.caCert}`,
    '--peer-client-cert-auth=true',
  ];
}

/**
 * kube-apiserver's authentication configuration: anonymous requests are refused except on the
 * health endpoints (what `--anonymous-auth=false` would do, minus breaking health probes).
 */
export function authenticationConfig(): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: AuthenticationConfiguration',
    'anonymous:',
    '  enabled: true',
    '  conditions:',
    '  - path: /livez',
    '  - path: /readyz',
    '  - path: /healthz',
    '',
  ].join('\n');
}

export const authenticationConfigFile = (l: Layout): string => path.join(l.configDir, 'authentication.yaml');

/**
 * With `kubeletNodes` (`virtkit up --runtime kubelet`) the `kubernetes` Service's endpoint is the
 * nodes' API server address (pods reach it there; local mode's host processes use 127.0.0.1),
 * and `--enable-aggregator-routing` sends the API server's webhook calls and aggregated API
 * requests to the api's pod addresses (the host routes each node's pod range; it has no
 * kube-proxy for Service addresses), as kubeadm clusters without kube-proxy on the control plane do.
 */
export function apiserverArgs(
  l: Layout,
  ports: Ports,
  pki: PkiFiles,
  o: { kubeletNodes?: boolean } = {},
): string[] {
  const advertiseAddress = o.kubeletNodes ? API_SERVER_VIP : '127.0.0.1';
  return [
    `--etcd-servers=${loopback(ports.etcd, 'https')}`,
    `--etcd-cafile=${pki.caCert}`,
    `--etcd-certfile=${pki.clients['etcd-client'].cert}`,
    `--etcd-keyfile=${pki.clients['etcd-client'].key}`,
    `--authentication-config=${authenticationConfigFile(l)}`,
    '--bind-address=127.0.0.1',
    `--advertise-address=${advertiseAddress}`,
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${path.join(l.certsDir, 'kube-apiserver')}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // Node: kubelet nodes (cli/local/kubelet/) act as system:node:<name> with what the Node
    // authorizer and NodeRestriction give a kubelet; everyone else is RBAC's.
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-client-certificate=${pki.clients['kube-apiserver-kubelet-client'].cert}`,
    `--kubelet-client-key=${pki.clients['kube-apiserver-kubelet-client'].key}`,
    '--allow-privileged=true',
    '--profiling=false',
    ...aggregationArgs(pki),
    ...(o.kubeletNodes ? ['--enable-aggregator-routing=true'] : []),
  ];
}

/**
 * The aggregation layer (what kubeadm configures): kube-apiserver proxies requests for an
 * APIService's group (subresources.kubevirt.io, served by `virtkit api`) with the front-proxy
 * client certificate and the authenticated user in X-Remote-* headers, and publishes how to
 * check both in the ConfigMap kube-system/extension-apiserver-authentication.
 */
export function aggregationArgs(pki: PkiFiles): string[] {
  return [
    `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_NAME}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
    `--proxy-client-key-file=${pki.frontProxyClientKey}`,
  ];
}

function commonControllerArgs(l: Layout, component: string, port: number): string[] {
  const kubeconfig = componentKubeconfig(l, component);
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${path.join(l.certsDir, component)}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function schedulerArgs(l: Layout, ports: Ports): string[] {
  return commonControllerArgs(l, 'kube-scheduler', ports.scheduler);
}

export function controllerManagerArgs(l: Layout, ports: Ports, pki: PkiFiles): string[] {
  return [
    ...commonControllerArgs(l, 'kube-controller-manager', ports.controllerManager),
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    '--use-service-account-credentials=true',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--cluster-name=virtkit',
  ];
}
