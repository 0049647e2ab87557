/**
 * `virtkit vmexport`'s pure half: its arguments and flags read and checked as virtctl's
 * (create|download|delete NAME, one of --vm/--snapshot/--pvc, --ttl, --volume, --format
 * gzip|raw, --output, --keep-vme, --delete-vme, --manifest, --include-secret, --insecure,
 * --port-forward, --local-port, --service-url, --retry, --readiness-timeout), the
 * VirtualMachineExport it creates, and which link of a Ready export a download takes: the
 * external one, or with --port-forward or --service-url the internal one with its host
 * replaced (virtctl's rule), the server still checked against the internal CA under the
 * Service's name.
 */
import { EXPORT_API_VERSION, EXPORT_KIND } from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import { parseGoDuration } from '../../api/export/duration';

export const VMEXPORT_VERBS = ['create', 'download', 'delete'] as const;
export type VmExportVerb = (typeof VMEXPORT_VERBS)[number];

export interface VmExportFlags {
  vm?: string;
  snapshot?: string;
  pvc?: string;
  volume?: string;
  output?: string;
  format?: string;
  ttl?: string;
  keepVme?: boolean;
  deleteVme?: boolean;
  insecure?: boolean;
  manifest?: boolean;
  includeSecret?: boolean;
  manifestOutputFormat?: string;
  portForward?: boolean;
  localPort?: string;
  serviceUrl?: string;
  retry?: string;
  readinessTimeout?: string;
  waitSecs?: string;
  labels?: string[];
  annotations?: string[];
}

export interface VmExportRequest {
  readonly verb: VmExportVerb;
  readonly name: string;
  readonly source?: { readonly kind: string; readonly apiGroup: string; readonly name: string };
  readonly ttl?: string;
  readonly volume?: string;
  readonly output?: string;
  readonly format: 'gzip' | 'raw';
  readonly keep: boolean;
  readonly deleteAfter: boolean;
  readonly insecure: boolean;
  readonly manifest: boolean;
  readonly includeSecret: boolean;
  readonly manifestFormat: 'json' | 'yaml';
  /** --port-forward: the local port (0: any free one). */
  readonly portForward?: { readonly localPort: number };
  /** --service-url: the host[:port] that replaces the internal link's. */
  readonly serviceHost?: string;
  /** --retry: how many more times a download is tried after a bad status. */
  readonly retries: number;
  readonly waitMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export class VmExportUsageError extends Error {}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function keyValues(
  flag: string,
  list: readonly string[] | undefined,
  problems: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) problems.push(`${flag} ${JSON.stringify(kv)}: give key=value`);
    else out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** The request of `virtkit vmexport VERB NAME [flags]` (pure); every problem in one usage error. */
export function parseVmExportArgs(args: readonly string[], f: VmExportFlags): VmExportRequest {
  const problems: string[] = [];
  const [verb, name, ...extra] = args;
  if (!verb || !(VMEXPORT_VERBS as readonly string[]).includes(verb))
    throw new VmExportUsageError(
      `the first argument must be one of ${VMEXPORT_VERBS.join(', ')} (got ${JSON.stringify(verb ?? null)}): virtkit vmexport create|download|delete NAME`,
    );
  if (!name || !NAME.test(name) || name.length > 253)
    problems.push(
      `give the VirtualMachineExport's name after ${verb} (got ${JSON.stringify(name ?? null)}); it must be a DNS name`,
    );
  if (extra.length) problems.push(`unexpected arguments ${extra.map((a) => JSON.stringify(a)).join(' ')}`);
  const sources = [
    f.vm !== undefined ? { kind: 'VirtualMachine', apiGroup: 'kubevirt.io', name: f.vm } : undefined,
    f.snapshot !== undefined
      ? { kind: 'VirtualMachineSnapshot', apiGroup: 'snapshot.kubevirt.io', name: f.snapshot }
      : undefined,
    f.pvc !== undefined ? { kind: 'PersistentVolumeClaim', apiGroup: '', name: f.pvc } : undefined,
  ].filter((s) => s !== undefined);
  if (sources.length > 1) problems.push('give only one of --vm, --snapshot, --pvc');
  const source = sources[0];
  if (source && (!NAME.test(source.name) || source.name.length > 253))
    problems.push(`the source name ${JSON.stringify(source.name)} is not a valid name`);
  if (verb === 'create' && !source)
    problems.push('create needs the source: --vm=NAME, --snapshot=NAME or --pvc=NAME');
  if (verb === 'delete' && source) problems.push('delete takes no source flag (--vm, --snapshot, --pvc)');
  if (f.ttl !== undefined && parseGoDuration(f.ttl) === undefined)
    problems.push(`--ttl ${JSON.stringify(f.ttl)} is not a duration; write it like 2h, 90m or 1h30m`);
  if (f.ttl !== undefined && verb !== 'create' && !(verb === 'download' && source))
    problems.push('--ttl only applies when the export is created (create, or download with a source flag)');
  const format = f.format ?? 'gzip';
  if (format !== 'gzip' && format !== 'raw')
    problems.push(`--format ${JSON.stringify(format)}: use gzip or raw`);
  const manifestFormat = f.manifestOutputFormat ?? 'yaml';
  if (manifestFormat !== 'json' && manifestFormat !== 'yaml')
    problems.push(`--manifest-output-format ${JSON.stringify(manifestFormat)}: use json or yaml`);
  if (verb === 'download' && !f.manifest && !f.output)
    problems.push('download needs --output=FILE (where the volume is written), or --manifest');
  if (f.includeSecret && !f.manifest) problems.push('--include-secret only goes with --manifest');
  if (f.keepVme && f.deleteVme) problems.push('give --keep-vme or --delete-vme, not both');
  if (verb !== 'download') {
    for (const [flag, set] of [
      ['--output', f.output],
      ['--volume', f.volume],
      ['--keep-vme', f.keepVme],
      ['--delete-vme', f.deleteVme],
      ['--manifest', f.manifest],
      ['--port-forward', f.portForward],
      ['--local-port', f.localPort],
      ['--service-url', f.serviceUrl],
      ['--retry', f.retry],
      ['--insecure', f.insecure],
    ] as const)
      if (set !== undefined && set !== false) problems.push(`${flag} only goes with download`);
  }
  let localPort = 0;
  if (f.localPort !== undefined) {
    localPort = Number(f.localPort);
    if (!/^\d+$/.test(f.localPort) || localPort > 65535)
      problems.push(
        `--local-port ${JSON.stringify(f.localPort)}: give a port number from 0 to 65535 (0: any free port)`,
      );
    if (!f.portForward) problems.push('--local-port only goes with --port-forward');
  }
  if (f.portForward && f.serviceUrl !== undefined)
    problems.push('give --port-forward or --service-url, not both');
  const serviceHost = f.serviceUrl !== undefined ? serviceHostOf(f.serviceUrl) : undefined;
  if (f.serviceUrl !== undefined && serviceHost === undefined)
    problems.push(
      `--service-url ${JSON.stringify(f.serviceUrl)}: give the host and port that reach the export's Service, e.g. 10.0.0.5:30443 or https://export.example.com`,
    );
  const retries = Number(f.retry ?? '0');
  if (!/^\d+$/.test(f.retry ?? '0') || retries > 100)
    problems.push(`--retry ${JSON.stringify(f.retry)}: give how many times to retry, from 0 to 100`);
  if (f.readinessTimeout !== undefined && f.waitSecs !== undefined)
    problems.push('give --readiness-timeout or --wait-secs, not both');
  let waitMs = Number(f.waitSecs ?? '120') * 1000;
  if (f.readinessTimeout !== undefined) {
    const d = parseGoDuration(f.readinessTimeout);
    if (d === undefined || d <= 0)
      problems.push(
        `--readiness-timeout ${JSON.stringify(f.readinessTimeout)} is not a positive duration; write it like 2m or 90s`,
      );
    else waitMs = d;
  } else if (!Number.isInteger(waitMs) || waitMs <= 0)
    problems.push(`--wait-secs ${JSON.stringify(f.waitSecs)}: give a positive number of seconds`);
  const labels = keyValues('--labels', f.labels, problems);
  const annotations = keyValues('--annotations', f.annotations, problems);
  if (problems.length) throw new VmExportUsageError(problems.join('; '));
  // virtctl deletes an export it created for the download unless --keep-vme, and one it found
  // only with --delete-vme; never one it read manifests from (the manifests point at it).
  const created = verb === 'download' && source !== undefined;
  return {
    verb: verb as VmExportVerb,
    name: name!,
    ...(source ? { source } : {}),
    ...(f.ttl !== undefined ? { ttl: f.ttl } : {}),
    ...(f.volume !== undefined ? { volume: f.volume } : {}),
    ...(f.output !== undefined ? { output: f.output } : {}),
    format: format as 'gzip' | 'raw',
    keep: f.keepVme === true,
    deleteAfter: f.manifest !== true && (f.deleteVme === true || (created && f.keepVme !== true)),
    insecure: f.insecure === true,
    manifest: f.manifest === true,
    includeSecret: f.includeSecret === true,
    manifestFormat: manifestFormat as 'json' | 'yaml',
    ...(f.portForward ? { portForward: { localPort } } : {}),
    ...(serviceHost !== undefined ? { serviceHost } : {}),
    retries,
    waitMs,
    labels,
    annotations,
  };
}

/** The VirtualMachineExport `create` makes (pure). */
export function exportObject(r: VmExportRequest, namespace: string): VirtualMachineExport {
  return {
    apiVersion: EXPORT_API_VERSION as 'export.kubevirt.io/v1',
    kind: EXPORT_KIND as 'VirtualMachineExport',
    metadata: {
      name: r.name,
      namespace,
      ...(Object.keys(r.labels).length ? { labels: { ...r.labels } } : {}),
      ...(Object.keys(r.annotations).length ? { annotations: { ...r.annotations } } : {}),
    },
    spec: {
      source: { ...r.source! },
      ...(r.ttl !== undefined ? { ttlDuration: r.ttl } : {}),
    },
  };
}

type Link = NonNullable<NonNullable<NonNullable<VirtualMachineExport['status']>['links']>['external']>;

/** The host[:port] of --service-url (a bare host[:port] as virtctl takes it, or an https URL without a path), or undefined when it is neither (pure). */
export function serviceHostOf(value: string): string | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' || u.username || u.password || u.search || u.hash) return undefined;
  if (u.pathname !== '/' && u.pathname !== '') return undefined;
  return u.host || undefined;
}

/**
 * Which link a download takes: the external one (through `virtkit api`), or the internal one
 * with its host replaced by `host` (127.0.0.1:<port> of a port forward, or --service-url).
 */
export type LinkRoute = { readonly via: 'external' } | { readonly via: 'internal'; readonly host: string };

/** The route of a request (pure): internal once a port forward listens or --service-url is given. */
export function routeOf(r: VmExportRequest, forwardedPort?: number): LinkRoute {
  if (r.serviceHost !== undefined) return { via: 'internal', host: r.serviceHost };
  if (r.portForward)
    return { via: 'internal', host: `127.0.0.1:${forwardedPort ?? r.portForward.localPort}` };
  return { via: 'external' };
}

/** Where a request goes: the URL, the CA to trust, and the name the server's certificate must carry (the link's own host, when it was replaced). */
export interface ExportEndpoint {
  readonly url: string;
  readonly cert: string;
  readonly servername?: string;
}

function linkOf(e: VirtualMachineExport, route: LinkRoute): Link | undefined {
  return route.via === 'external' ? e.status?.links?.external : e.status?.links?.internal;
}

/** Does a Ready export have the link the route takes (pure)? */
export function hasLink(e: VirtualMachineExport, route: LinkRoute): boolean {
  return linkOf(e, route) !== undefined;
}

function endpoint(url: string, cert: string, route: LinkRoute): ExportEndpoint {
  if (route.via === 'external') return { url, cert };
  const u = new URL(url);
  const servername = u.hostname;
  u.host = route.host;
  return { url: u.toString(), cert, servername };
}

/** The URL and CA a download takes from a Ready export's link (pure); throws with the reason. */
export function downloadTarget(
  e: VirtualMachineExport,
  volume: string | undefined,
  format: 'gzip' | 'raw',
  route: LinkRoute = { via: 'external' },
): ExportEndpoint & { volume: string; format: string } {
  const ref = `${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}`;
  const link = linkOf(e, route);
  if (!link?.volumes?.length)
    throw new Error(
      route.via === 'external'
        ? `unable to get a valid URL from '${ref}' VirtualMachineExport: it has no external link with volumes (is \`virtkit api\` registered? see docs/export.md; on a cluster without one, download with --port-forward)`
        : `unable to get a valid URL from '${ref}' VirtualMachineExport: it has no internal link with volumes`,
    );
  let v = link.volumes[0];
  if (volume !== undefined) {
    const found = link.volumes.find((x) => x.name === volume);
    if (!found)
      throw new Error(
        `volume ${JSON.stringify(volume)} is not in '${ref}' VirtualMachineExport; its volumes: ${link.volumes.map((x) => x.name).join(', ')}`,
      );
    v = found;
  } else if (link.volumes.length > 1)
    throw new Error(
      `'${ref}' VirtualMachineExport has ${link.volumes.length} volumes (${link.volumes.map((x) => x.name).join(', ')}): choose one with --volume`,
    );
  const want = format === 'gzip' ? ['gzip', 'tar.gz'] : ['raw'];
  const f = (v.formats ?? []).find((x) => want.includes(x.format));
  if (!f)
    throw new Error(
      `volume ${v.name} of '${ref}' is not offered as ${format} (it is offered as ${(v.formats ?? []).map((x) => x.format).join(', ')}); ${format === 'raw' ? 'use --format gzip' : 'use --format raw'}`,
    );
  return { ...endpoint(f.url, link.cert, route), volume: v.name, format: f.format };
}

/** The manifest URLs of the link the route takes (pure). */
export function manifestUrls(
  e: VirtualMachineExport,
  route: LinkRoute = { via: 'external' },
): { all?: ExportEndpoint; secret?: ExportEndpoint } {
  const link = linkOf(e, route);
  const m = link?.manifests ?? [];
  const all = m.find((x) => x.type === 'all')?.url;
  const secret = m.find((x) => x.type === 'auth-header-secret')?.url;
  const cert = link?.cert ?? '';
  return {
    ...(all ? { all: endpoint(all, cert, route) } : {}),
    ...(secret ? { secret: endpoint(secret, cert, route) } : {}),
  };
}

interface ServiceJson {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    selector?: Record<string, string>;
    ports?: { port?: number; targetPort?: number | string }[];
  };
}
interface PodJson {
  metadata?: { name?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: { ports?: { name?: string; containerPort?: number }[] }[] };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

/** The label selector of the export's Service, as a query value (pure); throws when it selects nothing. */
export function serviceSelector(svc: ServiceJson): string {
  const sel = Object.entries(svc.spec?.selector ?? {});
  if (!sel.length)
    throw new Error(
      `Service ${svc.metadata?.namespace}/${svc.metadata?.name} has no selector: there is no pod to forward to`,
    );
  return sel.map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * The pod and container port a port forward to the export's Service takes (kubectl's rule for
 * a Service: the first ready pod it selects, the Service port translated to its target, a
 * named target looked up in the pod's container ports), or an error saying why there is none
 * (pure).
 */
export function forwardTarget(
  svc: ServiceJson,
  pods: readonly PodJson[],
  servicePort: number,
): { pod: string; port: number } {
  const ref = `Service ${svc.metadata?.namespace}/${svc.metadata?.name}`;
  const sp = (svc.spec?.ports ?? []).find((p) => p.port === servicePort);
  if (!sp) throw new Error(`${ref} has no port ${servicePort} to forward`);
  const ready = pods.find(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.status?.phase === 'Running' &&
      p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (!ready)
    throw new Error(
      `no ready pod behind ${ref} (${pods.length ? `its pods: ${pods.map((p) => `${p.metadata?.name} ${p.status?.phase ?? 'Pending'}`).join(', ')}` : 'it selects no pod'}); wait for the export's pod, or see \`kubectl describe pod\``,
    );
  const pod = ready.metadata?.name ?? '';
  const target = sp.targetPort ?? servicePort;
  if (typeof target === 'number') return { pod, port: target };
  if (/^\d+$/.test(target)) return { pod, port: Number(target) };
  const named = (ready.spec?.containers ?? [])
    .flatMap((c) => c.ports ?? [])
    .find((p) => p.name === target)?.containerPort;
  if (named === undefined)
    throw new Error(
      `${ref}'s port ${servicePort} targets the port named ${target}, which pod ${pod} does not have`,
    );
  return { pod, port: named };
}

/** The Service port of a link URL (pure): its explicit port, else 443. */
export function servicePortOf(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : 443;
}
