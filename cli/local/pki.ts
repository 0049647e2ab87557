/**
 * The local control plane's certificates and keys, made with openssl: one CA, the API server's
 * serving certificate, a client certificate per identity (admin, scheduler, controller manager)
 * and the service-account signing key pair; and, for the aggregation layer, a second CA (the
 * front proxy's) with the one client certificate kube-apiserver presents when it proxies a
 * request to an aggregated API server (`virtkit api`); and the node handler's API certificates
 * (the handler's serving certificate, `virtkit api`'s client certificate for it). P-256 keys:
 * quick to generate, accepted everywhere. Every `virtkit up` makes them afresh (createPki empties the folder first), so a
 * state folder from an older virtkit gets every file this version needs.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { NODE_API_CLIENT_NAME, NODE_API_SERVER_NAME } from '../../common/node-api';
import { openssl } from './openssl';

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '3650';

/** A client identity: the common name is the user, organizations are its groups. */
export interface ClientIdentity {
  readonly file: string;
  readonly commonName: string;
  readonly organizations: readonly string[];
}

export interface PkiFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** etcd's serving and peer certificate, valid for 127.0.0.1. */
  readonly etcdCert: string;
  readonly etcdKey: string;
  /**
   * `virtkit api`'s serving certificate (the admission webhook and the aggregated API), valid
   * for 127.0.0.1, localhost and its Service name `virtkit-api.virtkit.svc`.
   */
  readonly apiServingCert: string;
  readonly apiServingKey: string;
  /**
   * The front proxy's own CA (never the main one: a client certificate of the main CA must not
   * be able to assert a user in X-Remote-User) and kube-apiserver's client certificate under it
   * (CN `front-proxy-client`).
   */
  readonly frontProxyCaCert: string;
  readonly frontProxyCaKey: string;
  readonly frontProxyClientCert: string;
  readonly frontProxyClientKey: string;
  /**
   * The node handler's API (common/node-api.ts): the handler's serving certificate (valid for
   * 127.0.0.1, localhost and the name every handler carries, `virtkit-handler`) and the client
   * certificate `virtkit api` presents to it (CN `virtkit-api-node-client`, the one name the
   * handler accepts), both of the local CA.
   */
  readonly nodeApiServingCert: string;
  readonly nodeApiServingKey: string;
  readonly nodeApiClientCert: string;
  readonly nodeApiClientKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  /** file stem -> { cert, key } */
  readonly clients: Readonly<Record<string, { cert: string; key: string }>>;
}

/** kube-apiserver's user towards kubelets (kubeadm's name). */
export const KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

/** Identities local mode issues client certificates for. */
export const CLIENT_IDENTITIES: readonly ClientIdentity[] = [
  { file: 'admin', commonName: 'virtkit-admin', organizations: ['system:masters'] },
  { file: 'kube-scheduler', commonName: 'system:kube-scheduler', organizations: [] },
  { file: 'kube-controller-manager', commonName: 'system:kube-controller-manager', organizations: [] },
  // virtkit's own components: each its own user, bound to a ClusterRole with only what it uses.
  { file: 'virtkit-controller', commonName: 'virtkit-controller', organizations: [] },
  { file: 'virtkit-handler', commonName: 'virtkit-handler', organizations: [] },
  { file: 'virtkit-api-user', commonName: 'virtkit-api', organizations: [] },
  // The whereabouts IPAM plugin the handler runs: a Role in kube-system with only its objects.
  { file: 'virtkit-whereabouts', commonName: 'virtkit-whereabouts', organizations: [] },
  // kube-apiserver's identity towards etcd (etcd requires a client certificate).
  { file: 'etcd-client', commonName: 'kube-apiserver-etcd-client', organizations: [] },
  // kube-apiserver's identity towards kubelets (logs, exec, port-forward), bound to the built-in
  // ClusterRole system:kubelet-api-admin (cli/local/rbac.ts).
  { file: 'kube-apiserver-kubelet-client', commonName: KUBELET_CLIENT_USER, organizations: [] },
];

/** Names and addresses the API server certificate is valid for (pure). */
export function serverAltNames(serviceIp: string): string {
  const dns = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
  ];
  const ips = ['127.0.0.1', serviceIp];
  return [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
}

/** The common name kube-apiserver's front-proxy client certificate carries (its allowed name). */
export const FRONT_PROXY_CLIENT_NAME = 'front-proxy-client';

/** Names and addresses `virtkit api`'s serving certificate is valid for (pure). */
export function apiServingAltNames(): string {
  // The aggregator checks the certificate against <service>.<namespace>.svc (local mode's
  // ExternalName Service virtkit/virtkit-api); the webhook URL is https://127.0.0.1:<port>.
  const dns = ['localhost', 'virtkit-api', 'virtkit-api.virtkit', 'virtkit-api.virtkit.svc'];
  return [...dns.map((d) => `DNS:${d}`), 'IP:127.0.0.1'].join(',');
}

/** Names and addresses a handler's node API serving certificate is valid for (pure). */
export function nodeApiServingAltNames(): string {
  return [`DNS:${NODE_API_SERVER_NAME}`, 'DNS:localhost', 'IP:127.0.0.1'].join(',');
}

/** Where the node API's certificates, their keys and the CA that signed them live in `dir`. */
export function nodeApiPaths(dir: string): {
  servingCert: string;
  servingKey: string;
  clientCert: string;
  clientKey: string;
  ca: string;
} {
  return {
    servingCert: path.join(dir, 'virtkit-handler-node-api.crt'),
    servingKey: path.join(dir, 'virtkit-handler-node-api.key'),
    clientCert: path.join(dir, 'virtkit-api-node-client.crt'),
    clientKey: path.join(dir, 'virtkit-api-node-client.key'),
    ca: path.join(dir, 'ca.crt'),
  };
}

/** The openssl `-subj` value for an identity (pure). Slashes in names are not allowed. */
export function subject(commonName: string, organizations: readonly string[]): string {
  return [...organizations.map((o) => `/O=${o}`), `/CN=${commonName}`].join('');
}

function serial(): string {
  return `0x${randomBytes(8).toString('hex')}`;
}

async function issue(dir: string, stem: string, subj: string, extensions: string, ca = 'ca'): Promise<void> {
  const ext = path.join(dir, `${stem}.ext`);
  fs.writeFileSync(ext, extensions);
  await openssl(
    ['req', '-new', ...EC_KEY, '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', subj],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${stem}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      serial(),
      '-days',
      DAYS,
      '-out',
      `${stem}.crt`,
      '-extfile',
      ext,
    ],
    dir,
  );
  fs.rmSync(ext);
  fs.rmSync(path.join(dir, `${stem}.csr`));
}

/** Where `virtkit api`'s serving certificate, its key and the CA that signed them live in `dir`. */
export function apiServingPaths(dir: string): { cert: string; key: string; ca: string } {
  return {
    cert: path.join(dir, 'virtkit-api.crt'),
    key: path.join(dir, 'virtkit-api.key'),
    ca: path.join(dir, 'ca.crt'),
  };
}

async function selfSignedCa(dir: string, stem: string, commonName: string): Promise<void> {
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      `${stem}.key`,
      '-out',
      `${stem}.crt`,
      '-days',
      DAYS,
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ],
    dir,
  );
}

const CLIENT_EXTENSIONS =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/** Create every certificate and key in `dir` (which is emptied first). */
export async function createPki(dir: string, serviceIp: string): Promise<PkiFiles> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await selfSignedCa(dir, 'ca', 'virtkit-local-ca');
  await selfSignedCa(dir, 'front-proxy-ca', 'virtkit-front-proxy-ca');
  await issue(
    dir,
    'kube-apiserver',
    '/CN=kube-apiserver',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${serverAltNames(serviceIp)}\n`,
  );
  await issue(
    dir,
    'etcd',
    '/CN=etcd',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  await issue(
    dir,
    'virtkit-api',
    '/CN=virtkit-api',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${apiServingAltNames()}\n`,
  );
  await issue(
    dir,
    'front-proxy-client',
    `/CN=${FRONT_PROXY_CLIENT_NAME}`,
    CLIENT_EXTENSIONS,
    'front-proxy-ca',
  );
  await issue(
    dir,
    'virtkit-handler-node-api',
    `/CN=${NODE_API_SERVER_NAME}`,
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${nodeApiServingAltNames()}\n`,
  );
  await issue(dir, 'virtkit-api-node-client', `/CN=${NODE_API_CLIENT_NAME}`, CLIENT_EXTENSIONS);
  const clients: Record<string, { cert: string; key: string }> = {};
  for (const id of CLIENT_IDENTITIES) {
    await issue(dir, id.file, subject(id.commonName, id.organizations), CLIENT_EXTENSIONS);
    clients[id.file] = { cert: path.join(dir, `${id.file}.crt`), key: path.join(dir, `${id.file}.key`) };
  }
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'sa.key'],
    dir,
  );
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.key')) fs.chmodSync(path.join(dir, f), 0o600);
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    serverCert: path.join(dir, 'kube-apiserver.crt'),
    serverKey: path.join(dir, 'kube-apiserver.key'),
    etcdCert: path.join(dir, 'etcd.crt'),
    etcdKey: path.join(dir, 'etcd.key'),
    apiServingCert: apiServingPaths(dir).cert,
    apiServingKey: apiServingPaths(dir).key,
    frontProxyCaCert: path.join(dir, 'front-proxy-ca.crt'),
    frontProxyCaKey: path.join(dir, 'front-proxy-ca.key'),
    frontProxyClientCert: path.join(dir, 'front-proxy-client.crt'),
    frontProxyClientKey: path.join(dir, 'front-proxy-client.key'),
    nodeApiServingCert: nodeApiPaths(dir).servingCert,
    nodeApiServingKey: nodeApiPaths(dir).servingKey,
    nodeApiClientCert: nodeApiPaths(dir).clientCert,
    nodeApiClientKey: nodeApiPaths(dir).clientKey,
    serviceAccountKey: path.join(dir, 'sa.key'),
    serviceAccountPub: path.join(dir, 'sa.pub'),
    clients,
  };
}

/**
 * A kubelet node's client certificate (`system:node:<name>` in `system:nodes`, what the Node
 * authorizer and NodeRestriction recognise), signed by the cluster CA in `dir`; the key is 0600.
 */
export async function issueNodeClientCertificate(
  dir: string,
  nodeName: string,
): Promise<{ cert: string; key: string }> {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName))
    throw new Error(
      `node name ${JSON.stringify(nodeName)} is not a DNS subdomain; use lower-case letters, digits, '-' and '.'`,
    );
  const stem = `kubelet-${nodeName}`;
  await issue(dir, stem, subject(`system:node:${nodeName}`, ['system:nodes']), CLIENT_EXTENSIONS);
  fs.chmodSync(path.join(dir, `${stem}.key`), 0o600);
  return { cert: path.join(dir, `${stem}.crt`), key: path.join(dir, `${stem}.key`) };
}

/** The user kube-proxy authenticates as; the API server's bootstrap policy binds it to `system:node-proxier`. */
export const KUBE_PROXY_USER = 'system:kube-proxy';

/** kube-proxy's client certificate (every kubelet node's kube-proxy uses it), signed by the cluster CA in `dir`; the key is 0600. */
export async function issueKubeProxyClientCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const stem = 'kube-proxy';
  await issue(dir, stem, subject(KUBE_PROXY_USER, []), CLIENT_EXTENSIONS);
  fs.chmodSync(path.join(dir, `${stem}.key`), 0o600);
  return { cert: path.join(dir, `${stem}.crt`), key: path.join(dir, `${stem}.key`) };
}
