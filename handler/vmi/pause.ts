/**
 * Pure: pause and unpause as desired state. virtkit has no aggregated API server, so the
 * `pause` / `unpause` subresources KubeVirt serves through virt-api are replaced by an
 * annotation on the VMI that the handler converges the domain to (level-triggered).
 */
import type { DomainStatus } from '../../launcher/runtime/domain-types';

/** The annotation that asks for a paused guest ("true") or a running one (any other value). */
export const PAUSED_ANNOTATION = 'virtkit.io/paused';

export interface PauseInputs {
  readonly metadata?: { annotations?: Record<string, string> };
  readonly spec?: { startStrategy?: string };
}

/**
 * Whether the user wants the guest paused. `"true"` pauses, any other value runs. Without the
 * annotation a VMI started with `startStrategy: Paused` stays paused (as KubeVirt keeps it until
 * someone unpauses it), every other VMI runs.
 */
export function wantsPaused(vmi: PauseInputs): boolean {
  const value = vmi.metadata?.annotations?.[PAUSED_ANNOTATION];
  if (value === undefined) return vmi.spec?.startStrategy === 'Paused';
  return value === 'true';
}

/** A pause the user asked for (or a start in paused mode), as opposed to one from an I/O error. */
export function pausedByUser(domain: Pick<DomainStatus, 'state' | 'reason'>): boolean {
  return (
    domain.state === 'Paused' && (domain.reason === 'PausedUser' || domain.reason === 'PausedStartingUp')
  );
}

export type PauseAction = 'pause' | 'unpause' | 'none';

/**
 * What the handler asks the launcher to do so the domain matches the wish: pause a running
 * domain, unpause one the user paused. A domain paused for another reason (an I/O error) or
 * shutting down is left alone.
 */
export function pauseAction(vmi: PauseInputs, domain: Pick<DomainStatus, 'state' | 'reason'>): PauseAction {
  const paused = wantsPaused(vmi);
  if (paused && domain.state === 'Running') return 'pause';
  if (!paused && pausedByUser(domain)) return 'unpause';
  return 'none';
}
