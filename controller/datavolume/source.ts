/**
 * What fills a DataVolume's claim, decided from its spec (and the DataSource a sourceRef names):
 * an import (http, registry, blank), a clone of a claim, an upload, or a refusal that says what virtkit
 * does not do yet and what to write instead. Pure.
 */
import type { DataSource, DataVolume } from '../../api/cdi/v1beta1';
import { Message, Reason } from './cdi-names';

export type ImportKind = 'http' | 'registry' | 'blank';

export type ResolvedSource =
  | { readonly type: 'import'; readonly kind: ImportKind }
  /** CDI's upload: an upload server pod waits for `virtkit image-upload` (virtctl image-upload). */
  | { readonly type: 'upload' }
  | {
      readonly type: 'clone';
      readonly namespace: string;
      readonly name: string;
      /** "<namespace>/<name>" of the DataSource it came through, when it came through one. */
      readonly via?: string;
    }
  | {
      readonly type: 'blocked';
      readonly reason: string;
      readonly message: string;
      /** The DataSource it waits for ("<namespace>/<name>"), to be woken when it appears. */
      readonly waitsFor?: string;
    };

export function dvName(dv: DataVolume): string {
  return `${dv.metadata?.namespace ?? ''}/${dv.metadata?.name ?? ''}`;
}

function notSupported(dv: DataVolume, field: string, fix: string): ResolvedSource {
  return {
    type: 'blocked',
    reason: Reason.notSupported,
    message: `DataVolume ${dvName(dv)}: ${field} is not supported by virtkit yet; ${fix}`,
  };
}

const IMPORT_INSTEAD = 'import the image with spec.source.http or spec.source.registry instead';

/** The DataSource `sourceRef` names ("<namespace>/<name>"), or undefined when there is none. */
export function sourceRefKey(dv: DataVolume): string | undefined {
  const ref = dv.spec.sourceRef;
  if (!ref) return undefined;
  return `${ref.namespace || dv.metadata?.namespace || ''}/${ref.name}`;
}

/**
 * Decide the source. `dataSource` looks a DataSource up by "<namespace>/<name>" (the informer
 * cache); a missing one blocks the DataVolume until it appears (CDI waits the same way).
 */
export function resolveSource(
  dv: DataVolume,
  dataSource: (key: string) => DataSource | undefined,
): ResolvedSource {
  const ns = dv.metadata?.namespace ?? '';
  const ref = dv.spec.sourceRef;
  if (ref) {
    if (ref.kind !== 'DataSource')
      return {
        type: 'blocked',
        reason: Reason.claimNotValid,
        message: `DataVolume ${dvName(dv)}: spec.sourceRef.kind "${ref.kind}" is not supported; CDI's only kind is DataSource`,
      };
    const key = sourceRefKey(dv) ?? '';
    const ds = dataSource(key);
    if (!ds)
      return {
        type: 'blocked',
        reason: Reason.cloneWithoutSource,
        message: `${Message.cloneWithoutSource('DataSource', key)}; DataVolume ${dvName(dv)} waits for it (spec.sourceRef)`,
        waitsFor: key,
      };
    const src = ds.spec?.source ?? {};
    if (src.pvc) return { type: 'clone', namespace: src.pvc.namespace || ns, name: src.pvc.name, via: key };
    if (src.snapshot)
      return notSupported(
        dv,
        `DataSource ${key} spec.source.snapshot (VolumeSnapshot ${src.snapshot.namespace}/${src.snapshot.name})`,
        'point the DataSource at a PersistentVolumeClaim (spec.source.pvc)',
      );
    return notSupported(
      dv,
      `DataSource ${key} without spec.source.pvc`,
      'point the DataSource at a PersistentVolumeClaim (spec.source.pvc)',
    );
  }
  const s = dv.spec.source;
  if (!s)
    return {
      type: 'blocked',
      reason: Reason.claimNotValid,
      message: `DataVolume ${dvName(dv)} has neither spec.source nor spec.sourceRef; set one of them`,
    };
  if (s.http) {
    if (s.http.secretExtraHeaders?.length)
      return notSupported(
        dv,
        'spec.source.http.secretExtraHeaders',
        'put the headers in spec.source.http.extraHeaders',
      );
    return { type: 'import', kind: 'http' };
  }
  if (s.registry) {
    const r = s.registry;
    if (r.imageStream)
      return notSupported(dv, 'spec.source.registry.imageStream', 'give spec.source.registry.url');
    if (r.pullMethod === 'node')
      return notSupported(dv, 'spec.source.registry.pullMethod "node"', 'leave pullMethod out (pod)');
    if (!r.url?.startsWith('docker://'))
      return {
        type: 'blocked',
        reason: Reason.claimNotValid,
        message: `DataVolume ${dvName(dv)}: spec.source.registry.url ${JSON.stringify(r.url ?? '')} is not a docker:// image reference; write docker://<registry>/<repository>:<tag>`,
      };
    return { type: 'import', kind: 'registry' };
  }
  if (s.blank) return { type: 'import', kind: 'blank' };
  if (s.pvc) return { type: 'clone', namespace: s.pvc.namespace || ns, name: s.pvc.name };
  if (s.upload) return { type: 'upload' };
  if (s.snapshot) return notSupported(dv, 'spec.source.snapshot', 'clone a claim with spec.source.pvc');
  for (const k of ['s3', 'gcs', 'imageio', 'vddk'] as const)
    if (s[k]) return notSupported(dv, `spec.source.${k}`, IMPORT_INSTEAD);
  return {
    type: 'blocked',
    reason: Reason.claimNotValid,
    message: `DataVolume ${dvName(dv)}: spec.source names no source; set one of http, registry, blank or pvc`,
  };
}

/**
 * Where a clone may read from. Admission authorized the DataVolume's creator (or the VM's
 * ServiceAccount) on the namespace the spec names (apiserver/admission/clone-authorization.ts),
 * and the spec cannot change: a claim named directly (`spec.source.pvc`) may be in any
 * namespace. Through a DataSource, what was authorized is the DataSource's namespace, so the
 * claim it points at must be in that namespace (or be the DataVolume's own namespace);
 * otherwise whoever may edit the DataSource could point it anywhere.
 */
export function crossNamespaceRefusal(
  dv: DataVolume,
  src: { namespace: string; name: string; via?: string },
): ResolvedSource | undefined {
  const ns = dv.metadata?.namespace ?? '';
  if (src.namespace === ns || !src.via) return undefined;
  const dsNamespace = src.via.slice(0, src.via.indexOf('/'));
  if (src.namespace === dsNamespace) return undefined;
  return {
    type: 'blocked',
    reason: Reason.claimNotValid,
    message: `DataVolume ${dvName(dv)}: DataSource ${src.via} points at PersistentVolumeClaim ${src.namespace}/${src.name} in another namespace than its own; a DataSource is cloned from only when its claim is in the DataSource's namespace (${dsNamespace}), which is what was authorized; point the DataSource at a claim in ${dsNamespace}, or name the claim with spec.source.pvc`,
  };
}
