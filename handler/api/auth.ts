/**
 * Who may call the handler's node API (pure): only `virtkit api`, by its client certificate.
 * The certificate must chain to the configured client CA (signatures checked link by link,
 * valid now, usable for client authentication) and its common name must be one of the allowed
 * names, as KubeVirt's virt-handler checks virt-api's certificate ("Common name is invalid").
 * Nothing else authenticates: there are no tokens and no headers to believe.
 */
import type { X509Certificate } from 'crypto';
import { chainProblem, commonName } from '../../common/x509';

export interface NodeApiClientPolicy {
  /** The CAs the caller's certificate must chain to. */
  readonly clientCas: readonly X509Certificate[];
  /** Common names allowed (never empty: an empty list would let any certificate of the CA in). */
  readonly allowedNames: readonly string[];
}

export type NodeApiAuthResult =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

/** Checks the client certificate chain of a connection (leaf first; empty without one). */
export function authenticateNodeApiClient(input: {
  readonly policy: NodeApiClientPolicy;
  readonly peerChain: readonly X509Certificate[];
  readonly now?: Date;
}): NodeApiAuthResult {
  const { policy, peerChain } = input;
  if (!peerChain.length)
    return {
      ok: false,
      status: 401,
      reason: 'no client certificate: the node API serves virtkit api only, with its node client certificate',
    };
  const problem = chainProblem(
    peerChain,
    policy.clientCas,
    input.now ?? new Date(),
    "the node API's client CA",
  );
  if (problem) return { ok: false, status: 401, reason: problem };
  const cn = commonName(peerChain[0]) ?? '';
  if (!policy.allowedNames.includes(cn))
    return {
      ok: false,
      status: 403,
      reason: `the client certificate's common name ${JSON.stringify(cn)} is not allowed on the node API (allowed: ${policy.allowedNames.join(', ') || 'none'})`,
    };
  return { ok: true, name: cn };
}
