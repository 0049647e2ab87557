/**
 * The I/O around checkVmi (spec-check.ts): judges a VMI before the handler acts on it, writes
 * the refusal condition to the VMI's status (server-side apply as `virtkit-handler`, with the
 * read's resourceVersion so a stale read fails instead of overwriting) and records the Warning
 * Event once the condition is written, so a failed write never leaves an Event for a refusal
 * nobody can see, and a resync never records a second one.
 */
import { keyFields, type Logger } from '../../common/log';
import { SpecValidity } from '../../api/validation/spec-validity';
import { checkVmi, type VmiCheck } from './spec-check';
import type { EventRecorder, KubeClient } from '../../kube';
import { applyVmiStatus } from './status-apply';
import type { VmiJson } from './vmi-json';

/** The check, and the feature gates it was made with. */
export type GuardedCheck = VmiCheck & { readonly featureGates: readonly string[] };

export interface SpecGuardOptions {
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  /** The cluster's enabled feature gates now (FeatureGateSource.current). */
  readonly featureGates: () => ReadonlySet<string>;
  readonly log: Logger;
}

export class SpecGuard {
  private readonly validity = new SpecValidity();

  constructor(private readonly o: SpecGuardOptions) {}

  /** Judge `vmi`; a refusal is written to its status and warned about once. */
  async check(vmi: VmiJson): Promise<GuardedCheck> {
    const meta = vmi.metadata ?? {};
    const key = `${meta.namespace ?? ''}/${meta.name ?? ''}`;
    const gates = this.o.featureGates();
    const conditions = vmi.status?.conditions;
    const check = checkVmi({
      vmi: { spec: vmi.spec, status: { conditions: Array.isArray(conditions) ? conditions : undefined } },
      specProblems: this.validity.problems(key, vmi),
      featureGates: gates,
      now: new Date(),
    });
    const c: GuardedCheck = { ...check, featureGates: [...gates].sort() };
    if (!c.act && c.conditions)
      this.o.log.warn(keyFields('VirtualMachineInstance', key), `not acted on: ${c.problems.join('; ')}`);
    if (c.conditions && !(await applyVmiStatus(this.o.client, vmi, { conditions: c.conditions }))) return c;
    if (c.event) await this.o.recorder.record({ ...vmi, kind: 'VirtualMachineInstance' }, c.event);
    return c;
  }

  /** Forget a VMI that is gone (the validity cache keeps one entry per VMI this node judged). */
  forget(key: string): void {
    this.validity.forget(key);
  }
}
