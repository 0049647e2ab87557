/**
 * One round of a VirtualMachineInstanceMigration, decided from what the caches show (KubeVirt's
 * migration controller: updateStatus, processMigrationPhase and sync). Pure: the reconciler adds
 * the finalizer, creates the target pod, writes the VMI, deletes pods, writes the migration's
 * status and lets go of the finalizer, in that order.
 *
 * The controller, the source node's handler and the target node's handler speak only through the
 * VMI's `status.migrationState` (docs/controller.md, "Live migration"):
 *
 *   (unset)          refused, Failed with the condition Failure saying why, when the VMI is
 *                    missing, not Running, not live-migratable (LiveMigratable False) or being
 *                    migrated already; else Pending
 *   Pending          waits for a slot (limits.ts), then creates the target pod -> Scheduling
 *   Scheduling       the target pod is bound to a node -> Scheduled (an unschedulable or
 *                    long-Pending target pod fails the migration after KubeVirt's timeouts)
 *   Scheduled        the target pod runs: the hand-off writes migrationUid, the source and
 *                    target nodes and pods and the effective settings -> PreparingTarget
 *   PreparingTarget  the target handler published targetNodeAddress -> TargetReady
 *   TargetReady      the source handler wrote startTimestamp -> Running
 *   Running          completed and targetNodeDomainDetected: the VMI is handed over to the
 *                    target node (nodeName, activePods, label; its evacuation mark
 *                    evacuationNodeName goes) and what is left of the source pod is deleted
 *                    -> Succeeded; `failed` -> Failed (the mark stays: the evacuation retries)
 *
 * A target pod that fails or vanishes before the migration completed fails it (the VMI's
 * migrationState says so, for the handlers). A deleted migration is cancelled: before the
 * hand-off its target pod is deleted and it is Failed at once; after it, `abortRequested` asks the
 * source handler, and the finalizer stays until the VMI says how it ended. A final migration
 * mirrors the VMI's migrationState, deletes its failed target pod and drops its finalizer.
 */
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { issueText } from '../../api/validation/issue';
import { checkLabels } from '../../api/validation/object-meta';
import { invalidSpecMessage } from '../../api/validation/spec-validity';
import { isFinal, isMarkedForDeletion } from '../vm/run-strategy';
import { NODE_NAME_LABEL } from '../vmi/launcher-pod';
import type { LauncherPod } from '../vmi/phase';
import { isFinalMigration, migrationLimitReached } from './limits';
import {
  MigrationRound,
  podFinal,
  podLive,
  rank,
  type MigrationDecision,
  type MigrationInputs,
} from './migration-round';
import {
  describeMigration,
  EVENT_INVALID_SETTINGS,
  EVENT_MIGRATED,
  EVENT_SUCCESSFUL_ABORT,
  EVENT_SUCCESSFUL_DELETE,
  EVENT_SUCCESSFUL_HAND_OVER,
  EVENT_SUCCESSFUL_MIGRATION,
  FailureReason,
  MIGRATION_TARGET_NODE_LABEL,
  Msg,
} from './names';
import { refusal } from './refusals';
import { targetPodTimeout } from './target-timeouts';

export type { MigrationDecision, MigrationEvent, MigrationInputs, PodDeletion } from './migration-round';

/** How soon a migration held back by the limits looks again (KubeVirt: 5 s). */
const LIMIT_RETRY_MS = 5_000;
/** How soon a migration waiting for the VMI's other pods to go looks again (KubeVirt: 1 s). */
const PODS_RETRY_MS = 1_000;

/** A step of the round: the decision when it ends the round, undefined to go on. */
type Step = (r: MigrationRound, vmi: VirtualMachineInstance) => MigrationDecision | undefined;

export function decideMigration(i: MigrationInputs): MigrationDecision {
  const r = new MigrationRound(i);
  if (isFinalMigration(i.migration)) return r.finish();
  const invalid = checkSpec(r);
  if (invalid) return invalid;
  if (r.deleting) r.abortRequested();
  const vmi = i.vmi;
  if (!vmi || isMarkedForDeletion(vmi)) {
    r.fail(
      FailureReason.vmiNotFound,
      vmi
        ? `VMI ${r.vmiRef} is being deleted; there is nothing left to migrate`
        : `VMI ${r.vmiRef} does not exist; create it, or correct spec.vmiName`,
      Msg.vmiMissing,
    );
    return r.finish();
  }
  const steps: Step[] = [
    handOver,
    reportedFailure,
    vmiEnded,
    canceledBeforeHandOff,
    abortAfterHandOff,
    targetPodLost,
    stateLost,
    startPending,
    progress,
  ];
  for (const step of steps) {
    const d = step(r, vmi);
    if (d) return d;
  }
  return r.decision();
}

/** What the user wrote, checked before anything is done for it. */
function checkSpec(r: MigrationRound): MigrationDecision | undefined {
  if (rank(r.status.phase) > rank('Pending')) return undefined;
  const spec = r.m.spec;
  const what = describeMigration(r.m);
  const problems = [
    ...(r.i.specProblems ?? []),
    ...checkLabels(spec?.addedNodeSelector, 'spec.addedNodeSelector').map(issueText),
  ];
  if (problems.length)
    r.fail(FailureReason.invalidSpec, invalidSpecMessage('VirtualMachineInstanceMigration', problems));
  else if (!spec?.vmiName)
    r.fail(
      FailureReason.invalidSpec,
      `${what}: spec.vmiName is empty; name the VMI to migrate, in the namespace of the migration`,
    );
  else if (spec.sendTo || spec.receive)
    r.fail(
      FailureReason.notSupported,
      `${what}: spec.${spec.sendTo ? 'sendTo' : 'receive'} asks for a decentralized migration (across clusters or namespaces), which virtkit does not support yet; remove it to migrate VMI ${r.vmiRef} within the cluster`,
    );
  else return undefined;
  return r.finish();
}

/**
 * Completed on the VMI: once the target node confirms the guest runs there, the VMI is handed
 * over to it. Also for a migration deleted meanwhile: the guest is on the target now.
 */
const handOver: Step = (r, vmi) => {
  const s = r.state;
  if (!r.mine || !s?.completed || s.failed) return undefined;
  r.advance('Running');
  const targetNode = s.targetNode ?? '';
  const target = r.targets.find((p) => p.metadata?.name === s.targetPod && podLive(p));
  if (!target) {
    r.fail(
      FailureReason.targetPodGone,
      `the migration of VMI ${r.vmiRef} completed, but its target pod ${s.targetPod ?? ''} is gone, and the guest with it`,
      Msg.targetPodRemoved,
    );
    return r.finish();
  }
  if (!s.targetNodeDomainDetected)
    return r.decision({ waiting: `node ${targetNode} to report the guest running in ${s.targetPod ?? ''}` });
  const sourceUid = r.i.pods.find((p) => p.metadata?.name === s.sourcePod)?.metadata?.uid;
  const targetUid = target.metadata?.uid ?? '';
  // The guest left the node it was evacuated from: that evacuation is over (KubeVirt clears the
  // mark at the hand-over too). A mark naming the target node is a newer eviction, and stays.
  const evacuated = vmi.status?.evacuationNodeName;
  const evacuationOver = !!evacuated && evacuated !== targetNode;
  const moved = vmi.status?.nodeName !== targetNode || vmi.status?.activePods?.[targetUid] !== targetNode;
  if (moved || evacuationOver)
    r.changeVmi((st) => {
      const active = { ...(st.activePods ?? {}) };
      if (sourceUid) delete active[sourceUid];
      st.nodeName = targetNode;
      st.activePods = { ...active, [targetUid]: targetNode };
      if (evacuationOver) delete st.evacuationNodeName;
    });
  if (moved)
    r.event('vmi', 'Normal', EVENT_MIGRATED, `The VirtualMachineInstance migrated to node ${targetNode}.`);
  if (vmi.metadata?.labels?.[NODE_NAME_LABEL] !== targetNode) r.setVmiLabel(NODE_NAME_LABEL, targetNode);
  r.enter('Succeeded');
  r.event('migration', 'Normal', EVENT_SUCCESSFUL_MIGRATION, Msg.succeeded);
  return r.finish();
};

/** The source node reports the migration failed, or aborted as asked: the guest stayed. */
const reportedFailure: Step = (r) => {
  const s = r.state;
  if (!r.mine || !(s?.failed || (r.deleting && s?.abortStatus === 'Succeeded'))) return undefined;
  const stays = `the VMI keeps running on node ${r.sourceNode}`;
  if (r.deleting || s.abortRequested)
    r.fail(
      FailureReason.aborted,
      `the migration of VMI ${r.vmiRef} was aborted as asked (the migration was deleted)${s.failureReason ? `: ${s.failureReason}` : ''}; ${stays}`,
      Msg.canceled,
    );
  else
    r.fail(
      FailureReason.migrationFailed,
      `the source node ${r.sourceNode} reported that the migration of VMI ${r.vmiRef} failed: ${s.failureReason || 'no reason given'}; ${stays}. Create a new migration to try again`,
      Msg.sourceFailed,
    );
  return r.finish();
};

/** The VMI ended: there is no guest left to move. */
const vmiEnded: Step = (r, vmi) => {
  if (!isFinal(vmi)) return undefined;
  r.failOnVmi(`the VMI is ${vmi.status?.phase}`);
  r.fail(
    FailureReason.vmiNotRunning,
    `VMI ${r.vmiRef} is ${vmi.status?.phase}; its guest ended before the migration did`,
    Msg.vmiShutdown,
  );
  return r.finish();
};

/** Deleted before the hand-off: nothing runs on the target yet, the controller cancels alone. */
const canceledBeforeHandOff: Step = (r, vmi) => {
  if (!r.deleting || r.mine) return undefined;
  for (const t of r.targets)
    r.deletePod(t, {
      type: 'Normal',
      reason: EVENT_SUCCESSFUL_DELETE,
      message: `migration canceled and pod ${r.namespace}/${t.metadata?.name ?? ''} is deleted`,
    });
  r.fail(
    FailureReason.aborted,
    `the migration of VMI ${r.vmiRef} was canceled (the migration was deleted) before its target pod was handed over; the VMI stays on node ${vmi.status?.nodeName ?? ''}`,
    Msg.canceled,
  );
  return r.finish();
};

/**
 * Deleted after the hand-off: `abortRequested` asks the source handler, and the migration waits
 * for the VMI to say how it ended. One the source has not started, the controller ends itself.
 */
const abortAfterHandOff: Step = (r) => {
  const s = r.state;
  if (!r.deleting || !r.mine || !s) return undefined;
  if (!s.startTimestamp) {
    r.changeState({ abortRequested: true });
    r.failOnVmi('Migration aborted before it started: the migration object was deleted');
    r.fail(
      FailureReason.aborted,
      `the migration of VMI ${r.vmiRef} was canceled (the migration was deleted) before it started; the VMI stays on node ${r.sourceNode}`,
      Msg.canceled,
    );
    return r.finish();
  }
  if (!s.abortRequested) {
    r.changeState({ abortRequested: true });
    r.event('migration', 'Normal', EVENT_SUCCESSFUL_ABORT, Msg.abortSignaled);
  }
  return r.decision({ waiting: `node ${r.sourceNode} to abort the migration` });
};

/**
 * The target pod made for this migration must live until the migration completes: deleted (gone
 * from the cache, or being deleted) or ended, it fails the migration.
 */
const targetPodLost: Step = (r) => {
  if (rank(r.status.phase) < rank('Scheduling')) return undefined;
  const t = r.target;
  if (t && podLive(t)) return undefined;
  if (!t && r.i.podCreationExpected) return undefined;
  const name = t?.metadata?.name ?? r.state?.targetPod ?? '';
  const stays = `the VMI stays on node ${r.sourceNode}. Create a new migration to try again`;
  if (!t || isMarkedForDeletion(t)) {
    r.failOnVmi(`Target pod is down: target pod ${name} was deleted`);
    r.fail(
      FailureReason.targetPodGone,
      `the target pod ${name} of the migration of VMI ${r.vmiRef} was deleted before the migration completed; ${stays}`,
      Msg.targetPodRemoved,
    );
  } else {
    const how = `ended with phase ${t.status?.phase}${t.status?.message ? ` (${t.status.message})` : ''}`;
    r.failOnVmi(`Target pod is down: target pod ${name} ${how}`);
    r.fail(
      FailureReason.targetPodDown,
      `the target pod ${name} of the migration of VMI ${r.vmiRef} ${how} before the migration completed; ${stays}`,
      Msg.targetPodDown,
    );
  }
  return r.finish();
};

/** Handed off once, the VMI's migrationState must stay this migration's. */
const stateLost: Step = (r) => {
  if (rank(r.status.phase) < rank('PreparingTarget') || r.mine) return undefined;
  const other = r.state?.migrationUid;
  r.fail(
    FailureReason.stateLost,
    other
      ? `VMI ${r.vmiRef}'s migration state now belongs to migration ${other}; this migration cannot go on`
      : `VMI ${r.vmiRef}'s migration state was cleared during the migration; it cannot go on`,
    other ? Msg.stateTakenOver : Msg.stateCleared,
  );
  return r.finish();
};

/**
 * Before a target pod exists: may this VMI be migrated, and now? Then the target pod is made
 * (the round enters Scheduling; the reconciler expects the pod until the cache shows it).
 */
const startPending: Step = (r, vmi) => {
  if (rank(r.status.phase) > rank('Pending')) return undefined;
  const refused = refusal(r.i, r.vmiRef);
  if (refused) {
    r.fail(refused.reason, refused.message, refused.event);
    return r.finish();
  }
  r.enter('Pending');
  if (r.target) {
    r.enter('Scheduling');
    return undefined;
  }
  if (r.i.podCreationExpected) return r.decision({ waiting: 'the new target pod to show in the cache' });
  const node = vmi.status?.nodeName ?? '';
  const source = r.i.pods.find((p) => podLive(p) && !!node && p.spec?.nodeName === node);
  if (!source)
    return r.decision({ waiting: `the launcher pod of VMI ${r.vmiRef} on node ${node || '(none)'}` });
  const others = r.i.pods.filter((p) => p !== source && !podFinal(p));
  if (others.length)
    return r.decision({
      waiting: `other launcher pods of VMI ${r.vmiRef} to go: ${others.map((p) => p.metadata?.name).join(', ')}`,
      requeueAfterMs: PODS_RETRY_MS,
    });
  const full = migrationLimitReached({
    migration: r.m,
    sourceNode: node,
    migrations: r.i.migrations,
    vmiNamed: r.i.vmiNamed,
    hasTargetPod: r.i.hasTargetPod,
    configuration: r.i.cluster,
  });
  if (full) return r.decision({ waiting: full, requeueAfterMs: LIMIT_RETRY_MS });
  r.enter('Scheduling');
  return r.decision({ createTargetPod: true });
};

/** The target pod is placed, runs, is handed off; the handlers' fields move the phases on. */
const progress: Step = (r, vmi) => {
  const target = r.target;
  if (!target) return r.decision({ waiting: 'the new target pod to show in the cache' });
  // A target pod that cannot be placed or started in time fails the migration (KubeVirt's timeouts).
  const late = rank(r.status.phase) <= rank('Scheduled') ? targetPodTimeout(r.m, target, r.i.now) : undefined;
  if (late?.failure) {
    r.fail(
      late.failure.reason,
      `${late.failure.message}, for the migration of VMI ${r.vmiRef}; the VMI stays on node ${vmi.status?.nodeName ?? ''}. Check the nodes the target pod may use (the VMI's node selector and affinity, spec.addedNodeSelector) and create a new migration`,
      late.failure.event,
    );
    return r.finish();
  }
  if (r.status.phase === 'Scheduling' && target.spec?.nodeName) r.enter('Scheduled');
  if (r.status.phase === 'Scheduled' && !r.mine && target.status?.phase === 'Running') {
    // The VMI's pod on its node (after an earlier migration, that migration's target pod).
    const node = vmi.status?.nodeName ?? '';
    const source = r.i.pods.find(
      (p) => podLive(p) && !!node && p.spec?.nodeName === node && !r.targets.includes(p),
    );
    if (!source)
      return r.decision({ waiting: `the launcher pod of VMI ${r.vmiRef} on node ${node || '(none)'}` });
    if (!r.i.effective) return r.decision({ needsConfiguration: true });
    handOff(r, vmi, source, target);
  }
  if (r.status.phase === 'Scheduled' && r.mine) r.enter('PreparingTarget');
  if (r.status.phase === 'PreparingTarget' && r.state?.targetNodeAddress) r.enter('TargetReady');
  if (r.status.phase === 'TargetReady' && r.state?.startTimestamp) r.enter('Running');
  return r.decision(late?.requeueAfterMs !== undefined ? { requeueAfterMs: late.requeueAfterMs } : {});
};

/**
 * The hand-off: the VMI's migrationState names this migration, its two sides and the settings
 * it runs with; the VMI is labelled with the target node (KubeVirt's cue for the target handler).
 */
function handOff(
  r: MigrationRound,
  vmi: VirtualMachineInstance,
  source: LauncherPod,
  target: LauncherPod,
): void {
  const effective = r.i.effective;
  const targetNode = target.spec?.nodeName ?? '';
  r.changeVmi((s) => {
    s.migrationState = {
      migrationUid: r.uid,
      sourceNode: vmi.status?.nodeName ?? '',
      sourcePod: source.metadata?.name ?? '',
      targetNode,
      targetPod: target.metadata?.name ?? '',
      ...(effective ? { migrationConfiguration: structuredClone(effective.configuration) } : {}),
      ...(effective?.policyName ? { migrationPolicyName: effective.policyName } : {}),
    };
  });
  r.setVmiLabel(MIGRATION_TARGET_NODE_LABEL, targetNode);
  r.event('migration', 'Normal', EVENT_SUCCESSFUL_HAND_OVER, Msg.handedOver);
  // Settings the KubeVirt object or the policy got wrong were left out: say which, once.
  if (effective?.problems.length)
    r.event(
      'migration',
      'Warning',
      EVENT_INVALID_SETTINGS,
      `migration settings left out: ${effective.problems.join('; ')}`,
    );
}
