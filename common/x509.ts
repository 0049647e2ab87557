/**
 * Client certificate checks shared by the servers that authenticate their callers by TLS
 * client certificate themselves (the connection asks for one and requires none, so a refusal
 * can be answered with a message instead of a failed handshake): `virtkit api`'s front-proxy
 * authentication (apiserver/subresources/request-header.ts) and the node handler's API
 * (handler/api/auth.ts). Pure except peerCertificateChain, which reads a TLS socket.
 */
import { X509Certificate } from 'crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'tls';

const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle; throws when there is none or one does not parse. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(CERT_RE) ?? [];
  if (!blocks.length) throw new Error('no PEM certificate in it');
  return blocks.map((b) => new X509Certificate(b));
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
 * the leaf usable for client authentication. `caLabel` names the CA in the message ("the
 * request-header CA").
 */
export function chainProblem(
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  now: Date,
  caLabel = 'the trusted CA',
): string | undefined {
  const leaf = chain[0];
  if (!leaf) return 'no client certificate';
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
  return `the client certificate is not signed by ${caLabel}`;
}

/** The client certificate chain of a TLS connection, leaf first (empty without one). */
export function peerCertificateChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as DetailedPeerCertificate;
  const seen = new Set<string>();
  while (c?.raw?.length && !seen.has(c.fingerprint256) && chain.length < 8) {
    seen.add(c.fingerprint256);
    chain.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return chain;
}
