/**
 * Making and reading the api's self-signed certificates: RSA-2048 keys from Node's crypto,
 * certificates built and signed with node-forge (Node has no X.509 writer), read back with Node's
 * X509Certificate. A CA (`virtkit-api-ca`, CA:TRUE, keyCertSign) and serving certificates for the
 * api Service's DNS names (serverAuth), each valid from a minute before `now` (clock skew).
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'crypto';
import forge from 'node-forge';
import { nextBundle, type CertificateFacts } from './rotation-plan';

export interface KeyPair {
  /** PEM */
  readonly cert: string;
  /** PEM (PKCS#8) */
  readonly key: string;
}

const SKEW_MS = 60_000;

function newKeys(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function certificate(publicKeyPem: string, now: Date, durationMs: number): forge.pki.Certificate {
  const c = forge.pki.createCertificate();
  c.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // A positive serial of 16 random bytes.
  c.serialNumber = `01${randomBytes(15).toString('hex')}`;
  c.validity.notBefore = new Date(now.getTime() - SKEW_MS);
  c.validity.notAfter = new Date(now.getTime() + durationMs);
  return c;
}

/** A new self-signed CA. */
export function issueCa(now: Date, durationMs: number, commonName = 'virtkit-api-ca'): KeyPair {
  const keys = newKeys();
  const c = certificate(keys.publicKey, now, durationMs);
  const name = [{ name: 'commonName', value: commonName }];
  c.setSubject(name);
  c.setIssuer(name);
  c.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  c.sign(forge.pki.privateKeyFromPem(keys.privateKey), forge.md.sha256.create());
  return { cert: pemOf(c), key: keys.privateKey };
}

/**
 * A leaf certificate for `commonName`, signed by `ca`: not a CA, its key for signatures and key
 * exchange, `usage` its extended key usage, `altNames` its subject alternative names.
 */
function issueLeaf(
  ca: KeyPair,
  now: Date,
  durationMs: number,
  commonName: string,
  usage: { serverAuth: true } | { clientAuth: true },
  altNames?: readonly string[],
): KeyPair {
  const keys = newKeys();
  const c = certificate(keys.publicKey, now, durationMs);
  const caCert = forge.pki.certificateFromPem(ca.cert);
  c.setSubject([{ name: 'commonName', value: commonName }]);
  c.setIssuer(caCert.subject.attributes);
  c.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', ...usage },
    ...(altNames
      ? [{ name: 'subjectAltName', altNames: altNames.map((value) => ({ type: 2, value })) }]
      : []),
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  c.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: pemOf(c), key: keys.privateKey };
}

/** A serving certificate for `dnsNames` (the first is the subject's CN), signed by `ca`. */
export function issueServing(
  ca: KeyPair,
  now: Date,
  durationMs: number,
  dnsNames: readonly string[],
): KeyPair {
  if (!dnsNames.length) throw new Error('a serving certificate needs at least one DNS name');
  return issueLeaf(ca, now, durationMs, dnsNames[0]!, { serverAuth: true }, dnsNames);
}

/** A client certificate for `commonName` (clientAuth), signed by `ca`: the api's for the node API. */
export function issueClient(ca: KeyPair, now: Date, durationMs: number, commonName: string): KeyPair {
  return issueLeaf(ca, now, durationMs, commonName, { clientAuth: true });
}

/** A certificate as PEM with Unix line ends and one final newline (forge writes CRLF). */
function pemOf(c: forge.pki.Certificate): string {
  return `${forge.pki.certificateToPem(c).replace(/\r\n/g, '\n').trim()}\n`;
}

/** The PEM certificates of a bundle, in order, each ending in one newline (so they join with ''). */
export function splitPem(bundle: string): string[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => `${pem.replace(/\r\n/g, '\n')}\n`,
  );
}

/** What the rotation plan needs of a PEM certificate; undefined when it cannot be read. */
export function factsOf(pem: string | undefined, issuer?: string): CertificateFacts | undefined {
  if (!pem) return undefined;
  try {
    const c = new X509Certificate(pem);
    const dnsNames = (c.subjectAltName ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n.startsWith('DNS:'))
      .map((n) => n.slice(4));
    let signedByCa: boolean | undefined;
    if (issuer !== undefined)
      try {
        const ca = new X509Certificate(issuer);
        signedByCa = c.checkIssued(ca) && c.verify(ca.publicKey);
      } catch {
        signedByCa = false;
      }
    return {
      notBefore: new Date(c.validFrom),
      notAfter: new Date(c.validTo),
      dnsNames,
      ...(signedByCa !== undefined ? { signedByCa } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Whether `key` (PEM) is the private key of `cert` (PEM). */
export function keyMatches(cert: string, key: string): boolean {
  try {
    return new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch {
    return false;
  }
}

/**
 * The CAs to trust after a CA renewal, as PEMs: the fresh one first, then those of the old
 * bundle still valid (./rotation-plan.ts's nextBundle; unreadable ones are dropped).
 */
export function renewedBundle(now: Date, freshCa: string, old: readonly string[]): string[] {
  return nextBundle(
    now,
    { pem: freshCa, facts: factsOf(freshCa)! },
    old.flatMap((pem) => {
      const facts = factsOf(pem);
      return facts ? [{ pem, facts }] : [];
    }),
  ).map((c) => c.pem);
}
