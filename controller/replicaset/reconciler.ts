/**
 * The VirtualMachineInstanceReplicaSet reconciler: reads the caches, claims the VMIs its selector
 * matches, asks decideReplicaSet what to create and delete, does it (counting on expectations so
 * a stale cache never doubles a create or a delete), and always writes status.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceReplicaSet } from '../../api/kubevirt/v1';
import { INVALID_SPEC_REASON, invalidSpecMessage, SpecValidity } from '../../api/validation/spec-validity';
import {
  errorMessage,
  findCondition,
  isNotFound,
  objectKey,
  splitKey,
  VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS,
  VIRTUAL_MACHINE_INSTANCES,
  type EventRecorder,
  type EventSpec,
  type Informer,
  type InformerHandlers,
  type KubeClient,
} from '../../kube';
import type { ReconcileResult } from '../vm/reconciler';
import { decideReplicaSet, REPLICA_FAILURE, replicaSetProblems, replicaSetStatus } from './desired';
import { Expectations } from '../replicas/expectations';
import { finishRound } from '../replicas/finish-round';
import { selectorMatches, parseSelector } from '../replicas/label-selector';
import { adoptPatch, claim, isControlledBy, releasePatch } from '../replicas/ownership';
import { ownedObjectHandlers, ownerKeyIn } from '../replicas/owned-watch';

const KIND = 'VirtualMachineInstanceReplicaSet';
type Rs = VirtualMachineInstanceReplicaSet;
type Vmi = VirtualMachineInstance;

export class ReplicaSetReconciler {
  readonly expectations = new Expectations();

  constructor(
    private readonly client: KubeClient,
    private readonly replicaSets: Informer<Rs>,
    private readonly vmis: Informer<Vmi>,
    private readonly recorder: EventRecorder,
    private readonly validity = new SpecValidity(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const rs = this.replicaSets.cache.get(key);
    if (!rs) {
      this.expectations.forget(key);
      this.validity.forget(key);
      return {};
    }
    const { namespace } = splitKey(key);
    const inNamespace = this.vmis.cache.byIndex('namespace', namespace ?? '');
    const events: EventSpec[] = [];
    const { problems, selector } = replicaSetProblems(rs);
    const invalid = [...new Set([...this.validity.problems(key, rs), ...problems])];
    let failure: { reason: string; message: string } | undefined;
    let owned: Vmi[];

    if (invalid.length || !selector) {
      owned = inNamespace.filter((v) => isControlledBy(v, rs));
      const message = invalidSpecMessage(KIND, invalid);
      failure = { reason: INVALID_SPEC_REASON, message };
      if (findCondition(rs.status?.conditions, REPLICA_FAILURE)?.message !== message)
        events.push({ type: 'Warning', reason: INVALID_SPEC_REASON, message });
    } else {
      const c = claim(rs, selector, inNamespace, { adopt: true });
      owned = [...c.owned];
      for (const vmi of c.release) await this.patchVmi(vmi, releasePatch(vmi, rs));
      for (const vmi of c.adopt) if (await this.patchVmi(vmi, adoptPatch(vmi, rs))) owned.push(vmi);
      failure = await this.scale(key, rs, owned, events);
    }

    for (const ev of events) void this.recorder.record(rs, ev);
    const { status, events: statusEvents } = replicaSetStatus({
      rs,
      vmis: owned,
      labelSelector: selector?.text ?? '',
      now: new Date(),
      failure,
    });
    return finishRound({
      client: this.client,
      recorder: this.recorder,
      rt: VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS,
      owner: rs,
      status,
      statusEvents,
      failure,
      requeueAfterMs: [this.expectations.waitMs(key)],
    });
  }

  /** Adopt or release one VMI; false when it changed meanwhile (the next round sees it again). */
  private async patchVmi(vmi: Vmi, ops: unknown[]): Promise<boolean> {
    try {
      await this.client.jsonPatch(
        VIRTUAL_MACHINE_INSTANCES,
        vmi.metadata?.namespace,
        vmi.metadata?.name ?? '',
        ops,
      );
      return true;
    } catch (err) {
      if (
        isNotFound(err) ||
        (err as { status?: number }).status === 422 ||
        (err as { status?: number }).status === 409
      )
        return false;
      throw err;
    }
  }

  private async scale(
    key: string,
    rs: Rs,
    owned: readonly Vmi[],
    events: EventSpec[],
  ): Promise<{ reason: string; message: string } | undefined> {
    const ns = rs.metadata?.namespace;
    const d = decideReplicaSet({ rs, vmis: owned, expectationsSatisfied: this.expectations.satisfied(key) });
    const errors: string[] = [];
    if (d.create > 0 && d.template) {
      this.expectations.expectCreations(key, d.create);
      const results = await Promise.allSettled(
        Array.from({ length: d.create }, () =>
          this.client.create<Vmi>(VIRTUAL_MACHINE_INSTANCES, ns, d.template),
        ),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') {
          events.push({
            type: 'Normal',
            reason: 'SuccessfulCreate',
            message: `Started the virtual machine by creating the new virtual machine instance ${r.value.metadata?.name}`,
          });
        } else {
          this.expectations.creationObserved(key);
          const message = `Error creating virtual machine instance: ${errorMessage(r.reason)}`;
          events.push({ type: 'Warning', reason: 'FailedCreate', message });
          errors.push(message);
        }
      }
      if (errors.length) return { reason: 'FailedCreate', message: errors[0] };
    }
    const remove = async (list: readonly Vmi[], describe: (v: Vmi) => string): Promise<void> => {
      this.expectations.expectDeletions(key, list.map(objectKey));
      await Promise.all(
        list.map(async (vmi) => {
          try {
            await this.client.delete(VIRTUAL_MACHINE_INSTANCES, ns, vmi.metadata?.name ?? '', {
              uid: vmi.metadata?.uid,
            });
            events.push({ type: 'Normal', reason: 'SuccessfulDelete', message: describe(vmi) });
          } catch (err) {
            this.expectations.deletionObserved(key, objectKey(vmi));
            if (isNotFound(err)) return;
            const message = `Error deleting virtual machine instance ${vmi.metadata?.name}: ${errorMessage(err)}`;
            events.push({ type: 'Warning', reason: 'FailedDelete', message });
            errors.push(message);
          }
        }),
      );
    };
    if (d.scaleIn.length) {
      await remove(
        d.scaleIn,
        (v) => `Stopped the virtual machine by deleting the virtual machine instance ${v.metadata?.uid}`,
      );
      if (errors.length) return { reason: 'FailedDelete', message: errors[0] };
    }
    if (d.cleanUp.length) {
      await remove(d.cleanUp, (v) => `Deleted finished virtual machine: ${v.metadata?.uid}`);
      if (errors.length) return { reason: 'FailedDelete', message: errors[0] };
    }
    return undefined;
  }

  /** Replica sets in the VMI's namespace whose selector matches it (candidates to adopt an orphan). */
  private matchingKeys(vmi: Vmi): string[] {
    const ns = vmi.metadata?.namespace ?? '';
    return this.replicaSets.cache
      .byIndex('namespace', ns)
      .filter((rs) => {
        const p = parseSelector(rs.spec.selector, 'spec.selector');
        return p.ok && selectorMatches(p.selector, vmi.metadata?.labels);
      })
      .map(objectKey);
  }

  /** Informer handlers on VMIs: observe expectations and wake the replica sets concerned. */
  vmiHandlers(enqueue: (key: string) => void): InformerHandlers<Vmi> {
    return ownedObjectHandlers<Vmi>({
      ownerKeyOf: (vmi) => ownerKeyIn(this.replicaSets.cache, KIND, vmi),
      expectations: this.expectations,
      enqueue,
      adopters: (vmi) => this.matchingKeys(vmi),
    });
  }
}
