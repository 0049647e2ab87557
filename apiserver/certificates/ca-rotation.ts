/**
 * One rotation pass over a CA and the serving certificate it signs (I/O), what both of the
 * api's self-signed certificate sets do (./rotator.ts for the api's own serving certificate,
 * ./node-pki.ts for the node API): read the two Secrets, renew what ./rotation-plan.ts says is
 * due, and write them back (./tls-secrets.ts settles races between replicas).
 *
 * - The CA Secret holds `tls.crt`, `tls.key` and `ca-bundle.crt` (the CAs to trust: a renewed CA
 *   is added, the previous one kept while valid).
 * - The serving Secret holds `tls.crt`, `tls.key` and `ca.crt` = that bundle (the CA itself when
 *   an older CA Secret has no bundle yet).
 */
import type { Logger } from 'pino';
import { SECRETS, type KubeClient } from '../../kube';
import { factsOf, issueCa, issueServing, renewedBundle, splitPem, type KeyPair } from './issue';
import { rotationPlan, type RotationDurations, type RotationPlan } from './rotation-plan';
import { decode, tlsPair, writeTlsSecret, type SecretObject } from './tls-secrets';

export interface CaRotationOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly caSecret: string;
  readonly servingSecret: string;
  /** The serving certificate's DNS names. */
  readonly dnsNames: readonly string[];
  /** The CA's common name. @default issueCa's */
  readonly caCommonName?: string;
  readonly durations: RotationDurations;
  readonly log: Logger;
  /** How the log names the two, e.g. `{ ca: 'the api CA', serving: 'the api serving certificate' }`. */
  readonly what: { readonly ca: string; readonly serving: string };
}

export interface CaRotation {
  readonly plan: RotationPlan;
  /** The CA after the pass (undefined only when it could not be read or made). */
  readonly ca: KeyPair | undefined;
  /** The CAs to trust, PEM blocks. */
  readonly bundle: readonly string[];
  /** The serving certificate after the pass. */
  readonly serving: KeyPair | undefined;
}

export async function rotateCaAndServing(o: CaRotationOptions, now: Date): Promise<CaRotation> {
  const { client, namespace: ns } = o;
  const [caSecret, servingSecret] = await Promise.all([
    client.getIfExists<SecretObject>(SECRETS, ns, o.caSecret),
    client.getIfExists<SecretObject>(SECRETS, ns, o.servingSecret),
  ]);
  let ca: KeyPair | undefined = tlsPair(caSecret);
  let serving = tlsPair(servingSecret);
  let bundle = splitPem(decode(caSecret, 'ca-bundle.crt') ?? '');
  const plan = rotationPlan(
    now,
    {
      ...(ca ? { ca: factsOf(ca.cert) } : {}),
      ...(serving ? { server: factsOf(serving.cert, ca?.cert) } : {}),
    },
    o.dnsNames,
    o.durations,
  );
  if (plan.renewCa) {
    const fresh = issueCa(now, o.durations.caMs, ...(o.caCommonName ? [o.caCommonName] : []));
    bundle = renewedBundle(now, fresh.cert, bundle);
    await writeTlsSecret(client, ns, o.caSecret, caSecret, {
      'tls.crt': fresh.cert,
      'tls.key': fresh.key,
      'ca-bundle.crt': bundle.join(''),
    });
    ca = fresh;
    o.log.info({ secret: o.caSecret, reason: plan.reason }, `renewed ${o.what.ca}`);
  }
  if (!bundle.length && ca) bundle = [ca.cert];
  if (plan.renewServer) {
    serving = issueServing(ca!, now, o.durations.serverMs, o.dnsNames);
    await writeTlsSecret(client, ns, o.servingSecret, servingSecret, {
      'tls.crt': serving.cert,
      'tls.key': serving.key,
      'ca.crt': bundle.join(''),
    });
    o.log.info({ secret: o.servingSecret, reason: plan.reason }, `renewed ${o.what.serving}`);
  }
  return { plan, ca, bundle, serving };
}
