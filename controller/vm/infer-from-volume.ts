/**
 * `spec.instancetype.inferFromVolume` / `spec.preference.inferFromVolume`: the name (and kind)
 * come from the labels `instancetype.kubevirt.io/default-instancetype` (`-kind`) or
 * `instancetype.kubevirt.io/default-preference` (`-kind`) on what the named volume is made
 * from, following KubeVirt's chains:
 *
 *   volume → persistentVolumeClaim → PVC
 *   volume → dataVolume → the VM's dataVolumeTemplate of that name → source.pvc → PVC,
 *                                                                 or sourceRef → DataSource (→ its source PVC)
 *   volume → dataVolume → DataVolume (its labels, else its source.pvc / sourceRef as above;
 *                                     a DataVolume garbage-collected away → the PVC of its name)
 *
 * KubeVirt's messages, each marked ignorable or not: with `inferFromVolumeFailurePolicy:
 * Ignore`, an ignorable failure (no label, a volume type or source that carries none) drops
 * the matcher instead of refusing the VM. KubeVirt infers in its mutating webhook and writes the
 * result into spec; virtkit's controller infers once, the first time it captures the
 * instancetype, and records the result in status (see ./instancetype-revision.ts). The walk is
 * pure over the `VolumeSources` it is given (the controller's are GETs).
 */
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type { ReferenceField } from '../../api/instancetype/expand';

export const DEFAULT_NAME_LABEL: Readonly<Record<ReferenceField, string>> = {
  instancetype: 'instancetype.kubevirt.io/default-instancetype',
  preference: 'instancetype.kubevirt.io/default-preference',
};
export const DEFAULT_KIND_LABEL: Readonly<Record<ReferenceField, string>> = {
  instancetype: 'instancetype.kubevirt.io/default-instancetype-kind',
  preference: 'instancetype.kubevirt.io/default-preference-kind',
};

interface Labelled {
  metadata?: { labels?: Record<string, string> };
}

/** The parts of a DataVolume spec inference reads. */
export interface DataVolumeSourceSpec {
  source?: { pvc?: { name?: string; namespace?: string } } & Record<string, unknown>;
  sourceRef?: { kind?: string; name?: string; namespace?: string };
}

export interface VolumeSources {
  pvc(namespace: string, name: string): Promise<Labelled | undefined>;
  dataVolume(
    namespace: string,
    name: string,
  ): Promise<(Labelled & { spec?: DataVolumeSourceSpec }) | undefined>;
  dataSource(
    namespace: string,
    name: string,
  ): Promise<
    (Labelled & { spec?: { source?: { pvc?: { name?: string; namespace?: string } } } }) | undefined
  >;
}

/** Why inference failed, in KubeVirt's words; `ignorable` failures give way to the Ignore policy. */
export class InferenceError extends Error {
  constructor(
    message: string,
    readonly ignorable: boolean,
  ) {
    super(message);
  }
}

export interface Inferred {
  readonly name: string;
  /** The kind label's value, when the object has one (empty = the cluster-wide kind). */
  readonly kind?: string;
}

const notFound = (resource: string, name: string): InferenceError =>
  new InferenceError(`${resource} ${JSON.stringify(name)} not found`, false);

function fromLabels(obj: Labelled, field: ReferenceField): Inferred {
  const labels = obj.metadata?.labels ?? {};
  const name = labels[DEFAULT_NAME_LABEL[field]];
  if (!name)
    throw new InferenceError(
      `unable to find required ${DEFAULT_NAME_LABEL[field]} label on the volume`,
      true,
    );
  const kind = labels[DEFAULT_KIND_LABEL[field]];
  return kind ? { name, kind } : { name };
}

async function fromPvc(
  src: VolumeSources,
  field: ReferenceField,
  ns: string,
  name: string,
): Promise<Inferred> {
  const pvc = await src.pvc(ns, name);
  if (!pvc) throw notFound('persistentvolumeclaims', name);
  return fromLabels(pvc, field);
}

async function fromDataSource(
  src: VolumeSources,
  field: ReferenceField,
  ns: string,
  name: string,
): Promise<Inferred> {
  const ds = await src.dataSource(ns, name);
  if (!ds) throw notFound('datasources.cdi.kubevirt.io', name);
  try {
    return fromLabels(ds, field);
  } catch (err) {
    const pvc = ds.spec?.source?.pvc;
    if (pvc?.name) return fromPvc(src, field, pvc.namespace || ns, pvc.name);
    if (err instanceof InferenceError)
      throw new InferenceError(
        "unable to infer defaults from DataSource that doesn't provide DataVolumeSourcePVC",
        true,
      );
    throw err;
  }
}

async function fromDataVolumeSpec(
  src: VolumeSources,
  field: ReferenceField,
  ns: string,
  spec: DataVolumeSourceSpec | undefined,
): Promise<Inferred> {
  const pvc = spec?.source?.pvc;
  if (pvc?.name) return fromPvc(src, field, pvc.namespace || ns, pvc.name);
  const ref = spec?.sourceRef;
  if (ref) {
    if (ref.kind !== 'DataSource')
      throw new InferenceError(
        `unable to infer defaults from DataVolumeSourceRef as Kind ${ref.kind ?? ''} is not supported`,
        true,
      );
    return fromDataSource(src, field, ref.namespace || ns, ref.name ?? '');
  }
  throw new InferenceError(
    'unable to infer defaults from DataVolumeSpec as DataVolumeSource is not supported',
    true,
  );
}

async function fromDataVolume(
  src: VolumeSources,
  field: ReferenceField,
  vm: VirtualMachine,
  name: string,
): Promise<Inferred> {
  const ns = vm.metadata?.namespace ?? '';
  const template = vm.spec.dataVolumeTemplates?.find((t) => t.metadata?.name === name);
  if (template) return fromDataVolumeSpec(src, field, ns, template.spec as DataVolumeSourceSpec);
  const dv = await src.dataVolume(ns, name);
  if (!dv) return fromPvc(src, field, ns, name);
  try {
    return fromLabels(dv, field);
  } catch {
    return fromDataVolumeSpec(src, field, ns, dv.spec);
  }
}

/** The name (and kind) `vm.spec[field].inferFromVolume` leads to; throws an InferenceError. */
export async function inferFromVolume(
  vm: VirtualMachine,
  field: ReferenceField,
  src: VolumeSources,
): Promise<Inferred> {
  const volumeName = vm.spec[field]?.inferFromVolume ?? '';
  const volume = vm.spec.template?.spec?.volumes?.find((v) => v.name === volumeName);
  if (!volume) throw new InferenceError(`unable to find volume ${volumeName} to infer defaults`, false);
  if (volume.persistentVolumeClaim)
    return fromPvc(src, field, vm.metadata?.namespace ?? '', volume.persistentVolumeClaim.claimName ?? '');
  if (volume.dataVolume) return fromDataVolume(src, field, vm, volume.dataVolume.name ?? '');
  throw new InferenceError(
    `unable to infer defaults from volume ${volumeName} as type is not supported`,
    true,
  );
}

/**
 * The VM as its VMIs are built from it once inference is done: each inferred matcher names
 * what was found (`inferred[field]`), or is dropped (`null`: an ignored failure). As KubeVirt
 * does, a VM whose instancetype was inferred under the Ignore policy loses its template's
 * `memory` (the fallback size written for when inference fails). Pure.
 */
export function withInferred(
  vm: VirtualMachine,
  inferred: Partial<Record<ReferenceField, Inferred | null>>,
): VirtualMachine {
  if (!Object.keys(inferred).length) return vm;
  const out = structuredClone(vm);
  for (const field of ['instancetype', 'preference'] as const) {
    const found = inferred[field];
    if (found === undefined) continue;
    if (found === null) {
      delete out.spec[field];
      continue;
    }
    const matcher = out.spec[field]!;
    const ignore = matcher.inferFromVolumeFailurePolicy === 'Ignore';
    out.spec[field] = { name: found.name, ...(found.kind ? { kind: found.kind } : {}) };
    if (field === 'instancetype' && ignore && out.spec.template?.spec?.domain)
      delete out.spec.template.spec.domain.memory;
  }
  return out;
}
