/**
 * The Secrets the self-signed certificates live in (I/O): read by name, written whole with the
 * resourceVersion read (a create fails when the name is taken), so when two api replicas renew
 * at once one wins and the other reads the winner's on its next pass.
 */
import { isAlreadyExists, isConflict, SECRETS, type KubeClient } from '../../kube';
import { keyMatches, type KeyPair } from './issue';

export interface SecretObject {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

export const decode = (s: SecretObject | undefined, key: string): string | undefined =>
  s?.data?.[key] ? Buffer.from(s.data[key], 'base64').toString('utf8') : undefined;

export const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The certificate and key of a Secret's `tls.crt` and `tls.key`, when both are there and match. */
export function tlsPair(s: SecretObject | undefined): KeyPair | undefined {
  const cert = decode(s, 'tls.crt');
  const key = decode(s, 'tls.key');
  return cert && key && keyMatches(cert, key) ? { cert, key } : undefined;
}

/** One renewal lost to another replica's: the next pass reads what it wrote. */
export class CertificateWriteConflictError extends Error {}

/** Writes a kubernetes.io/tls Secret whole: replaces `existing`, or creates it. */
export async function writeTlsSecret(
  client: KubeClient,
  namespace: string,
  name: string,
  existing: SecretObject | undefined,
  data: Record<string, string>,
): Promise<void> {
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'virtkit', 'app.kubernetes.io/component': 'certificates' },
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, encode(v)])),
  };
  try {
    if (existing) await client.replace(SECRETS, namespace, name, body);
    else await client.create(SECRETS, namespace, body);
  } catch (err) {
    if (isConflict(err) || isAlreadyExists(err))
      throw new CertificateWriteConflictError(
        `Secret ${namespace}/${name} was written by someone else meanwhile (another api replica renewing too)`,
      );
    throw err;
  }
}
