/** VMI health probes: liveness and readiness checks against the guest. */
import { Obj, Opt, Int32, Empty, type Static } from '../../schema/dsl';
import { ExecAction, HTTPGetAction, TCPSocketAction } from '../../k8s/core';

export const GuestAgentPing = Empty(
  'Check that the QEMU guest agent answers; failures while the VMI migrates or is paused on purpose are ignored.',
);
export type GuestAgentPing = Static<typeof GuestAgentPing>;

export const Probe = Obj('A periodic health check of the guest; exactly one action is set.', {
  exec: Opt(ExecAction),
  guestAgentPing: Opt(GuestAgentPing),
  httpGet: Opt(HTTPGetAction),
  tcpSocket: Opt(TCPSocketAction),
  initialDelaySeconds: Opt(Int32('Seconds after the VMI starts before the first check.')),
  timeoutSeconds: Opt(Int32('Seconds before a check times out; defaults to 1.', { minimum: 1 })),
  periodSeconds: Opt(Int32('Seconds between checks; defaults to 10.', { minimum: 1 })),
  successThreshold: Opt(
    Int32('Consecutive successes that make a failing probe pass again; defaults to 1.', { minimum: 1 }),
  ),
  failureThreshold: Opt(
    Int32('Consecutive failures that make a passing probe fail; defaults to 3.', { minimum: 1 }),
  ),
});
export type Probe = Static<typeof Probe>;
