/**
 * The objects an export owns, as desired state (pure): the Service `virt-export-<name>`, the
 * generated token Secret `export-token-<name>` (key `token`), the TLS Secret of the server, the
 * manifests ConfigMap of a VM source and the exporter pod `virt-export-<name>`: KubeVirt's labels
 * (`kubevirt.io: virt-exporter`, `kubevirt.io.virt-export-service: <name>`), each claim mounted
 * read-only at /export-volumes/<volume> (or given as a device at /dev/export-volumes/<volume>),
 * KubeVirt's environment (VOLUME<i>_EXPORT_*, CERT_FILE, KEY_FILE, TOKEN_FILE, DEADLINE,
 * EXPORT_*_DEF_URI), the certificate at /cert, the token at /token, the manifests at
 * /manifest_data, and the readiness probe on /exportready. Every object is controlled by the
 * export, so deleting it takes them all.
 */
import {
  archiveUri,
  BLOCK_MOUNT_PATH,
  CERT_MOUNT_PATH,
  CERT_VOLUME,
  claimVolumeName,
  dataVolumeManifestKey,
  dirUri,
  EXPORT_API_VERSION,
  EXPORT_KIND,
  EXPORT_READY_PATH,
  EXPORT_SERVER_PORT,
  EXPORT_SERVICE_LABEL,
  EXPORT_SERVICE_PORT,
  ExporterEnv,
  EXPORTER_APP_LABEL,
  EXPORTER_APP_VALUE,
  EXPORTER_CONTAINER,
  exporterPodName,
  exportServiceName,
  FILESYSTEM_MOUNT_PATH,
  MANIFEST_MOUNT_PATH,
  MANIFEST_VOLUME,
  manifestConfigMapName,
  ManifestKeys,
  MANIFESTS_ALL_PATH,
  MANIFESTS_SECRET_PATH,
  rawGzipUri,
  rawUri,
  TLS_CERT_KEY,
  TLS_KEY_KEY,
  TOKEN_KEY,
  TOKEN_MOUNT_PATH,
  volumeEnv,
} from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import type { OwnerReference } from '../../api/k8s/meta';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type { Claim } from '../datavolume/objects';
import type { ExportClaim } from './source-plan';

/** KubeVirt's fsGroup for the exporter pod (the qemu group, 107). */
export const EXPORTER_FS_GROUP = 107;

type Json = Record<string, unknown>;

/** The export as the controller of what it owns. */
export function exportOwnerRef(e: VirtualMachineExport): OwnerReference {
  return {
    apiVersion: EXPORT_API_VERSION,
    kind: EXPORT_KIND,
    name: e.metadata?.name ?? '',
    uid: e.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function meta(e: VirtualMachineExport, name: string, extra: Json = {}): Json {
  return {
    name,
    namespace: e.metadata?.namespace ?? '',
    ownerReferences: [exportOwnerRef(e)],
    ...extra,
  };
}

/** The Service in front of the exporter pod (KubeVirt's: 443 → 8443, selecting the export's pod). */
export function desiredService(e: VirtualMachineExport): Json {
  const name = e.metadata?.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(e, exportServiceName(name), { labels: { [EXPORTER_APP_LABEL]: EXPORTER_APP_VALUE } }),
    spec: {
      ports: [{ name: 'export', protocol: 'TCP', port: EXPORT_SERVICE_PORT, targetPort: EXPORT_SERVER_PORT }],
      selector: { [EXPORT_SERVICE_LABEL]: name },
    },
  };
}

/** The generated token Secret (Opaque, key `token`), with the token given (random, from the caller). */
export function desiredTokenSecret(e: VirtualMachineExport, secretName: string, token: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: meta(e, secretName),
    stringData: { [TOKEN_KEY]: token },
  };
}

/** The server's TLS Secret (kubernetes.io/tls), with the export's CA beside it. */
export function desiredCertSecret(
  e: VirtualMachineExport,
  secretName: string,
  pem: { readonly cert: string; readonly key: string; readonly ca: string },
  caKey: string,
): Json {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: meta(e, secretName),
    stringData: { [TLS_CERT_KEY]: pem.cert, [TLS_KEY_KEY]: pem.key, [caKey]: pem.ca },
  };
}

/**
 * The manifests ConfigMap of a VM or VM snapshot source (KubeVirt's keys): the VM without status
 * and server fields, one DataVolume per claim no DataVolume template makes (an http source
 * pointing back here, filled in by the server), the hosts and the export's name; and, for a
 * snapshot, the claim each volume is served as (virtkit's `served-claims`).
 */
export function desiredManifestConfigMap(
  e: VirtualMachineExport,
  vm: VirtualMachine,
  claims: readonly Claim[],
  hosts: {
    readonly internal: string;
    readonly external?: string;
    /** The CAs (PEM) of each side, served in the CA ConfigMap of `manifests/all`. */
    readonly internalCa?: string;
    readonly externalCa?: string;
  },
  /** The claim each of `claims` is served as, when not itself (a snapshot export's restores). */
  servedAs: Readonly<Record<string, string>> = {},
): Json {
  const name = e.metadata?.name ?? '';
  const data: Record<string, string> = {
    [ManifestKeys.vm]: JSON.stringify(cleanVm(vm)),
    [ManifestKeys.exportName]: name,
    [ManifestKeys.internalHost]: hosts.internal,
  };
  if (hosts.external) data[ManifestKeys.externalHost] = hosts.external;
  if (hosts.internalCa) data[ManifestKeys.internalCa] = hosts.internalCa;
  if (hosts.externalCa) data[ManifestKeys.externalCa] = hosts.externalCa;
  if (Object.keys(servedAs).length) data[ManifestKeys.servedClaims] = JSON.stringify(servedAs);
  const templated = new Set((vm.spec?.dataVolumeTemplates ?? []).map((t) => t.metadata?.name));
  for (const c of claims) {
    const n = c.metadata?.name ?? '';
    if (!n || templated.has(n)) continue;
    data[dataVolumeManifestKey(n)] = JSON.stringify(dataVolumeForClaim(c));
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(e, manifestConfigMapName(name)),
    data,
  };
}

/** A VM as one re-imports it: name, namespace, labels, annotations and spec; no status, uid or versions. */
export function cleanVm(vm: VirtualMachine): Json {
  const m = vm.metadata ?? {};
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.annotations ? { annotations: stripServerAnnotations(m.annotations) } : {}),
    },
    spec: vm.spec,
  };
}

/** kubectl's last-applied copy would re-import the old object: it goes. */
function stripServerAnnotations(a: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a))
    if (k !== 'kubectl.kubernetes.io/last-applied-configuration') out[k] = v;
  return out;
}

/** A DataVolume that imports a claim's export over http (KubeVirt's createExportHttpDvFromPVC). */
export function dataVolumeForClaim(c: Claim): Json {
  const spec = c.spec ?? {};
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: c.metadata?.name, namespace: c.metadata?.namespace },
    spec: {
      source: { http: { url: '' } },
      storage: {
        ...(spec.accessModes ? { accessModes: spec.accessModes } : {}),
        ...(spec.resources ? { resources: spec.resources } : {}),
        ...(spec.volumeMode ? { volumeMode: spec.volumeMode } : {}),
        ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
      },
    },
  };
}

export interface PodInputs {
  readonly image: string;
  /** The token Secret in use (spec.tokenSecretRef, or the generated one). */
  readonly tokenSecret: string;
  readonly certSecret: string;
  /** The manifests ConfigMap (VM source). */
  readonly manifestConfigMap?: string;
  /** RFC 3339: when the server stops (the TTL's end). */
  readonly deadline: string;
}

/** The exporter pod (KubeVirt's shape; see the file comment). */
export function desiredExporterPod(
  e: VirtualMachineExport,
  claims: readonly ExportClaim[],
  o: PodInputs,
): Json {
  const name = e.metadata?.name ?? '';
  const env: { name: string; value: string }[] = [];
  const mounts: Json[] = [];
  const devices: Json[] = [];
  const volumes: Json[] = [];
  claims.forEach((c, i) => {
    const vol = claimVolumeName(c.name);
    const at = `${c.block ? BLOCK_MOUNT_PATH : FILESYSTEM_MOUNT_PATH}/${vol}`;
    if (c.block) devices.push({ name: vol, devicePath: at });
    else mounts.push({ name: vol, mountPath: at, readOnly: true });
    volumes.push({ name: vol, persistentVolumeClaim: { claimName: c.name, readOnly: true } });
    env.push({ name: volumeEnv(i, 'PATH'), value: at });
    if (c.image)
      env.push(
        { name: volumeEnv(i, 'RAW_URI'), value: rawUri(c.name) },
        { name: volumeEnv(i, 'RAW_GZIP_URI'), value: rawGzipUri(c.name) },
      );
    else
      env.push(
        { name: volumeEnv(i, 'ARCHIVE_URI'), value: archiveUri(c.name) },
        { name: volumeEnv(i, 'DIR_URI'), value: dirUri(c.name) },
      );
  });
  env.push(
    { name: ExporterEnv.certFile, value: `${CERT_MOUNT_PATH}/${TLS_CERT_KEY}` },
    { name: ExporterEnv.keyFile, value: `${CERT_MOUNT_PATH}/${TLS_KEY_KEY}` },
    { name: ExporterEnv.tokenFile, value: `${TOKEN_MOUNT_PATH}/${TOKEN_KEY}` },
    { name: ExporterEnv.deadline, value: o.deadline },
    { name: ExporterEnv.secretDefUri, value: MANIFESTS_SECRET_PATH },
  );
  if (o.manifestConfigMap) env.push({ name: ExporterEnv.vmDefUri, value: MANIFESTS_ALL_PATH });
  volumes.push(
    { name: CERT_VOLUME, secret: { secretName: o.certSecret } },
    { name: o.tokenSecret, secret: { secretName: o.tokenSecret } },
  );
  mounts.push(
    { name: CERT_VOLUME, mountPath: CERT_MOUNT_PATH, readOnly: true },
    { name: o.tokenSecret, mountPath: TOKEN_MOUNT_PATH, readOnly: true },
  );
  if (o.manifestConfigMap) {
    volumes.push({ name: MANIFEST_VOLUME, configMap: { name: o.manifestConfigMap } });
    mounts.push({ name: MANIFEST_VOLUME, mountPath: MANIFEST_MOUNT_PATH, readOnly: true });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(e, exporterPodName(name), {
      labels: { [EXPORTER_APP_LABEL]: EXPORTER_APP_VALUE, [EXPORT_SERVICE_LABEL]: name },
    }),
    spec: {
      restartPolicy: 'Never',
      securityContext: {
        runAsNonRoot: true,
        fsGroup: EXPORTER_FS_GROUP,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: EXPORTER_CONTAINER,
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['virtkit', 'exporter', '--from-env'],
          env,
          ports: [{ name: 'export', containerPort: EXPORT_SERVER_PORT, protocol: 'TCP' }],
          volumeMounts: mounts,
          ...(devices.length ? { volumeDevices: devices } : {}),
          readinessProbe: {
            httpGet: { scheme: 'HTTPS', path: EXPORT_READY_PATH, port: EXPORT_SERVER_PORT },
            initialDelaySeconds: 5,
            periodSeconds: 5,
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
      volumes,
    },
  };
}
