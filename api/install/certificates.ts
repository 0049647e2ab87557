/**
 * `virtkit api`'s serving certificate in cluster mode (pure), in one of two modes:
 *
 * - self-signed (the default): the manifests hold no Secret data and no `caBundle` at all, so
 *   whoever applies them (ArgoCD, Pulumi, kubectl) never owns those fields and never reverts
 *   them. The api (`--rotate-certificates`, apiserver/certificates/) makes its own CA and serving
 *   certificate, keeps them in the Secrets API_CA_SECRET and API_CERTS_SECRET, renews them, and
 *   writes the CA into the webhook configuration and the APIServices; it also makes and renews
 *   the node API's CA, the handlers' serving certificate and its own client certificate
 *   (NODE_CA_SECRET, HANDLER_NODE_API_SECRET, API_NODE_CLIENT_SECRET). This module grants it
 *   exactly that: the Secrets by name (create cannot be limited by name, Kubernetes does not know
 *   the name when it authorizes a create) and get and patch on those three objects by name. The
 *   api reads its certificate through the API, so no Secret is mounted.
 * - cert-manager: a self-signed Issuer makes a CA Certificate, a CA Issuer signs the serving
 *   Certificate for the api Service's DNS names into API_CERTS_SECRET, and cert-manager's CA
 *   injector writes the CA into the objects annotated `cert-manager.io/inject-ca-from`; a second
 *   CA of its own signs the node API's two Certificates (HANDLER_NODE_API_SECRET,
 *   API_NODE_CLIENT_SECRET), which the api (by a Role, by name) and the handlers read through the API.
 *
 * In cert-manager mode the api's pods mount API_CERTS_SECRET at API_CERTS_DIR (tls.crt, tls.key,
 * ca.crt) and read the files again when kubelet updates them.
 */
import type { PolicyRule } from './rbac';
import { APISERVICE_NAME, UPLOAD_APISERVICE_NAME } from './api-services';
import {
  API,
  API_CA_SECRET,
  API_CERTS_SECRET,
  API_NODE_CLIENT_SECRET,
  HANDLER_NODE_API_SECRET,
  NODE_API_CLIENT_NAME,
  NODE_API_SERVER_NAME,
  NODE_CA_SECRET,
} from './names';
import { CertificateMode } from './options';
import { WEBHOOK_CONFIGURATION_NAME } from './webhook-configuration';

type Json = Record<string, unknown>;

export const CERT_MANAGER_API_VERSION = 'cert-manager.io/v1';
/** cert-manager's CA injector reads this annotation on webhook configurations and APIServices. */
export const INJECT_CA_FROM = 'cert-manager.io/inject-ca-from';

/** The cert-manager objects' names (cert-manager mode). */
export const SELF_SIGNED_ISSUER = 'virtkit-selfsigned';
export const CA_CERTIFICATE = 'virtkit-ca';
export const CA_SECRET = 'virtkit-ca';
export const CA_ISSUER = 'virtkit-ca';
export const API_CERTIFICATE = 'virtkit-api';
/** The node API's CA (its own: never the api's serving CA) and its two Certificates. */
export const NODE_CA_CERTIFICATE = 'virtkit-node-ca';
export const NODE_CA_ISSUER = 'virtkit-node-ca';
export const HANDLER_CERTIFICATE = 'virtkit-handler';
export const API_NODE_CLIENT_CERTIFICATE = 'virtkit-api-node-client';

/** The DNS names the API server and the webhooks reach the api Service by. */
export function apiServiceDnsNames(namespace: string): string[] {
  return [`${API}.${namespace}.svc`, `${API}.${namespace}.svc.cluster.local`];
}

/** The annotations of the webhook configuration and the APIServices: cert-manager's injection, or none. */
export function caInjectionAnnotations(
  mode: CertificateMode,
  namespace: string,
): Record<string, string> | undefined {
  return mode === CertificateMode.CERT_MANAGER
    ? { [INJECT_CA_FROM]: `${namespace}/${API_CERTIFICATE}` }
    : undefined;
}

const issuerRef = (name: string): Json => ({ name, kind: 'Issuer', group: 'cert-manager.io' });

/**
 * A CA of cert-manager mode: its Certificate, signed by the self-signed Issuer, and the CA Issuer
 * that signs with it. Five years: the certificates it signs rotate often, the CA they chain to
 * rarely.
 */
function caObjects(
  meta: (name: string) => Json,
  ca: { certificate: string; issuer: string; commonName: string; secretName: string },
): Json[] {
  return [
    {
      apiVersion: CERT_MANAGER_API_VERSION,
      kind: 'Certificate',
      metadata: meta(ca.certificate),
      spec: {
        isCA: true,
        commonName: ca.commonName,
        secretName: ca.secretName,
        duration: '43800h',
        renewBefore: '8760h',
        privateKey: { algorithm: 'ECDSA', size: 256 },
        issuerRef: issuerRef(SELF_SIGNED_ISSUER),
      },
    },
    {
      apiVersion: CERT_MANAGER_API_VERSION,
      kind: 'Issuer',
      metadata: meta(ca.issuer),
      spec: { ca: { secretName: ca.secretName } },
    },
  ];
}

/** A certificate a CA Issuer signs: 90 days, renewed 30 days before, a new key each time. */
function leafCertificate(
  meta: (name: string) => Json,
  name: string,
  secretName: string,
  /** dnsNames or commonName. */
  subject: Json,
  usage: 'server auth' | 'client auth',
  issuer: string,
): Json {
  return {
    apiVersion: CERT_MANAGER_API_VERSION,
    kind: 'Certificate',
    metadata: meta(name),
    spec: {
      secretName,
      ...subject,
      duration: '2160h',
      renewBefore: '720h',
      usages: [usage, 'digital signature'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: issuerRef(issuer),
    },
  };
}

/** cert-manager mode's Issuers and Certificates, in the order they depend on each other. */
export function certManagerObjects(namespace: string): Json[] {
  const meta = (name: string): Json => ({ name, namespace });
  return [
    {
      apiVersion: CERT_MANAGER_API_VERSION,
      kind: 'Issuer',
      metadata: meta(SELF_SIGNED_ISSUER),
      spec: { selfSigned: {} },
    },
    ...caObjects(meta, {
      certificate: CA_CERTIFICATE,
      issuer: CA_ISSUER,
      commonName: 'virtkit-ca',
      secretName: CA_SECRET,
    }),
    leafCertificate(
      meta,
      API_CERTIFICATE,
      API_CERTS_SECRET,
      { dnsNames: apiServiceDnsNames(namespace) },
      'server auth',
      CA_ISSUER,
    ),
    // The node API (`virtkit api` calling each node's handler over mutual TLS): its own CA, the
    // handlers' serving certificate for the name the api checks, the api's client certificate
    // for the name the handlers allow. Both components read their Secret through the API.
    ...caObjects(meta, {
      certificate: NODE_CA_CERTIFICATE,
      issuer: NODE_CA_ISSUER,
      commonName: 'virtkit-node-ca',
      secretName: NODE_CA_SECRET,
    }),
    leafCertificate(
      meta,
      HANDLER_CERTIFICATE,
      HANDLER_NODE_API_SECRET,
      { dnsNames: [NODE_API_SERVER_NAME] },
      'server auth',
      NODE_CA_ISSUER,
    ),
    leafCertificate(
      meta,
      API_NODE_CLIENT_CERTIFICATE,
      API_NODE_CLIENT_SECRET,
      { commonName: NODE_API_CLIENT_NAME },
      'client auth',
      NODE_CA_ISSUER,
    ),
  ];
}

/** Self-signed mode: the api's Secret, by name where Kubernetes allows it. */
export function selfSignedSecretRules(): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    {
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: [
        API_CERTS_SECRET,
        API_CA_SECRET,
        NODE_CA_SECRET,
        HANDLER_NODE_API_SECRET,
        API_NODE_CLIENT_SECRET,
      ],
      verbs: ['get', 'update'],
    },
  ];
}

/** Self-signed mode: the CA bundle of the api's webhook configuration and APIServices, by name. */
export function selfSignedCaBundleRules(): PolicyRule[] {
  return [
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      resourceNames: [WEBHOOK_CONFIGURATION_NAME],
      verbs: ['get', 'patch'],
    },
    {
      apiGroups: ['apiregistration.k8s.io'],
      resources: ['apiservices'],
      resourceNames: [APISERVICE_NAME, UPLOAD_APISERVICE_NAME],
      verbs: ['get', 'patch'],
    },
  ];
}

/** cert-manager mode: the api reads its node client certificate's Secret, by name. */
export function certManagerSecretRules(): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['secrets'], resourceNames: [API_NODE_CLIENT_SECRET], verbs: ['get'] },
  ];
}

/** The name of the api's Role and ClusterRole for its own certificates (self-signed mode). */
export const API_CERTIFICATES_ROLE = 'virtkit:api:certificates';

/** cert-manager mode's RBAC for the api's ServiceAccount: a Role to read its node client Secret. */
export function certManagerRbac(namespace: string): Json[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: API_CERTIFICATES_ROLE, namespace },
      rules: certManagerSecretRules(),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: API_CERTIFICATES_ROLE, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: API_CERTIFICATES_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: API, namespace }],
    },
  ];
}

/** Self-signed mode's RBAC for the api's ServiceAccount: a Role for the Secrets, a ClusterRole for the CA bundles. */
export function selfSignedRbac(namespace: string): Json[] {
  const subject = { kind: 'ServiceAccount', name: API, namespace };
  const roleRef = (kind: string): Json => ({
    apiGroup: 'rbac.authorization.k8s.io',
    kind,
    name: API_CERTIFICATES_ROLE,
  });
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: API_CERTIFICATES_ROLE, namespace },
      rules: selfSignedSecretRules(),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: API_CERTIFICATES_ROLE },
      rules: selfSignedCaBundleRules(),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: API_CERTIFICATES_ROLE, namespace },
      roleRef: roleRef('Role'),
      subjects: [subject],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: API_CERTIFICATES_ROLE },
      roleRef: roleRef('ClusterRole'),
      subjects: [subject],
    },
  ];
}
