/**
 * The claim of a DataVolume (pure): same name and namespace, controlled by the DataVolume, with
 * CDI's labels and annotations, and its spec from `spec.pvc` (as written) or `spec.storage`
 * (completed as CDI completes it: access and volume modes defaulted, the filesystem overhead
 * added to the requested size, the source's size for a clone that gives none). Also whether a
 * claim of that name that already exists may be used.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { OwnerReference } from '../../api/k8s/meta';
import { importerPodName, UPLOAD_POD_ANNOTATION, UPLOAD_REQUEST_ANNOTATION } from '../../api/cdi/worker-pod';
import { uploadPodName } from '../../api/cdi/upload-pod';
import { requiredSpace } from '../../api/cdi/size';
import { parseQuantity } from '../../api/quantity';
import { controllerRefTo } from '../replicas/ownership';
import { Ann, CLAIM_LABELS, Message, Reason, SourceAnn } from './cdi-names';
import type { Claim, StorageClass } from './objects';
import { dvName, type ResolvedSource } from './source';

export interface ClaimInputs {
  readonly dv: DataVolume;
  readonly source: Extract<ResolvedSource, { type: 'import' | 'clone' | 'upload' }>;
  /** The class the claim names, or the cluster's default class when it names none. */
  readonly storageClass?: StorageClass;
  /** For a clone: the source claim (its size when the DataVolume gives none). */
  readonly sourceClaim?: Claim;
  /** CDI's filesystem overhead, a fraction in [0, 1). */
  readonly overhead: number;
}

export type ClaimResult =
  | { readonly ok: true; readonly claim: Claim }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** The DataVolume as the controller of its claim. */
export function dataVolumeRef(dv: DataVolume): OwnerReference {
  return controllerRefTo({ ...dv, apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume' });
}

function invalid(message: string): ClaimResult {
  return { ok: false, reason: Reason.claimNotValid, message };
}

/** The claim's spec, or why none can be made. */
function claimSpec(i: ClaimInputs): { spec: NonNullable<Claim['spec']> } | { problem: ClaimResult } {
  const { dv } = i;
  const name = dvName(dv);
  if (dv.spec.pvc) {
    const spec = structuredClone(dv.spec.pvc);
    if (!spec.resources?.requests?.storage) {
      const size = i.source.type === 'clone' ? i.sourceClaim?.spec?.resources?.requests?.storage : undefined;
      if (!size)
        return {
          problem: invalid(
            `DataVolume ${name}: spec.pvc.resources.requests.storage is missing; give the claim's size (e.g. 10Gi)`,
          ),
        };
      spec.resources = { ...spec.resources, requests: { ...spec.resources?.requests, storage: size } };
    }
    return { spec };
  }
  const st = dv.spec.storage;
  if (!st)
    return {
      problem: invalid(
        `DataVolume ${name} has neither spec.pvc nor spec.storage; give one of them with a size`,
      ),
    };
  const volumeMode = st.volumeMode && st.volumeMode !== 'FromStorageProfile' ? st.volumeMode : 'Filesystem';
  const spec: NonNullable<Claim['spec']> = {
    accessModes: st.accessModes?.length ? [...st.accessModes] : ['ReadWriteOnce'],
    volumeMode,
  };
  const className = st.storageClassName ?? i.storageClass?.metadata?.name;
  if (className) spec.storageClassName = className;
  for (const k of ['selector', 'volumeName', 'dataSource', 'dataSourceRef'] as const)
    if (st[k] !== undefined) (spec as Record<string, unknown>)[k] = structuredClone(st[k]);
  const requested = st.resources?.requests?.storage;
  let storage: string;
  if (requested !== undefined) {
    const bytes = parseQuantity(requested);
    if (bytes === undefined || bytes <= 0)
      return {
        problem: invalid(
          `DataVolume ${name}: spec.storage.resources.requests.storage ${JSON.stringify(requested)} is not a positive size; write e.g. 10Gi`,
        ),
      };
    storage = volumeMode === 'Filesystem' ? String(requiredSpace(i.overhead, bytes)) : String(requested);
  } else if (i.source.type === 'clone') {
    // The source claim's request already includes its filesystem's overhead: taken as it is.
    const fromSource = i.sourceClaim?.spec?.resources?.requests?.storage;
    if (!fromSource)
      return {
        problem: invalid(
          `DataVolume ${name}: spec.storage gives no size and the source claim ${i.source.namespace}/${i.source.name} requests none; give spec.storage.resources.requests.storage`,
        ),
      };
    storage = String(fromSource);
  } else {
    return {
      problem: invalid(
        `DataVolume ${name}: spec.storage.resources.requests.storage is missing; only a clone may leave the size out (e.g. give 10Gi)`,
      ),
    };
  }
  spec.resources = {
    ...(st.resources?.limits ? { limits: { ...st.resources.limits } } : {}),
    requests: { storage },
  };
  return { spec };
}

/** The annotations describing the source, as CDI writes them on the claim. */
function sourceAnnotations(dv: DataVolume, source: ClaimInputs['source']): Record<string, string> {
  const a: Record<string, string> = {};
  const s = dv.spec.source;
  if (source.type === 'clone') {
    a[Ann.cloneRequest] = `${source.namespace}/${source.name}`;
    return a;
  }
  if (source.type === 'upload') {
    // CDI's upload controller serves claims that carry this annotation.
    a[UPLOAD_REQUEST_ANNOTATION] = '';
    return a;
  }
  if (source.kind === 'http' && s?.http) {
    a[Ann.source] = SourceAnn.http;
    a[Ann.endpoint] = s.http.url;
    if (s.http.secretRef) a[Ann.secret] = s.http.secretRef;
    if (s.http.certConfigMap) a[Ann.certConfigMap] = s.http.certConfigMap;
  } else if (source.kind === 'registry' && s?.registry) {
    a[Ann.source] = SourceAnn.registry;
    a[Ann.endpoint] = s.registry.url ?? '';
    if (s.registry.secretRef) a[Ann.secret] = s.registry.secretRef;
    if (s.registry.certConfigMap) a[Ann.certConfigMap] = s.registry.certConfigMap;
    a[Ann.registryImportMethod] = s.registry.pullMethod ?? 'pod';
  } else {
    a[Ann.source] = SourceAnn.none;
  }
  return a;
}

export function renderClaim(i: ClaimInputs): ClaimResult {
  const { dv } = i;
  const r = claimSpec(i);
  if ('problem' in r) return r.problem;
  const name = dv.metadata?.name ?? '';
  const annotations: Record<string, string> = { ...(dv.metadata?.annotations ?? {}) };
  delete annotations[Ann.lastApplied];
  Object.assign(annotations, sourceAnnotations(dv, i.source), {
    [Ann.podRestarts]: '0',
    [Ann.contentType]: dv.spec.contentType ?? 'kubevirt',
    ...(i.source.type === 'upload'
      ? { [UPLOAD_POD_ANNOTATION]: uploadPodName(name) }
      : { [Ann.importPod]: importerPodName(name) }),
  });
  if (dv.spec.preallocation !== undefined)
    annotations[Ann.preallocationRequested] = String(dv.spec.preallocation);
  return {
    ok: true,
    claim: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: dv.metadata?.namespace,
        labels: { ...(dv.metadata?.labels ?? {}), ...CLAIM_LABELS },
        annotations,
        ownerReferences: [dataVolumeRef(dv)],
      },
      spec: r.spec,
    },
  };
}

/**
 * What to do with a claim of the DataVolume's name: use it (ours), adopt it (CDI's
 * populatedFor annotation names this DataVolume: the data is there already), or leave it alone
 * and say so (a user's claim is never touched).
 */
export type ClaimOwnership =
  | { readonly use: 'ours' }
  | { readonly use: 'adopt' }
  | { readonly use: 'refuse'; readonly reason: string; readonly message: string };

export function claimOwnership(dv: DataVolume, claim: Claim): ClaimOwnership {
  const name = claim.metadata?.name ?? '';
  if (claim.metadata?.deletionTimestamp)
    return {
      use: 'refuse',
      reason: Reason.resourceMarkedForDeletion,
      message: Message.resourceMarkedForDeletion(name),
    };
  const ctrl = claim.metadata?.ownerReferences?.find((o) => o.controller);
  if (ctrl?.uid && ctrl.uid === dv.metadata?.uid) return { use: 'ours' };
  if (!ctrl && claim.metadata?.annotations?.[Ann.populatedFor] === dv.metadata?.name) return { use: 'adopt' };
  return {
    use: 'refuse',
    reason: Reason.resourceExists,
    message: `${Message.resourceExists(name)}; delete or rename that claim, or annotate it ${Ann.populatedFor}: ${dv.metadata?.name} if it already holds the data`,
  };
}
