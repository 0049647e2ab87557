/**
 * An export's status from what was observed (pure, KubeVirt's updateCommonVMExportStatusFields
 * and links): phase Pending / Ready / Terminated / Skipped, the Ready condition (PodReady,
 * PodPending, PodCompleted, InUse, Initializing...) and the source's own condition, serviceName,
 * tokenSecretRef, ttlExpirationTime, virtualMachineName, and once the pod is Ready the links:
 * internal (`https://virt-export-<name>.<ns>.svc/...`, the export's own CA) and, when an
 * external host is known, external (`https://<host>/api/export.kubevirt.io/v1/namespaces/<ns>/
 * virtualmachineexports/<name>/...`, that host's CA). Conditions keep their transition time while
 * their status, reason and message stay the same.
 */
import {
  archiveUri,
  dirUri,
  EXTERNAL_PREFIX,
  externalBasePath,
  ExportCondition,
  ExportReason,
  INTERNAL_PREFIX,
  internalHost,
  MANIFESTS_ALL_PATH,
  MANIFESTS_SECRET_PATH,
  rawGzipUri,
  rawUri,
} from '../../api/export/exporter-pod';
import type { VirtualMachineExport, VirtualMachineExportStatus } from '../../api/export/v1';
import type { ConditionSpec, ExportClaim, SourceState } from './source-plan';
import { sourceAvailable } from './source-plan';
import { rfc3339 } from './ttl';

type Link = NonNullable<NonNullable<VirtualMachineExportStatus['links']>['internal']>;
type Condition = NonNullable<VirtualMachineExportStatus['conditions']>[number];

/** What the exporter pod looks like now. */
export interface PodView {
  readonly phase: string;
  readonly ready: boolean;
  readonly deleting: boolean;
}

export interface StatusInputs {
  readonly source: SourceState;
  /** The exporter pod, when it exists. */
  readonly pod?: PodView;
  readonly serviceName: string;
  /** The token Secret in use, once known. */
  readonly tokenSecretRef?: string;
  readonly expirationMs?: number;
  /** The export's CA (PEM), for the internal link. */
  readonly internalCa?: string;
  /** `host[:port]` users reach `virtkit api` at, and its CA (PEM): the external link. */
  readonly external?: { readonly host: string; readonly ca: string };
  readonly now: string;
}

/** A volume's formats and URLs under `base` (`https://host[/path]`), KubeVirt's layout. */
export function volumeLinks(claims: readonly ExportClaim[], base: string): NonNullable<Link['volumes']> {
  return claims.map((c) => ({
    name: c.volumeName ?? c.name,
    formats: c.image
      ? [
          { format: 'raw', url: `${base}${rawUri(c.name)}` },
          { format: 'gzip', url: `${base}${rawGzipUri(c.name)}` },
        ]
      : [
          { format: 'dir', url: `${base}${dirUri(c.name)}` },
          { format: 'tar.gz', url: `${base}${archiveUri(c.name)}` },
        ],
  }));
}

/** One side's link: the cert, the volumes and (VM source: all) the manifests. */
export function exportLink(
  claims: readonly ExportClaim[],
  base: string,
  side: typeof INTERNAL_PREFIX | typeof EXTERNAL_PREFIX,
  cert: string,
  withVm: boolean,
): Link {
  const manifests = [
    ...(withVm ? [{ type: 'all', url: `${base}${side}${MANIFESTS_ALL_PATH}` }] : []),
    { type: 'auth-header-secret', url: `${base}${side}${MANIFESTS_SECRET_PATH}` },
  ];
  return { cert, volumes: volumeLinks(claims, base), manifests };
}

/** The links of a Ready export (pure). */
export function exportLinks(
  e: VirtualMachineExport,
  claims: readonly ExportClaim[],
  withVm: boolean,
  internalCa: string,
  external?: { readonly host: string; readonly ca: string },
): NonNullable<VirtualMachineExportStatus['links']> {
  const ns = e.metadata?.namespace ?? '';
  const name = e.metadata?.name ?? '';
  return {
    internal: exportLink(claims, `https://${internalHost(ns, name)}`, INTERNAL_PREFIX, internalCa, withVm),
    ...(external
      ? {
          external: exportLink(
            claims,
            `https://${external.host}${externalBasePath(ns, name)}`,
            EXTERNAL_PREFIX,
            external.ca,
            withVm,
          ),
        }
      : {}),
  };
}

/** `c` with the transition time kept from `old` while nothing but the time changed. */
function withTime(c: ConditionSpec, old: readonly Condition[], now: string): Condition {
  const prev = old.find((o) => o.type === c.type);
  const same =
    prev &&
    prev.status === c.status &&
    (prev.reason ?? '') === c.reason &&
    (prev.message ?? '') === c.message;
  return {
    type: c.type as Condition['type'],
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : now,
  };
}

/** The status an export should have (pure). */
export function exportStatus(e: VirtualMachineExport, i: StatusInputs): VirtualMachineExportStatus {
  const old = e.status?.conditions ?? [];
  const s = i.source;
  let phase: NonNullable<VirtualMachineExportStatus['phase']> = 'Pending';
  let ready: ConditionSpec = s.readyCondition;
  let links: VirtualMachineExportStatus['links'] | undefined;
  const readyCond = (status: ConditionSpec['status'], reason: string, message = ''): ConditionSpec => ({
    type: ExportCondition.ready,
    status,
    reason,
    message,
  });
  if (s.skipped) {
    phase = 'Skipped';
  } else if (sourceAvailable(s) && i.pod && !i.pod.deleting) {
    if (i.pod.ready && i.pod.phase === 'Running') {
      phase = 'Ready';
      ready = readyCond('True', ExportReason.podReady);
      links = exportLinks(e, s.claims, s.vm !== undefined, i.internalCa ?? '', i.external);
    } else if (i.pod.phase === 'Succeeded') {
      phase = 'Terminated';
      ready = readyCond('False', ExportReason.podCompleted);
    } else if (i.pod.phase === 'Pending' || i.pod.phase === 'Running') {
      ready = readyCond('False', ExportReason.podPending);
    } else {
      ready = readyCond('False', ExportReason.unknown);
    }
  } else if (sourceAvailable(s)) {
    ready = readyCond('False', ExportReason.podPending, 'the exporter pod is being created');
  }
  const conditions = [withTime(ready, old, i.now)];
  if (s.sourceCondition) conditions.push(withTime(s.sourceCondition, old, i.now));
  else if (s.kind === 'VirtualMachine' || s.kind === 'PersistentVolumeClaim')
    conditions.push(withTime(pvcFromClaims(s.claims), old, i.now));
  return {
    phase,
    conditions,
    serviceName: i.serviceName,
    links: links ?? {},
    ...(i.tokenSecretRef ? { tokenSecretRef: i.tokenSecretRef } : {}),
    ...(i.expirationMs !== undefined ? { ttlExpirationTime: rfc3339(i.expirationMs) } : {}),
    ...(s.vmName ? { virtualMachineName: s.vmName } : {}),
  };
}

function pvcFromClaims(claims: readonly ExportClaim[]): ConditionSpec {
  if (!claims.length)
    return { type: ExportCondition.pvc, status: 'False', reason: ExportReason.unknown, message: '' };
  const bound = claims.every((c) => c.phase === 'Bound');
  return bound
    ? { type: ExportCondition.pvc, status: 'True', reason: ExportReason.pvcBound, message: '' }
    : { type: ExportCondition.pvc, status: 'False', reason: ExportReason.pvcPending, message: '' };
}
