/**
 * When `virtkit api` renews its self-signed certificates (pure): a CA and a serving certificate
 * signed by it, kept in one Secret, each renewed a fixed time before it expires, as KubeVirt's
 * virt-operator does for its components (`certificateRotateStrategy.selfSigned`: the CA lasts
 * 168h and is renewed 33.6h before it ends; a serving certificate lasts 24h and is renewed 4.8h
 * before it ends). The CA bundle handed to the API server keeps the previous CA while it is still
 * valid, so a serving certificate of the old CA and one of the new both verify during a switch.
 */

const HOUR = 3_600_000;

export interface RotationDurations {
  readonly caMs: number;
  readonly caRenewBeforeMs: number;
  readonly serverMs: number;
  readonly serverRenewBeforeMs: number;
}

/** KubeVirt's defaults. */
export const DEFAULT_ROTATION: RotationDurations = {
  caMs: 168 * HOUR,
  caRenewBeforeMs: 33.6 * HOUR,
  serverMs: 24 * HOUR,
  serverRenewBeforeMs: 4.8 * HOUR,
};

/** What the plan needs to know of one certificate. */
export interface CertificateFacts {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The certificate's DNS names. */
  readonly dnsNames: readonly string[];
  /** Whether it was signed by the stored CA (serving certificates only). */
  readonly signedByCa?: boolean;
}

/** The Secret's certificates as found (undefined: missing or unreadable). */
export interface StoredFacts {
  readonly ca?: CertificateFacts;
  readonly server?: CertificateFacts;
}

export interface RotationPlan {
  readonly renewCa: boolean;
  readonly renewServer: boolean;
  /** Why (for the log and Events), or why nothing is done. */
  readonly reason: string;
  /** When to look again if nothing changes meanwhile. */
  readonly nextCheck: Date;
}

export class RotationDurationError extends Error {}

/** Refuse durations that would renew constantly or let a certificate outlive its CA's renewal. */
export function checkDurations(d: RotationDurations): void {
  const problems: string[] = [];
  if (!(d.caRenewBeforeMs > 0 && d.caRenewBeforeMs < d.caMs))
    problems.push('the CA must be renewed after it starts and before it ends (0 < renewBefore < duration)');
  if (!(d.serverRenewBeforeMs > 0 && d.serverRenewBeforeMs < d.serverMs))
    problems.push('the serving certificate must be renewed after it starts and before it ends');
  if (d.serverMs > d.caMs - d.caRenewBeforeMs)
    problems.push(
      'a serving certificate must not last longer than its CA is used (duration <= CA duration - CA renewBefore)',
    );
  if (problems.length) throw new RotationDurationError(`certificate rotation: ${problems.join('; ')}`);
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().every((n, i) => n === [...b].sort()[i]);

export function rotationPlan(
  now: Date,
  stored: StoredFacts,
  dnsNames: readonly string[],
  d: RotationDurations = DEFAULT_ROTATION,
): RotationPlan {
  const t = now.getTime();
  const caReason = !stored.ca
    ? 'there is no CA yet'
    : stored.ca.notBefore.getTime() > t
      ? 'the CA is not valid yet (the clock went back?)'
      : stored.ca.notAfter.getTime() - d.caRenewBeforeMs <= t
        ? `the CA expires at ${stored.ca.notAfter.toISOString()}`
        : undefined;
  if (caReason)
    return {
      renewCa: true,
      renewServer: true,
      reason: caReason,
      nextCheck: new Date(t + d.serverMs - d.serverRenewBeforeMs),
    };
  const ca = stored.ca!;
  const s = stored.server;
  const serverReason = !s
    ? 'there is no serving certificate yet'
    : !s.signedByCa
      ? 'the serving certificate was not signed by the current CA'
      : !sameNames(s.dnsNames, dnsNames)
        ? `the serving certificate is for ${s.dnsNames.join(', ') || 'no name'}, not ${dnsNames.join(', ')}`
        : s.notBefore.getTime() > t
          ? 'the serving certificate is not valid yet (the clock went back?)'
          : s.notAfter.getTime() - d.serverRenewBeforeMs <= t
            ? `the serving certificate expires at ${s.notAfter.toISOString()}`
            : undefined;
  const caDue = ca.notAfter.getTime() - d.caRenewBeforeMs;
  if (serverReason)
    return {
      renewCa: false,
      renewServer: true,
      reason: serverReason,
      nextCheck: new Date(Math.min(caDue, t + d.serverMs - d.serverRenewBeforeMs)),
    };
  return {
    renewCa: false,
    renewServer: false,
    reason: `valid: the CA until ${ca.notAfter.toISOString()}, the serving certificate until ${s!.notAfter.toISOString()}`,
    nextCheck: new Date(Math.min(caDue, s!.notAfter.getTime() - d.serverRenewBeforeMs)),
  };
}

/**
 * The CAs to trust after a renewal: the new one first, then those of the old bundle that are
 * still valid (the previous CA, until its serving certificates are gone), by position.
 */
export function nextBundle<T extends { readonly facts: CertificateFacts }>(
  now: Date,
  fresh: T,
  old: readonly T[],
): T[] {
  return [fresh, ...old.filter((c) => c.facts.notAfter.getTime() > now.getTime())];
}

/**
 * Why a client certificate is renewed (pure), on the serving certificates' schedule: missing,
 * not signed by the current CA, not valid yet, or within serverRenewBeforeMs of its end; or
 * undefined when it is good, with when to look again.
 */
export function clientRenewal(
  now: Date,
  client: CertificateFacts | undefined,
  d: RotationDurations = DEFAULT_ROTATION,
): { reason?: string; nextCheck: Date } {
  const t = now.getTime();
  const again = new Date(t + d.serverMs - d.serverRenewBeforeMs);
  if (!client) return { reason: 'there is no client certificate yet', nextCheck: again };
  if (!client.signedByCa)
    return { reason: 'the client certificate was not signed by the current CA', nextCheck: again };
  if (client.notBefore.getTime() > t)
    return { reason: 'the client certificate is not valid yet (the clock went back?)', nextCheck: again };
  const due = client.notAfter.getTime() - d.serverRenewBeforeMs;
  if (due <= t)
    return { reason: `the client certificate expires at ${client.notAfter.toISOString()}`, nextCheck: again };
  return { nextCheck: new Date(due) };
}
