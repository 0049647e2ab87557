/**
 * The bookkeeping of one round of a migration (./migration-plan.ts decides what happens in it):
 * the migration's new status (phases with their transition times, conditions, the mirror of the
 * VMI's migrationState), the VMI's new status and labels, pods to delete and Events, gathered
 * into the MigrationDecision the reconciler carries out. Pure.
 */
import type {
  VirtualMachineInstance,
  VirtualMachineInstanceMigration,
  VirtualMachineInstanceMigrationCondition,
  VirtualMachineInstanceMigrationPhase,
  VirtualMachineInstanceMigrationState,
  VirtualMachineInstanceMigrationStatus,
  VirtualMachineInstanceStatus,
  VMIMConfigurationOptions,
} from '../../api/kubevirt/v1';
import { MIGRATION_PHASES } from '../../api/kubevirt/v1/migration';
import { MIGRATION_JOB_UID_LABEL } from '../../api/kubevirt/v1/migration-labels';
import type { EffectiveMigrationConfiguration } from '../../api/migrations/v1alpha1/effective';
import { setCondition, type EventSpec } from '../../kube';
import { stamp } from '../datavolume/conditions';
import { isMarkedForDeletion } from '../vm/run-strategy';
import type { LauncherPod } from '../vmi/phase';
import { isFinalMigration } from './limits';
import {
  ABORT_REQUESTED_CONDITION,
  EVENT_FAILED_MIGRATION,
  FAILURE_CONDITION,
  MIGRATION_FINALIZER,
  MIGRATION_SELECTOR_LABEL,
  MIGRATION_TARGET_NODE_LABEL,
  type FailureReason,
} from './names';

export interface MigrationInputs {
  readonly migration: VirtualMachineInstanceMigration;
  /** The VMI `spec.vmiName` names, if the cache has it. */
  readonly vmi?: VirtualMachineInstance;
  /** The VMI's launcher pods (kubevirt.io/created-by = its UID), target pods included. */
  readonly pods: readonly LauncherPod[];
  /** Every migration the controller sees, this one included (limits, migrations in flight). */
  readonly migrations: readonly VirtualMachineInstanceMigration[];
  readonly vmiNamed: (namespace: string, name: string) => VirtualMachineInstance | undefined;
  /** Whether a migration has a target pod (it holds a slot from then on). */
  readonly hasTargetPod: (m: VirtualMachineInstanceMigration) => boolean;
  /** The cluster-wide settings (KubeVirt's defaults and the KubeVirt object): the limits. */
  readonly cluster: VMIMConfigurationOptions;
  /**
   * The settings this migration runs with (cluster, then the matching MigrationPolicy). Needed
   * only for the hand-off; a round that gets there without them asks for them (needsConfiguration).
   */
  readonly effective?: EffectiveMigrationConfiguration;
  /** Errors the api/ validation finds in the migration (it may have been stored without admission). */
  readonly specProblems?: readonly string[];
  /** A target pod was created for this migration and the cache has not shown it yet. */
  readonly podCreationExpected?: boolean;
  readonly now: Date;
}

export interface PodDeletion {
  readonly name: string;
  readonly uid: string;
  /** Recorded on the migration once the pod is deleted. */
  readonly event?: EventSpec;
}

export interface MigrationEvent {
  /** The object the Event is about. */
  readonly on: 'migration' | 'vmi';
  readonly event: EventSpec;
}

export interface MigrationDecision {
  /** Add the finalizer to the migration. */
  readonly addFinalizer?: boolean;
  /** Set KubeVirt's kubevirt.io/vmi-name label on the migration to this VMI name. */
  readonly selectorLabel?: string;
  /** Create the target pod (rendered by renderMigrationTargetPod). */
  readonly createTargetPod?: boolean;
  readonly deletePods: readonly PodDeletion[];
  /** The VMI status to write (resourceVersion-checked) when this round changes it. */
  readonly vmiStatus?: VirtualMachineInstanceStatus;
  /** VMI labels to set (a value) or remove (null). */
  readonly vmiLabels?: Readonly<Record<string, string | null>>;
  readonly status: VirtualMachineInstanceMigrationStatus;
  readonly events: readonly MigrationEvent[];
  /** After the status is written: drop the finalizer (the migration is final). */
  readonly removeFinalizer?: boolean;
  /** Ask again with `effective` (the hand-off needs the namespace's labels for the policies). */
  readonly needsConfiguration?: boolean;
  /** Why the migration waits (for tests and logs). */
  readonly waiting?: string;
  readonly requeueAfterMs?: number;
}

/** The order of the phases a migration within the cluster goes through. */
const PHASES: readonly VirtualMachineInstanceMigrationPhase[] = MIGRATION_PHASES.slice(
  0,
  MIGRATION_PHASES.indexOf('Succeeded') + 1,
);

/** A phase's place in PHASES; -1 before Pending (and for Failed). */
export function rank(phase: string | undefined): number {
  return PHASES.indexOf(phase as VirtualMachineInstanceMigrationPhase);
}

export function podFinal(p: LauncherPod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

export function podLive(p: LauncherPod): boolean {
  return !isMarkedForDeletion(p) && !podFinal(p);
}

export class MigrationRound {
  readonly m: VirtualMachineInstanceMigration;
  readonly uid: string;
  readonly namespace: string;
  /** `namespace/name` of the VMI, for messages. */
  readonly vmiRef: string;
  readonly deleting: boolean;
  readonly status: VirtualMachineInstanceMigrationStatus;
  readonly events: MigrationEvent[] = [];
  readonly deletePods: PodDeletion[] = [];
  /** This migration's target pods (normally one), and the one that counts. */
  readonly targets: readonly LauncherPod[];
  readonly target: LauncherPod | undefined;
  private vmiStatus: VirtualMachineInstanceStatus | undefined;
  private vmiLabels: Record<string, string | null> | undefined;

  constructor(readonly i: MigrationInputs) {
    this.m = i.migration;
    this.uid = this.m.metadata?.uid ?? '';
    this.namespace = this.m.metadata?.namespace ?? '';
    this.vmiRef = `${this.namespace}/${this.m.spec?.vmiName ?? ''}`;
    this.deleting = isMarkedForDeletion(this.m);
    this.status = structuredClone(this.m.status ?? {});
    const uid = this.uid;
    this.targets = uid ? i.pods.filter((p) => p.metadata?.labels?.[MIGRATION_JOB_UID_LABEL] === uid) : [];
    this.target = this.targets.find(podLive) ?? this.targets[this.targets.length - 1];
  }

  /** The VMI's migrationState as it is after this round's writes. */
  get state(): VirtualMachineInstanceMigrationState | undefined {
    return (this.vmiStatus ?? this.i.vmi?.status)?.migrationState;
  }

  /** Handed off: the VMI's migrationState is this migration's. */
  get mine(): boolean {
    return this.uid !== '' && this.state?.migrationUid === this.uid;
  }

  /** The node the guest runs on while the migration has not completed. */
  get sourceNode(): string {
    return this.state?.sourceNode ?? this.i.vmi?.status?.nodeName ?? '';
  }

  changeVmi(change: (s: VirtualMachineInstanceStatus) => void): void {
    this.vmiStatus ??= structuredClone(this.i.vmi?.status ?? {});
    change(this.vmiStatus);
  }

  changeState(fields: Partial<VirtualMachineInstanceMigrationState>): void {
    this.changeVmi((s) => {
      s.migrationState = { ...s.migrationState, ...fields };
    });
  }

  setVmiLabel(key: string, value: string | null): void {
    this.vmiLabels = { ...this.vmiLabels, [key]: value };
  }

  event(on: MigrationEvent['on'], type: EventSpec['type'], reason: string, message: string): void {
    this.events.push({ on, event: { type, reason, message } });
  }

  enter(phase: VirtualMachineInstanceMigrationPhase): void {
    if (this.status.phase === phase) return;
    this.status.phase = phase;
    this.status.phaseTransitionTimestamps = [
      ...(this.status.phaseTransitionTimestamps ?? []),
      { phase, phaseTransitionTimestamp: stamp(this.i.now) },
    ];
  }

  /** Enter every phase after the current one up to `phase` (fast handlers may skip rounds). */
  advance(phase: VirtualMachineInstanceMigrationPhase): void {
    for (let k = rank(this.status.phase) + 1; k <= rank(phase); k++) this.enter(PHASES[k]);
  }

  private condition(c: VirtualMachineInstanceMigrationCondition): void {
    this.status.conditions = setCondition(this.status.conditions, c);
  }

  /** KubeVirt's condition of a migration deleted before it ended. */
  abortRequested(): void {
    const at = stamp(this.i.now);
    this.condition({
      type: ABORT_REQUESTED_CONDITION,
      status: 'True',
      lastProbeTime: at,
      lastTransitionTime: at,
    });
  }

  /** Failed, with the Failure condition saying why, and KubeVirt's FailedMigration Event. */
  fail(reason: FailureReason, message: string, event?: string): void {
    this.enter('Failed');
    this.condition({
      type: FAILURE_CONDITION,
      status: 'True',
      reason,
      message,
      lastProbeTime: null,
      lastTransitionTime: stamp(this.i.now),
    });
    if (event) this.event('migration', 'Warning', EVENT_FAILED_MIGRATION, event);
  }

  /** The controller saw the handed-off migration fail before the handlers did: the VMI says so. */
  failOnVmi(reason: string): void {
    const s = this.state;
    if (!this.mine || s?.failed || s?.completed) return;
    this.changeState({ failed: true, failureReason: reason, endTimestamp: stamp(this.i.now) });
    this.event(
      'vmi',
      'Warning',
      EVENT_FAILED_MIGRATION,
      `VirtualMachineInstance migration uid ${this.uid} failed. reason: ${reason}`,
    );
  }

  /** Delete a pod once (not one already being deleted). */
  deletePod(p: LauncherPod, event?: EventSpec): void {
    const name = p.metadata?.name ?? '';
    if (isMarkedForDeletion(p) || this.deletePods.some((d) => d.name === name)) return;
    this.deletePods.push({ name, uid: p.metadata?.uid ?? '', ...(event ? { event } : {}) });
  }

  /** The decision of a round that leaves the migration going (or waiting). */
  decision(extra: Partial<MigrationDecision> = {}): MigrationDecision {
    if (this.mine) this.status.migrationState = structuredClone(this.state);
    const finalizers = this.m.metadata?.finalizers ?? [];
    // Held while the migration is not final (a round that ends it has nothing to hold).
    const addFinalizer =
      !this.deleting &&
      !isFinalMigration({ status: this.status }) &&
      !finalizers.includes(MIGRATION_FINALIZER);
    // KubeVirt's webhook labels every migration with its VMI; virtkit's admission changes
    // nothing, so the controller does.
    const vmiName = this.m.spec?.vmiName;
    const selectorLabel =
      !this.deleting && vmiName && this.m.metadata?.labels?.[MIGRATION_SELECTOR_LABEL] !== vmiName
        ? vmiName
        : undefined;
    return {
      ...(addFinalizer ? { addFinalizer } : {}),
      ...(selectorLabel ? { selectorLabel } : {}),
      deletePods: this.deletePods,
      ...(this.vmiStatus ? { vmiStatus: this.vmiStatus } : {}),
      ...(this.vmiLabels ? { vmiLabels: this.vmiLabels } : {}),
      status: this.status,
      events: this.events,
      ...extra,
    };
  }

  /**
   * The decision of a round after which the migration is final: a failed migration's target pod
   * goes (unless the guest moved into it after all), what is left of a successful one's source
   * pod goes, the VMI's migration target label goes, and so does the finalizer.
   */
  finish(): MigrationDecision {
    const s = this.state;
    const vmi = this.i.vmi;
    if (this.status.phase === 'Failed' && !(this.mine && s?.completed && !s.failed))
      for (const t of this.targets) this.deletePod(t);
    if (this.status.phase === 'Succeeded' && this.mine && s?.sourcePod)
      for (const p of this.i.pods)
        if (p.metadata?.name === s.sourcePod && !this.targets.includes(p)) this.deletePod(p);
    if (this.mine && vmi && !isMarkedForDeletion(vmi) && vmi.metadata?.labels?.[MIGRATION_TARGET_NODE_LABEL])
      this.setVmiLabel(MIGRATION_TARGET_NODE_LABEL, null);
    const held = (this.m.metadata?.finalizers ?? []).includes(MIGRATION_FINALIZER);
    return this.decision(held ? { removeFinalizer: true } : {});
  }
}
