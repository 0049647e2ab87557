/**
 * An exporter pod read as a plan (pure): the pod is recognised by KubeVirt's label
 * (`kubevirt.io: virt-exporter`) and read field by field against the contract the export
 * controller builds it from (api/export/exporter-pod.ts): one container `exporter`; each claim a
 * persistentVolumeClaim volume mounted read-only at /export-volumes/<volume> (or a device at
 * /dev/export-volumes/<volume>), named by VOLUME<i>_EXPORT_PATH, with the URIs that say whether it
 * holds an image (raw, gzip) or a directory (dir, tar.gz) and that must be KubeVirt's for that
 * claim; the TLS Secret at /cert, the token Secret at /token, the manifests ConfigMap at
 * /manifest_data, and the RFC 3339 DEADLINE. Nothing of the container (image, command) is run:
 * the runner starts its own `virtkit exporter` with flags built from this plan. Every problem is
 * gathered into one refusal naming the pod, the field, the value and the fix.
 */
import {
  archiveUri,
  BLOCK_MOUNT_PATH,
  CERT_MOUNT_PATH,
  CERT_VOLUME,
  claimVolumeName,
  dirUri,
  EXPORT_SERVICE_LABEL,
  ExporterEnv,
  EXPORTER_APP_LABEL,
  EXPORTER_APP_VALUE,
  EXPORTER_CONTAINER,
  FILESYSTEM_MOUNT_PATH,
  MANIFEST_MOUNT_PATH,
  MANIFEST_VOLUME,
  MANIFESTS_ALL_PATH,
  MANIFESTS_SECRET_PATH,
  rawGzipUri,
  rawUri,
  TLS_CERT_KEY,
  TLS_KEY_KEY,
  TOKEN_KEY,
  TOKEN_MOUNT_PATH,
  VOLUME_ENV,
  volumeEnv,
} from '../../api/export/exporter-pod';

export interface ExporterPodJson {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
    readonly deletionGracePeriodSeconds?: number;
  };
  readonly spec?: {
    readonly nodeName?: string;
    readonly terminationGracePeriodSeconds?: number;
    readonly containers?: readonly {
      readonly name: string;
      readonly env?: readonly {
        readonly name: string;
        readonly value?: string;
        readonly valueFrom?: unknown;
      }[];
      readonly volumeMounts?: readonly {
        readonly name?: string;
        readonly mountPath?: string;
        readonly readOnly?: boolean;
      }[];
      readonly volumeDevices?: readonly { readonly name?: string; readonly devicePath?: string }[];
    }[];
    readonly volumes?: readonly {
      readonly name: string;
      readonly persistentVolumeClaim?: { readonly claimName?: string };
      readonly secret?: { readonly secretName?: string };
      readonly configMap?: { readonly name?: string };
    }[];
  };
}

export interface ExporterPlanVolume {
  readonly claim: string;
  /** The pod volume's name (the claim's, dots turned to dashes). */
  readonly volume: string;
  readonly block: boolean;
  readonly kind: 'image' | 'archive';
}

export interface ExporterPlan {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The export the pod serves (its kubevirt.io.virt-export-service label). */
  readonly exportName: string;
  readonly volumes: readonly ExporterPlanVolume[];
  readonly certSecret: string;
  readonly tokenSecret: string;
  readonly manifestConfigMap?: string;
  /** Epoch ms. */
  readonly deadline: number;
}

export class ExporterPlanError extends Error {
  constructor(
    readonly pod: string,
    readonly problems: readonly string[],
  ) {
    super(`exporter pod ${pod}: ${problems.join('; ')}`);
    this.name = 'ExporterPlanError';
  }
}

export function isExporterPod(pod: ExporterPodJson): boolean {
  return pod.metadata?.labels?.[EXPORTER_APP_LABEL] === EXPORTER_APP_VALUE;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const isName = (s: string | undefined): s is string => !!s && s.length <= 253 && DNS_SUBDOMAIN.test(s);
const show = (v: unknown): string => JSON.stringify(typeof v === 'string' ? v.slice(0, 100) : (v ?? null));
const FIX = ' (the export controller builds this pod: delete it and let the controller make it again)';

/** The plan of an exporter pod; throws ExporterPlanError with every problem found. */
export function parseExporterPlan(pod: ExporterPodJson): ExporterPlan {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const problems: string[] = [];
  const say = (m: string): void => void problems.push(m);

  const exportName = pod.metadata?.labels?.[EXPORT_SERVICE_LABEL];
  if (!exportName || exportName.length > 253 || !DNS_SUBDOMAIN.test(exportName))
    say(
      `metadata.labels[${EXPORT_SERVICE_LABEL}] ${show(exportName)} must name the VirtualMachineExport${FIX}`,
    );
  const containers = pod.spec?.containers ?? [];
  const c = containers.find((x) => x.name === EXPORTER_CONTAINER);
  if (!c || containers.length !== 1)
    throw new ExporterPlanError(`${namespace}/${name}`, [
      `spec.containers must be exactly one container named "${EXPORTER_CONTAINER}" (found ${containers.map((x) => show(x.name)).join(', ') || 'none'})${FIX}`,
    ]);

  const env = new Map<string, string>();
  for (const e of c.env ?? []) {
    if (e.valueFrom !== undefined) {
      say(`env ${show(e.name)} must be a literal value, not valueFrom${FIX}`);
      continue;
    }
    const known = VOLUME_ENV.test(e.name) || (Object.values(ExporterEnv) as string[]).includes(e.name);
    if (!known) say(`env ${show(e.name)} is not one the exporter reads; remove it${FIX}`);
    else if (env.has(e.name)) say(`env ${e.name} is given twice; keep one${FIX}`);
    else env.set(e.name, e.value ?? '');
  }
  const want = (n: string, v: string): void => {
    if (env.get(n) !== v) say(`env ${n} ${show(env.get(n))} must be ${v}${FIX}`);
  };
  want(ExporterEnv.certFile, `${CERT_MOUNT_PATH}/${TLS_CERT_KEY}`);
  want(ExporterEnv.keyFile, `${CERT_MOUNT_PATH}/${TLS_KEY_KEY}`);
  want(ExporterEnv.tokenFile, `${TOKEN_MOUNT_PATH}/${TOKEN_KEY}`);
  if (env.has(ExporterEnv.secretDefUri)) want(ExporterEnv.secretDefUri, MANIFESTS_SECRET_PATH);
  const deadlineText = env.get(ExporterEnv.deadline) ?? '';
  const deadline = Date.parse(deadlineText);
  if (!RFC3339.test(deadlineText) || !Number.isFinite(deadline))
    say(
      `env ${ExporterEnv.deadline} ${show(deadlineText)} must be an RFC 3339 time such as 2024-05-01T12:00:00Z${FIX}`,
    );

  const volumesByName = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const mounts = c.volumeMounts ?? [];
  const devices = c.volumeDevices ?? [];
  const mountOf = (vol: string): { mountPath?: string; readOnly?: boolean } | undefined =>
    mounts.find((m) => m.name === vol);

  const volumes: ExporterPlanVolume[] = [];
  for (let i = 0; env.has(volumeEnv(i, 'PATH')); i++) {
    const at = env.get(volumeEnv(i, 'PATH')) ?? '';
    const block = at.startsWith(`${BLOCK_MOUNT_PATH}/`);
    const base = block ? BLOCK_MOUNT_PATH : FILESYSTEM_MOUNT_PATH;
    const vol = at.slice(base.length + 1);
    if (!at.startsWith(`${base}/`) || !DNS_LABEL.test(vol) || vol.length > 63) {
      say(
        `env ${volumeEnv(i, 'PATH')} ${show(at)} must be ${FILESYSTEM_MOUNT_PATH}/<volume> or ${BLOCK_MOUNT_PATH}/<volume>${FIX}`,
      );
      continue;
    }
    const claim = volumesByName.get(vol)?.persistentVolumeClaim?.claimName;
    if (!isName(claim) || claimVolumeName(claim) !== vol) {
      say(
        `volume ${vol} must be a persistentVolumeClaim volume whose claimName gives that name (got ${show(claim)})${FIX}`,
      );
      continue;
    }
    if (block) {
      if (!devices.some((d) => d.name === vol && d.devicePath === at))
        say(`volume ${vol} must be a volumeDevice at ${at}${FIX}`);
    } else {
      const m = mountOf(vol);
      if (m?.mountPath !== at) say(`volume ${vol} must be mounted at ${at}${FIX}`);
      else if (m.readOnly !== true)
        say(`volume ${vol} must be mounted readOnly: true; an export never writes a claim${FIX}`);
    }
    const rawGiven = env.get(volumeEnv(i, 'RAW_URI'));
    const archGiven = env.get(volumeEnv(i, 'ARCHIVE_URI'));
    let kind: 'image' | 'archive';
    if (rawGiven !== undefined) {
      kind = 'image';
      if (rawGiven !== rawUri(claim))
        say(`env ${volumeEnv(i, 'RAW_URI')} ${show(rawGiven)} must be ${rawUri(claim)}${FIX}`);
      const gz = env.get(volumeEnv(i, 'RAW_GZIP_URI'));
      if (gz !== rawGzipUri(claim))
        say(`env ${volumeEnv(i, 'RAW_GZIP_URI')} ${show(gz)} must be ${rawGzipUri(claim)}${FIX}`);
      if (archGiven !== undefined || env.has(volumeEnv(i, 'DIR_URI')))
        say(`volume ${vol} is given both image and directory URIs; keep one kind${FIX}`);
    } else {
      kind = 'archive';
      if (block) say(`volume ${vol} is a device: it can only be served as an image (RAW_URI)${FIX}`);
      if (archGiven !== archiveUri(claim))
        say(`env ${volumeEnv(i, 'ARCHIVE_URI')} ${show(archGiven)} must be ${archiveUri(claim)}${FIX}`);
      const d = env.get(volumeEnv(i, 'DIR_URI'));
      if (d !== dirUri(claim))
        say(`env ${volumeEnv(i, 'DIR_URI')} ${show(d)} must be ${dirUri(claim)}${FIX}`);
    }
    if (volumes.some((v) => v.claim === claim)) say(`claim ${claim} is exported twice; keep one${FIX}`);
    volumes.push({ claim, volume: vol, block, kind });
  }
  for (const n of env.keys()) {
    const m = VOLUME_ENV.exec(n);
    if (m && !env.has(volumeEnv(Number(m[1]), 'PATH')))
      say(`env ${n} names a volume with no ${volumeEnv(Number(m[1]), 'PATH')}${FIX}`);
  }
  if (!volumes.length && !problems.length) say(`no VOLUME0_EXPORT_PATH: the pod exports nothing${FIX}`);

  const secretAt = (mountPath: string, what: string): string | undefined => {
    const m = mounts.find((x) => x.mountPath === mountPath);
    const s = m ? volumesByName.get(m.name ?? '')?.secret?.secretName : undefined;
    if (!isName(s)) {
      say(`the ${what} must be a secret volume mounted at ${mountPath} (got ${show(s)})${FIX}`);
      return undefined;
    }
    return s;
  };
  const certSecret = secretAt(CERT_MOUNT_PATH, 'TLS certificate');
  if (certSecret && mounts.find((x) => x.mountPath === CERT_MOUNT_PATH)?.name !== CERT_VOLUME)
    say(`the secret volume at ${CERT_MOUNT_PATH} must be named ${CERT_VOLUME}${FIX}`);
  const tokenSecret = secretAt(TOKEN_MOUNT_PATH, 'token');
  let manifestConfigMap: string | undefined;
  if (env.has(ExporterEnv.vmDefUri)) {
    want(ExporterEnv.vmDefUri, MANIFESTS_ALL_PATH);
    const m = mounts.find((x) => x.mountPath === MANIFEST_MOUNT_PATH);
    const cm = m?.name === MANIFEST_VOLUME ? volumesByName.get(MANIFEST_VOLUME)?.configMap?.name : undefined;
    if (!isName(cm))
      say(
        `${ExporterEnv.vmDefUri} needs the configMap volume ${MANIFEST_VOLUME} mounted at ${MANIFEST_MOUNT_PATH} (got ${show(cm)})${FIX}`,
      );
    else manifestConfigMap = cm;
  }
  if (problems.length) throw new ExporterPlanError(`${namespace}/${name}`, problems);
  return {
    namespace,
    name,
    uid: pod.metadata?.uid ?? '',
    exportName: exportName!,
    volumes,
    certSecret: certSecret!,
    tokenSecret: tokenSecret!,
    ...(manifestConfigMap ? { manifestConfigMap } : {}),
    deadline,
  };
}

/** The resolved host side of a plan, for the command line. */
export interface ResolvedExporter {
  /** Per plan volume (same order): its directory, or its device node. */
  readonly paths: readonly string[];
  readonly socket: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly tokenFile: string;
  readonly manifestDir?: string;
}

/**
 * The `virtkit exporter` command line (pure): flags from the checked plan and the host paths the
 * runner resolved; file paths only, never a key or token.
 */
export function exporterArgs(plan: ExporterPlan, r: ResolvedExporter): string[] {
  const args = ['exporter', '--socket', r.socket, '--cert-file', r.certFile, '--key-file', r.keyFile];
  args.push('--token-file', r.tokenFile, '--export-name', plan.exportName);
  args.push('--deadline', new Date(plan.deadline).toISOString());
  plan.volumes.forEach((v, i) => {
    args.push(v.kind === 'image' ? '--image-volume' : '--dir-volume', `${v.claim}=${r.paths[i]}`);
  });
  if (r.manifestDir) args.push('--manifest-dir', r.manifestDir);
  return args;
}
