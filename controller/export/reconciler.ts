/**
 * The export controller's reconciler (KubeVirt's virt-controller export controller): for one
 * VirtualMachineExport it deletes the export once its TTL has passed (KubeVirt deletes the export
 * itself; what it owns goes with it), makes its Service, its token Secret when
 * spec.tokenSecretRef names none, a snapshot source's restored claims, the server's TLS Secret, a
 * VM or snapshot source's manifests ConfigMap and the exporter pod while the source can be served, deletes the pod when the source stops being
 * available (ExportPaused) or the pod ended, and writes status from what it observed
 * (./status-plan.ts). Desired state comes from the pure plans beside it; writes are creates of
 * named objects (AlreadyExists is fine) and a status update guarded by the resourceVersion.
 */
import type { Logger } from '../../common/log';
import { randomInt } from 'crypto';
import type { DataVolume } from '../../api/cdi/v1beta1';
import {
  certSecretName,
  EXPORT_API_VERSION,
  EXPORT_KIND,
  exporterPodName,
  exportServiceName,
  internalHost,
  externalBasePath,
  manifestConfigMapName,
  TLS_CA_KEY,
  tokenSecretName,
} from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachineSnapshot, VirtualMachineSnapshotContent } from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import {
  APISERVICES,
  CONFIG_MAPS,
  errorMessage,
  isAlreadyExists,
  isNotFound,
  PODS,
  PVCS,
  SECRETS,
  SERVICES,
  type EventRecorder,
  type EventSpec,
  type Informer,
  type KeyedObject,
  type KubeClient,
  VIRTUAL_MACHINE_EXPORTS,
} from '../../kube';
import type { Claim } from '../datavolume/objects';
import type { ReconcileResult } from '../vm/reconciler';
import { issueExportCertificate, type IssuedCertificate } from './certificate';
import {
  desiredCertSecret,
  desiredExporterPod,
  desiredManifestConfigMap,
  desiredService,
  desiredTokenSecret,
} from './objects-plan';
import {
  sourceAvailable,
  sourceState,
  vmClaimNames,
  type SourceLookup,
  type SourceState,
} from './source-plan';
import { exportStatus, type PodView } from './status-plan';
import { expirationMs, rfc3339 } from './ttl';

/** KubeVirt's requeue while waiting for a source. */
export const EXPORT_REQUEUE_MS = 3000;
/** How long the external host and its CA are kept before being looked up again. */
const EXTERNAL_CACHE_MS = 30_000;
/** `virtkit api`'s Service and the APIService whose caBundle is its CA (apiserver/subresources/registration.ts). */
const API_SERVICE = { namespace: 'virtkit', name: 'virtkit-api' };
const SUBRESOURCES_APISERVICE = 'v1.subresources.kubevirt.io';

/** KubeVirt's token: 20 characters from letters and digits, from the crypto generator. */
export function generateToken(length = 20): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

export interface ExporterPodJson extends KeyedObject {
  metadata?: KeyedObject['metadata'] & {
    ownerReferences?: { uid?: string; controller?: boolean }[];
    deletionTimestamp?: string;
  };
  spec?: { nodeName?: string; volumes?: { persistentVolumeClaim?: { claimName?: string } }[] };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

export interface ExportInformers {
  readonly exports: Informer<VirtualMachineExport>;
  readonly exporterPods: Informer<ExporterPodJson>;
  readonly services: Informer<KeyedObject>;
  readonly vms: Informer<VirtualMachine>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly claims: Informer<Claim>;
  readonly dataVolumes: Informer<DataVolume>;
  /** Pods that may mount a claim (launcher pods, CDI worker pods). */
  readonly pods: readonly { readonly cache: { list(): readonly KeyedObject[] } }[];
  readonly vmSnapshots: Informer<VirtualMachineSnapshot>;
  readonly vmSnapshotContents: Informer<VirtualMachineSnapshotContent>;
  readonly volumeSnapshots: Informer<VolumeSnapshot>;
}

export interface ExportReconcilerOptions {
  /** The exporter pod's image. */
  readonly image: string;
  /** @default issueExportCertificate (openssl) */
  readonly issue?: (service: string, namespace: string, days: number) => Promise<IssuedCertificate>;
  /** @default Date.now */
  readonly now?: () => number;
  /** Where a failed lookup of the external link's host is said (once per lookup). @default silent */
  readonly log?: Logger;
}

const controlledBy = (o: ExporterPodJson | undefined, uid: string): boolean =>
  !!o?.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid);

function podView(p: ExporterPodJson): PodView {
  return {
    phase: p.status?.phase ?? 'Pending',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: !!p.metadata?.deletionTimestamp,
  };
}

export class ExportReconciler {
  private external: { at: number; value?: { host: string; ca: string } } | undefined;
  /** The export CA read from its TLS Secret, by export uid (it never changes for one export). */
  private readonly cas = new Map<string, string>();

  constructor(
    private readonly client: KubeClient,
    private readonly inf: ExportInformers,
    private readonly recorder: EventRecorder,
    private readonly o: ExportReconcilerOptions,
  ) {}

  private lookup(): SourceLookup {
    const key = (ns: string, n: string): string => `${ns}/${n}`;
    return {
      claim: (ns, n) => this.inf.claims.cache.get(key(ns, n)),
      dataVolume: (ns, n) => this.inf.dataVolumes.cache.get(key(ns, n)),
      vm: (ns, n) => this.inf.vms.cache.get(key(ns, n)),
      vmi: (ns, n) => this.inf.vmis.cache.get(key(ns, n)),
      vmSnapshot: (ns, n) => this.inf.vmSnapshots.cache.get(key(ns, n)),
      vmSnapshotContent: (ns, n) => this.inf.vmSnapshotContents.cache.get(key(ns, n)),
      volumeSnapshot: (ns, n) => this.inf.volumeSnapshots.cache.get(key(ns, n)),
      claimUsers: (ns, claim, uid) => {
        const users: string[] = [];
        for (const src of [...this.inf.pods, this.inf.exporterPods])
          for (const p of src.cache.list() as ExporterPodJson[]) {
            if (p.metadata?.namespace !== ns || controlledBy(p, uid)) continue;
            const phase = p.status?.phase;
            if (phase === 'Succeeded' || phase === 'Failed') continue;
            if (p.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === claim))
              users.push(p.metadata?.name ?? '');
          }
        return users;
      },
    };
  }

  private event(e: VirtualMachineExport, ev: EventSpec): void {
    void this.recorder.record(e, ev);
  }

  private async createOwned(rt: typeof SERVICES, ns: string, obj: unknown): Promise<boolean> {
    try {
      await this.client.create(rt, ns, obj);
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw err;
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.inf.exports.cache.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) return {};
    const e: VirtualMachineExport = { ...cached, apiVersion: EXPORT_API_VERSION, kind: EXPORT_KIND };
    const ns = e.metadata?.namespace ?? '';
    const name = e.metadata?.name ?? '';
    const uid = e.metadata?.uid ?? '';
    const now = (this.o.now ?? Date.now)();

    const expires = expirationMs(e);
    if (expires !== undefined && now >= expires) {
      // KubeVirt deletes the export itself; its pod, Service and Secrets go with it (owner references).
      try {
        await this.client.delete(VIRTUAL_MACHINE_EXPORTS, ns, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return {};
    }

    const svcName = exportServiceName(name);
    if (!this.inf.services.cache.get(`${ns}/${svcName}`))
      if (await this.createOwned(SERVICES, ns, desiredService(e)))
        this.event(e, {
          type: 'Normal',
          reason: 'ServiceCreated',
          message: `Created service ${ns}/${svcName}`,
        });

    const source = sourceState(e, this.lookup());
    const available = sourceAvailable(source);
    // A snapshot source's claims, restored from its VolumeSnapshots (KubeVirt names no Event for them).
    for (const claim of source.create ?? []) await this.createOwned(PVCS, ns, claim);

    let tokenSecretRef = e.spec.tokenSecretRef ?? e.status?.tokenSecretRef;
    if (!e.spec.tokenSecretRef && available) {
      tokenSecretRef = tokenSecretName(name);
      if (await this.createOwned(SECRETS, ns, desiredTokenSecret(e, tokenSecretRef, generateToken())))
        this.event(e, {
          type: 'Normal',
          reason: 'SecretCreated',
          message: `Created default secret ${ns}/${tokenSecretRef}`,
        });
    }

    const podName = exporterPodName(name);
    let pod = this.inf.exporterPods.cache.get(`${ns}/${podName}`);
    if (pod && !controlledBy(pod, uid)) {
      // Someone else's pod holds the name: leave it, and say so.
      return this.writeStatus(
        e,
        {
          ...source,
          inUse: true,
          readyCondition: {
            type: 'Ready',
            status: 'False',
            reason: 'InUse',
            message: `pod ${ns}/${podName} exists and is not this export's; delete it so the exporter pod can be made`,
          },
        },
        undefined,
        tokenSecretRef,
        expires,
        EXPORT_REQUEUE_MS,
      );
    }
    if (pod && !pod.metadata?.deletionTimestamp) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        await this.deletePod(
          e,
          podName,
          'ExporterPodFailedOrCompleted',
          `Exporter pod ${ns}/${podName} is in phase ${phase}`,
        );
        pod = undefined;
      } else if (!available) {
        await this.deletePod(e, podName, 'ExportPaused', source.readyCondition.message);
        pod = undefined;
      }
    }
    if (!pod && available && tokenSecretRef && expires !== undefined) {
      await this.ensureCertSecret(e, expires - now);
      const manifestConfigMap = source.vm ? await this.ensureManifests(e, source.vm, source) : undefined;
      const manifest = desiredExporterPod(e, source.claims, {
        image: this.o.image,
        tokenSecret: tokenSecretRef,
        certSecret: certSecretName(name),
        ...(manifestConfigMap ? { manifestConfigMap } : {}),
        deadline: rfc3339(expires),
      });
      if (await this.createOwned(PODS, ns, manifest))
        this.event(e, {
          type: 'Normal',
          reason: 'ExporterPodCreated',
          message: `Created exporter pod ${ns}/${podName}`,
        });
    }
    const view = pod ? podView(pod) : undefined;
    const waiting = !available || !view?.ready;
    const untilExpiry = expires !== undefined ? Math.max(1000, expires - now) : undefined;
    const requeue =
      waiting && !source.skipped ? Math.min(EXPORT_REQUEUE_MS, untilExpiry ?? Infinity) : untilExpiry;
    return this.writeStatus(e, source, view, tokenSecretRef, expires, requeue);
  }

  private async writeStatus(
    e: VirtualMachineExport,
    source: ReturnType<typeof sourceState>,
    pod: PodView | undefined,
    tokenSecretRef: string | undefined,
    expires: number | undefined,
    requeueAfterMs: number | undefined,
  ): Promise<ReconcileResult> {
    const ns = e.metadata?.namespace ?? '';
    const ready = !!pod?.ready;
    const status = exportStatus(e, {
      source,
      ...(pod ? { pod } : {}),
      serviceName: exportServiceName(e.metadata?.name ?? ''),
      ...(tokenSecretRef ? { tokenSecretRef } : {}),
      ...(expires !== undefined ? { expirationMs: expires } : {}),
      ...(ready ? { internalCa: await this.internalCa(e) } : {}),
      ...(ready ? await this.externalLink() : {}),
      now: rfc3339((this.o.now ?? Date.now)()),
    });
    if (JSON.stringify(status) !== JSON.stringify(e.status ?? {}))
      await this.client.updateStatus(VIRTUAL_MACHINE_EXPORTS, ns, e.metadata?.name ?? '', { ...e, status });
    return requeueAfterMs !== undefined ? { requeueAfterMs } : {};
  }

  private async deletePod(
    e: VirtualMachineExport,
    podName: string,
    reason: string,
    message: string,
  ): Promise<void> {
    this.event(e, { type: 'Warning', reason, message });
    try {
      await this.client.delete(PODS, e.metadata?.namespace ?? '', podName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** The server's TLS Secret: made once per export (its CA key is not kept). */
  private async ensureCertSecret(e: VirtualMachineExport, ttlLeftMs: number): Promise<void> {
    const ns = e.metadata?.namespace ?? '';
    const name = certSecretName(e.metadata?.name ?? '');
    if (await this.client.getIfExists(SECRETS, ns, name)) return;
    const issue = this.o.issue ?? issueExportCertificate;
    // Valid a day past the TTL, so the server never outlives its certificate.
    const pem = await issue(exportServiceName(e.metadata?.name ?? ''), ns, ttlLeftMs / 86_400_000 + 1);
    if (await this.createOwned(SECRETS, ns, desiredCertSecret(e, name, pem, TLS_CA_KEY)))
      this.cas.set(e.metadata?.uid ?? '', pem.ca);
  }

  private async ensureManifests(
    e: VirtualMachineExport,
    vm: VirtualMachine,
    source: { readonly manifestClaims?: SourceState['manifestClaims'] },
  ): Promise<string> {
    const ns = e.metadata?.namespace ?? '';
    const name = e.metadata?.name ?? '';
    const claims = source.manifestClaims
      ? source.manifestClaims.map((m) => m.claim)
      : vmClaimNames(vm)
          .map((c) => this.inf.claims.cache.get(`${ns}/${c}`))
          .filter((c): c is Claim => c !== undefined);
    const servedAs = Object.fromEntries(
      (source.manifestClaims ?? []).map((m) => [m.claim.metadata?.name ?? '', m.servedAs]),
    );
    const ext = await this.externalLink();
    const cm = desiredManifestConfigMap(
      e,
      vm,
      claims,
      {
        internal: internalHost(ns, name),
        ...(ext.external
          ? { external: `${ext.external.host}${externalBasePath(ns, name)}`, externalCa: ext.external.ca }
          : {}),
        internalCa: await this.internalCa(e),
      },
      servedAs,
    );
    if (await this.createOwned(CONFIG_MAPS, ns, cm))
      this.event(e, {
        type: 'Normal',
        reason: 'DataManifestCreated',
        message: `Created exporter data manifest ${ns}/${manifestConfigMapName(name)}`,
      });
    return manifestConfigMapName(name);
  }

  /** The export's CA, from its TLS Secret. */
  private async internalCa(e: VirtualMachineExport): Promise<string> {
    const uid = e.metadata?.uid ?? '';
    const known = this.cas.get(uid);
    if (known) return known;
    const s = await this.client.getIfExists<{ data?: Record<string, string> }>(
      SECRETS,
      e.metadata?.namespace ?? '',
      certSecretName(e.metadata?.name ?? ''),
    );
    const b64 = s?.data?.[TLS_CA_KEY];
    if (!b64) return '';
    const ca = Buffer.from(b64, 'base64').toString('utf8');
    this.cas.set(uid, ca);
    return ca;
  }

  /**
   * Where users reach exports from outside (KubeVirt looks for the Ingress or Route of its
   * virt-exportproxy): `virtkit api`'s Service virtkit/virtkit-api when it names a host (local
   * mode's ExternalName Service, `localhost:<port>`), with the CA of the APIService that names the
   * same server. Neither there: no external link, as in KubeVirt without an Ingress or Route.
   */
  private async externalLink(): Promise<{ external?: { host: string; ca: string } }> {
    const now = Date.now();
    if (this.external && now - this.external.at < EXTERNAL_CACHE_MS)
      return this.external.value ? { external: this.external.value } : {};
    let value: { host: string; ca: string } | undefined;
    try {
      const svc = await this.client.getIfExists<{
        spec?: { type?: string; externalName?: string; ports?: { port?: number }[] };
      }>(SERVICES, API_SERVICE.namespace, API_SERVICE.name);
      const port = svc?.spec?.ports?.[0]?.port;
      const host = svc?.spec?.type === 'ExternalName' ? svc.spec.externalName : undefined;
      if (host && /^[a-z0-9.-]+$/i.test(host) && port) {
        const api = await this.client.getIfExists<{ spec?: { caBundle?: string } }>(
          APISERVICES,
          undefined,
          SUBRESOURCES_APISERVICE,
        );
        const ca = api?.spec?.caBundle ? Buffer.from(api.spec.caBundle, 'base64').toString('utf8') : '';
        if (ca) value = { host: `${host}:${port}`, ca };
      }
    } catch (err) {
      // Not allowed or unreachable: no external link this round, said once per lookup.
      this.o.log?.warn(
        { err: errorMessage(err) },
        `exports get no external link for now: reading Service ${API_SERVICE.namespace}/${API_SERVICE.name} or APIService ${SUBRESOURCES_APISERVICE} failed`,
      );
    }
    this.external = { at: now, ...(value ? { value } : {}) };
    return value ? { external: value } : {};
  }
}
