/**
 * Request-header authentication, as every extension API server does it (k8s.io/apiserver's
 * x509 request-header authenticator): kube-apiserver authenticates and authorizes the user,
 * then proxies the request with its front-proxy client certificate and the user in
 * X-Remote-User / X-Remote-Group / X-Remote-Extra-* headers. Those headers are believed only
 * when the TLS client certificate of the same connection chains to the request-header CA and
 * its common name is an allowed name; anyone can send the headers, nobody else holds that
 * certificate. The configuration is the ConfigMap kube-system/extension-apiserver-authentication
 * that kube-apiserver publishes. Pure: no I/O, the clock is a parameter.
 */
import { X509Certificate } from 'crypto';
import type { RequestUser } from './types';

export const AUTHENTICATION_CONFIGMAP_NAMESPACE = 'kube-system';
export const AUTHENTICATION_CONFIGMAP_NAME = 'extension-apiserver-authentication';

export interface RequestHeaderConfig {
  /** The CAs a front-proxy client certificate must chain to. */
  readonly clientCas: readonly X509Certificate[];
  /** Common names allowed; empty means any certificate of those CAs (kube-apiserver's rule). */
  readonly allowedNames: readonly string[];
  readonly usernameHeaders: readonly string[];
  readonly uidHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

/** Header values by lower-case name, each occurrence kept (node's `req.headersDistinct`). */
export type HeaderValues = Readonly<Record<string, readonly string[] | undefined>>;

export type AuthenticationResult =
  { readonly ok: true; readonly user: RequestUser } | { readonly ok: false; readonly reason: string };

const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle; throws when there is none or one does not parse. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(CERT_RE) ?? [];
  if (!blocks.length) throw new Error('no PEM certificate in it');
  return blocks.map((b) => new X509Certificate(b));
}

function jsonList(data: Record<string, unknown>, key: string): string[] {
  const raw = data[key];
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw));
  } catch {
    throw new Error(`${key} is not a JSON list of strings: ${String(raw)}`);
  }
  if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== 'string'))
    throw new Error(`${key} is not a JSON list of strings: ${String(raw)}`);
  return (parsed as string[]).filter((x) => x !== '');
}

/**
 * The request-header configuration in the ConfigMap kube-system/extension-apiserver-authentication.
 * Throws, naming the key, when the API server publishes none (its aggregation layer is not
 * configured: no --requestheader-client-ca-file) or a value does not parse.
 */
export function requestHeaderConfigFromConfigMap(configMap: unknown): RequestHeaderConfig {
  const data = ((configMap as { data?: unknown } | undefined)?.data ?? {}) as Record<string, unknown>;
  const where = `${AUTHENTICATION_CONFIGMAP_NAMESPACE}/${AUTHENTICATION_CONFIGMAP_NAME}`;
  const pem = data['requestheader-client-ca-file'];
  if (typeof pem !== 'string' || !pem.trim())
    throw new Error(
      `the ConfigMap ${where} has no requestheader-client-ca-file: the API server's aggregation layer is not configured (kube-apiserver --requestheader-client-ca-file and --proxy-client-cert-file)`,
    );
  try {
    const config: RequestHeaderConfig = {
      clientCas: parsePemBundle(pem),
      allowedNames: jsonList(data, 'requestheader-allowed-names'),
      usernameHeaders: jsonList(data, 'requestheader-username-headers'),
      uidHeaders: jsonList(data, 'requestheader-uid-headers'),
      groupHeaders: jsonList(data, 'requestheader-group-headers'),
      extraHeaderPrefixes: jsonList(data, 'requestheader-extra-headers-prefix'),
    };
    if (!config.usernameHeaders.length) throw new Error('requestheader-username-headers is empty');
    return config;
  } catch (err) {
    throw new Error(`the ConfigMap ${where}: ${(err as Error).message}`);
  }
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';
const MAX_CHAIN = 5;

function validAt(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom) <= now && now <= new Date(c.validTo);
}

/** `issuer` signed `cert` (names match and the signature verifies). */
function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The subject's common name (the last CN, as Go's pkix.Name keeps it). */
export function commonName(cert: X509Certificate): string | undefined {
  const cns = cert.subject
    .split('\n')
    .filter((l) => l.startsWith('CN='))
    .map((l) => l.slice(3));
  return cns[cns.length - 1];
}

/**
 * Why `chain` (leaf first, then what the client sent along) does not lead to one of `roots`,
 * or undefined when it does: every link signed by the next, CAs above the leaf, all valid now,
 * the leaf usable for client authentication.
 */
export function chainProblem(
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  now: Date,
): string | undefined {
  const leaf = chain[0];
  if (!validAt(leaf, now))
    return `the client certificate is not valid now (${leaf.validFrom} to ${leaf.validTo})`;
  const usages = leaf.keyUsage;
  if (Array.isArray(usages) && usages.length && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_USAGE))
    return 'the client certificate is not for client authentication';
  const intermediates = chain.slice(1).filter((c) => c.ca && validAt(c, now));
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (roots.some((r) => r.ca && validAt(r, now) && issued(r, current))) return undefined;
    const next = intermediates.find((c) => c !== current && issued(c, current));
    if (!next) break;
    current = next;
  }
  return 'the client certificate is not signed by the request-header CA';
}

function first(headers: HeaderValues, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = headers[n.toLowerCase()]?.find((x) => x !== '');
    if (v !== undefined) return v;
  }
  return undefined;
}

function decodeExtraKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Who sent this request, when it came through the API server's front proxy: the user from the
 * headers, believed only with a verified front-proxy client certificate on the connection.
 * `peerChain` is the connection's client certificate chain (leaf first; empty without one).
 */
export function authenticateRequestHeader(input: {
  readonly config: RequestHeaderConfig | undefined;
  readonly peerChain: readonly X509Certificate[];
  readonly headers: HeaderValues;
  readonly now?: Date;
}): AuthenticationResult {
  const { config, peerChain, headers } = input;
  if (!config) return { ok: false, reason: 'the request-header configuration is not loaded yet' };
  if (!peerChain.length)
    return {
      ok: false,
      reason: 'no client certificate: the subresource API is served through the Kubernetes API server only',
    };
  const problem = chainProblem(peerChain, config.clientCas, input.now ?? new Date());
  if (problem) return { ok: false, reason: problem };
  const cn = commonName(peerChain[0]) ?? '';
  if (config.allowedNames.length && !config.allowedNames.includes(cn))
    return {
      ok: false,
      reason: `the client certificate's common name ${JSON.stringify(cn)} is not one of the allowed names`,
    };
  const name = first(headers, config.usernameHeaders);
  if (name === undefined) return { ok: false, reason: `no user in ${config.usernameHeaders.join(', ')}` };
  const uid = first(headers, config.uidHeaders);
  const groups = config.groupHeaders.flatMap((h) => (headers[h.toLowerCase()] ?? []).filter((v) => v !== ''));
  const extra: Record<string, string[]> = {};
  for (const [header, values] of Object.entries(headers)) {
    const prefix = config.extraHeaderPrefixes.find((p) => header.startsWith(p.toLowerCase()));
    if (!prefix || !values) continue;
    const key = decodeExtraKey(header.slice(prefix.length));
    if (!key) continue;
    (extra[key] ??= []).push(...values);
  }
  return { ok: true, user: { name, groups, extra, ...(uid !== undefined ? { uid } : {}) } };
}
