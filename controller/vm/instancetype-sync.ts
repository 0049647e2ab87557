/**
 * The VM controller's instancetype step, KubeVirt's order (its instancetype controller's Sync):
 * find what `spec.instancetype` and `spec.preference` name (the namespaced kinds in the VM's
 * namespace, the cluster-wide ones, also when the matcher names no kind); the first time, or
 * when the matcher changes, check the instancetype against the VM (a conflict refuses the copy)
 * and store each object in a ControllerRevision the VM owns (./instancetype-revision.ts); then
 * read the specs back from the revisions `status` names, which is what the VM's VMIs are built
 * from. A matcher with `inferFromVolume` gets its name from the volume's labels the first time
 * (./infer-from-volume.ts); status keeps what was found. Reads come from the informer caches,
 * with a GET when the cache has not seen an object yet (a revision just written). Every failure names the VM, the field, the object and the
 * fix, with KubeVirt's reasons: FailedFindInstancetype / FailedFindPreference for what cannot
 * be found, FailedCreate for what cannot be stored.
 */
import type { InstancetypeStatusRef, VirtualMachine, VirtualMachineSpec } from '../../api/kubevirt/v1';
import type {
  VirtualMachineInstancetypeSpec,
  VirtualMachinePreferenceSpec,
} from '../../api/instancetype/v1beta1';
import {
  conflictsMessage,
  describeReference,
  expansionProblems,
  resolveReference,
  type ReferenceField,
  type ResolvedReference,
  type ResolvedSpecs,
} from '../../api/instancetype/expand';
import { apiVersionOf } from '../../api/kind';
import { issueText } from '../../api/validation/issue';
import { validateAs } from '../../api/validation/validate';
import {
  CONTROLLER_REVISIONS,
  DATA_SOURCES,
  DATA_VOLUMES,
  PVCS,
  errorMessage,
  isAlreadyExists,
  isNotFound,
  KubeApiError,
  type Informer,
  type KubeClient,
  type ResourceType,
} from '../../kube';
import {
  definitionOf,
  instancetypeRevision,
  objectOfRevision,
  planStatusRef,
  type ControllerRevision,
  type InstancetypeObject,
} from './instancetype-revision';
import { isDeepStrictEqual } from 'util';
import {
  DEFAULT_NAME_LABEL,
  InferenceError,
  inferFromVolume,
  withInferred,
  type Inferred,
  type VolumeSources,
} from './infer-from-volume';

/** The informers the step reads from (the manager creates and starts them). */
export interface InstancetypeInformers {
  readonly instancetypes: Informer<InstancetypeObject>;
  readonly clusterInstancetypes: Informer<InstancetypeObject>;
  readonly preferences: Informer<InstancetypeObject>;
  readonly clusterPreferences: Informer<InstancetypeObject>;
  readonly revisions: Informer<ControllerRevision>;
}

/** The revisions cache's index of a revision's controlling owner (a VM's uid). */
export const REVISION_OWNER_INDEX = 'controllerUid';

export const STORE_FAILURE_PREFIX =
  'error encountered while storing instancetype.kubevirt.io controllerRevisions: ';

export interface InstancetypeFailure {
  readonly reason: string;
  readonly message: string;
  /** A fault of the API (retried with back-off), not of the objects (waits for a change). */
  readonly retry: boolean;
  /**
   * Looked at again after a while: what inferFromVolume reads (PVCs, DataVolumes,
   * DataSources) is not watched, so a label added later is found this way.
   */
  readonly recheck?: boolean;
}

export interface StatusRefs {
  readonly instancetypeRef?: InstancetypeStatusRef;
  readonly preferenceRef?: InstancetypeStatusRef;
}

export type InstancetypeSyncResult =
  | {
      readonly ok: true;
      readonly specs: ResolvedSpecs;
      readonly refs: StatusRefs;
      /** What inferFromVolume found per field (null: ignored); apply with withInferred(). */
      readonly inferred: Partial<Record<ReferenceField, Inferred | null>>;
    }
  | { readonly ok: false; readonly failure: InstancetypeFailure };

const FIND_REASON: Readonly<Record<ReferenceField, string>> = {
  instancetype: 'FailedFindInstancetype',
  preference: 'FailedFindPreference',
};

class Failure extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly retry = false,
    readonly recheck = false,
  ) {
    super(message);
  }
}

function resourceOf(ref: ResolvedReference): ResourceType {
  return {
    apiVersion: apiVersionOf(ref.definition),
    kind: ref.definition.kind,
    plural: ref.definition.plural,
    namespaced: ref.definition.scope === 'Namespaced',
  };
}

function vmName(vm: VirtualMachine): string {
  return `${vm.metadata?.namespace}/${vm.metadata?.name}`;
}

export class InstancetypeSync {
  constructor(
    private readonly client: KubeClient,
    private readonly informers: InstancetypeInformers,
  ) {}

  /** The VM's ControllerRevisions (its instancetype copies and start revisions), from the cache. */
  revisionsOf(vm: VirtualMachine): ControllerRevision[] {
    return this.informers.revisions.cache.byIndex(REVISION_OWNER_INDEX, vm.metadata?.uid ?? '');
  }

  /**
   * Resolve and, where needed, store the VM's instancetype and preference; the specs its VMIs
   * are built from and the status refs that name their revisions.
   */
  async sync(vm: VirtualMachine): Promise<InstancetypeSyncResult> {
    try {
      const inferred: Partial<Record<ReferenceField, Inferred | null>> = {};
      const instancetype = await this.syncField(vm, 'instancetype', inferred);
      const preference = await this.syncField(vm, 'preference', inferred);
      return {
        ok: true,
        inferred,
        specs: {
          ...(instancetype ? { instancetype: instancetype.spec as VirtualMachineInstancetypeSpec } : {}),
          ...(preference ? { preference: preference.spec as VirtualMachinePreferenceSpec } : {}),
        },
        refs: {
          ...(instancetype ? { instancetypeRef: instancetype.ref } : {}),
          ...(preference ? { preferenceRef: preference.ref } : {}),
        },
      };
    } catch (err) {
      if (err instanceof Failure)
        return {
          ok: false,
          failure: { reason: err.reason, message: err.message, retry: err.retry, recheck: err.recheck },
        };
      return {
        ok: false,
        failure: {
          reason: 'FailedCreate',
          message: `${STORE_FAILURE_PREFIX}${errorMessage(err)}`,
          retry: true,
        },
      };
    }
  }

  /**
   * The specs a start revision's spec names through its matchers' `revisionName` (for
   * RestartRequired); undefined when one of them cannot be read.
   */
  async specsOfStartSpec(namespace: string, spec: VirtualMachineSpec): Promise<ResolvedSpecs | undefined> {
    const out: { instancetype?: VirtualMachineInstancetypeSpec; preference?: VirtualMachinePreferenceSpec } =
      {};
    for (const field of ['instancetype', 'preference'] as const) {
      const matcher = spec[field];
      if (!matcher) continue;
      if (!matcher.revisionName) return undefined;
      try {
        const revision = await this.revision(namespace, matcher.revisionName);
        const held = revision && objectOfRevision(revision, field);
        if (!held || 'error' in held) return undefined;
        out[field] = held.object.spec as never;
      } catch {
        return undefined;
      }
    }
    return out;
  }

  private async syncField(
    original: VirtualMachine,
    field: ReferenceField,
    inferred: Partial<Record<ReferenceField, Inferred | null>>,
  ): Promise<{ spec: unknown; ref: InstancetypeStatusRef } | undefined> {
    const matcher = original.spec[field];
    if (!matcher) return undefined;
    const reason = FIND_REASON[field];
    let vm = original;
    if (matcher.inferFromVolume) {
      const found = await this.infer(original, field);
      inferred[field] = found;
      if (!found) return undefined;
      // The matcher names what was found and keeps inferFromVolume, so status records both.
      vm = structuredClone(original);
      vm.spec[field] = {
        ...matcher,
        name: found.name,
        ...(found.kind ? { kind: found.kind } : { kind: undefined }),
      };
    }
    const plan = planStatusRef(vm, field);
    if (!plan) return undefined;
    const { ref, error } = resolveReference(vm, field);
    if (error || !ref)
      throw new Failure(reason, `${error ?? `spec.${field} names nothing`} (VirtualMachine ${vmName(vm)})`);
    const namespace = vm.metadata?.namespace ?? '';
    if (!plan.capture) {
      const name = plan.ref.controllerRevisionRef!.name!;
      const revision = await this.revision(namespace, name);
      if (!revision) {
        const where = matcher.revisionName
          ? `spec.${field}.revisionName names it: create it, or remove spec.${field}.revisionName to copy the ${describeReference(ref)} again`
          : `status.${field}Ref of VirtualMachine ${vmName(vm)} names it (the copy of the ${describeReference(ref)} the VM was first started with): to take a new copy, remove status.${field}Ref (kubectl patch vm ${vm.metadata?.name} --subresource=status --type=json -p '[{"op":"remove","path":"/status/${field}Ref"}]')`;
        throw new Failure(reason, `controllerrevisions.apps ${JSON.stringify(name)} not found; ${where}`);
      }
      const held = objectOfRevision(revision, field);
      if ('error' in held)
        throw new Failure(reason, `${held.error} (VirtualMachine ${vmName(vm)}, spec.${field})`);
      return { spec: held.object.spec, ref: plan.ref };
    }
    const obj = await this.object(vm, field, ref);
    if (field === 'instancetype') this.checkConflicts(withInferred(original, inferred), obj);
    const revision = await this.store(vm, obj);
    return { spec: obj.spec, ref: { ...plan.ref, controllerRevisionRef: { name: revision.metadata?.name } } };
  }

  /**
   * What `spec[field].inferFromVolume` names: what status recorded when it was captured, else
   * the volume's labels now; null when an ignorable failure meets the Ignore policy.
   */
  private async infer(vm: VirtualMachine, field: ReferenceField): Promise<Inferred | null> {
    const matcher = vm.spec[field]!;
    const prev = field === 'instancetype' ? vm.status?.instancetypeRef : vm.status?.preferenceRef;
    if (prev?.name && prev.inferFromVolume === matcher.inferFromVolume && prev.controllerRevisionRef?.name)
      return { name: prev.name, ...(prev.kind ? { kind: prev.kind } : {}) };
    try {
      return await inferFromVolume(vm, field, this.volumeSources);
    } catch (err) {
      if (!(err instanceof InferenceError))
        throw new Failure(
          FIND_REASON[field],
          `inferring spec.${field} from a volume: ${errorMessage(err)}`,
          true,
        );
      if (err.ignorable && matcher.inferFromVolumeFailurePolicy === 'Ignore') return null;
      const ignore = err.ignorable
        ? `, or set spec.${field}.inferFromVolumeFailurePolicy: Ignore to run without it`
        : '';
      throw new Failure(
        FIND_REASON[field],
        `${err.message} (spec.${field}.inferFromVolume ${JSON.stringify(matcher.inferFromVolume)} of VirtualMachine ${vmName(vm)}); label the volume's PVC, DataVolume or DataSource with ${DEFAULT_NAME_LABEL[field]}, or set spec.${field}.name instead${ignore}`,
        false,
        true,
      );
    }
  }

  /** GETs of what inferFromVolume walks (PVCs, DataVolumes, DataSources); undefined when missing. */
  private readonly volumeSources: VolumeSources = {
    pvc: (ns, name) => this.client.getIfExists(PVCS, ns, name),
    dataVolume: (ns, name) => this.client.getIfExists(DATA_VOLUMES, ns, name),
    dataSource: (ns, name) => this.client.getIfExists(DATA_SOURCES, ns, name),
  };

  /** The object a matcher names, from the cache or the API, checked against its kind's schema. */
  private async object(
    vm: VirtualMachine,
    field: ReferenceField,
    ref: ResolvedReference,
  ): Promise<InstancetypeObject> {
    const informer = this.informerOf(field, ref);
    const key = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
    let obj = informer.cache.get(key);
    if (!obj) {
      try {
        obj = await this.client.get<InstancetypeObject>(resourceOf(ref), ref.namespace, ref.name);
      } catch (err) {
        const words =
          err instanceof KubeApiError && err.serverMessage ? err.serverMessage : errorMessage(err);
        if (isNotFound(err))
          throw new Failure(
            FIND_REASON[field],
            `${words}; spec.${field} of VirtualMachine ${vmName(vm)} names the ${describeReference(ref)}: create it, or set spec.${field}.name (and .kind) to one that exists`,
          );
        throw new Failure(FIND_REASON[field], `reading the ${describeReference(ref)}: ${words}`, true);
      }
    }
    const problems = validateAs(ref.definition, obj, { schemaOnly: true }).filter(
      (i) => i.severity === 'error',
    );
    if (problems.length)
      throw new Failure(
        FIND_REASON[field],
        `the ${describeReference(ref)} named by spec.${field} of VirtualMachine ${vmName(vm)} is not valid: ${problems
          .slice(0, 3)
          .map(issueText)
          .join('; ')}; fix the ${ref.definition.kind}, or name another in spec.${field}`,
      );
    return {
      ...obj,
      apiVersion: obj.apiVersion ?? apiVersionOf(ref.definition),
      kind: obj.kind ?? ref.definition.kind,
    };
  }

  private informerOf(field: ReferenceField, ref: ResolvedReference): Informer<InstancetypeObject> {
    const cluster = ref.definition === definitionOf(field, undefined);
    if (field === 'instancetype')
      return cluster ? this.informers.clusterInstancetypes : this.informers.instancetypes;
    return cluster ? this.informers.clusterPreferences : this.informers.preferences;
  }

  /** KubeVirt checks once more before it stores: the instancetype may have changed since admission. */
  private checkConflicts(vm: VirtualMachine, obj: InstancetypeObject): void {
    const alone: VirtualMachine = { ...vm, spec: { ...vm.spec, preference: undefined } };
    const problems = expansionProblems(alone, {
      instancetype: obj.spec as VirtualMachineInstancetypeSpec,
    }).filter((p) => p.kind === 'InstancetypeConflict');
    if (!problems.length) return;
    const detail =
      problems.length === 1
        ? problems[0].message
        : `${conflictsMessage(problems)}; ${problems.map((p) => p.message).join('; ')}`;
    throw new Failure('FailedCreate', `${STORE_FAILURE_PREFIX}${detail}`);
  }

  /** Create the revision of `obj`; one already there must hold the same spec (KubeVirt's check). */
  private async store(vm: VirtualMachine, obj: InstancetypeObject): Promise<ControllerRevision> {
    const built = instancetypeRevision(vm, obj);
    if ('error' in built) throw new Failure('FailedCreate', `${STORE_FAILURE_PREFIX}${built.error}`);
    const { revision } = built;
    const namespace = vm.metadata?.namespace;
    const name = revision.metadata?.name ?? '';
    try {
      return await this.client.create<ControllerRevision>(CONTROLLER_REVISIONS, namespace, revision);
    } catch (err) {
      if (!isAlreadyExists(err))
        throw new Failure(
          'FailedCreate',
          `${STORE_FAILURE_PREFIX}failed to create ControllerRevision: ${errorMessage(err)}`,
          true,
        );
    }
    const existing = await this.revision(namespace ?? '', name);
    const spec = (existing?.data as InstancetypeObject | undefined)?.spec;
    if (!existing || !isDeepStrictEqual(spec, obj.spec))
      throw new Failure(
        'FailedCreate',
        `${STORE_FAILURE_PREFIX}found existing ControllerRevision with unexpected data: ${name}; delete ControllerRevision ${namespace}/${name} so the VM controller can store the ${obj.kind} again`,
      );
    return existing;
  }

  /** A revision by name: the cache first, then the API (a revision written a moment ago). */
  private async revision(namespace: string, name: string): Promise<ControllerRevision | undefined> {
    const cached = this.informers.revisions.cache.get(`${namespace}/${name}`);
    if (cached) return cached;
    return this.client.getIfExists<ControllerRevision>(CONTROLLER_REVISIONS, namespace, name);
  }
}
