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
import type { X509Certificate } from 'crypto';
import { chainProblem, commonName, parsePemBundle } from '../../common/x509';
import type { RequestUser } from './types';

export { commonName, parsePemBundle };

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
  const problem = chainProblem(peerChain, config.clientCas, input.now ?? new Date(), 'the request-header CA');
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
