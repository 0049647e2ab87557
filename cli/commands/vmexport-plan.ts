/**
 * `virtkit vmexport`'s pure half: its arguments and flags read and checked as virtctl's
 * (create|download|delete NAME, one of --vm/--snapshot/--pvc, --ttl, --volume, --format
 * gzip|raw, --output, --keep-vme, --delete-vme, --manifest, --include-secret, --insecure), the
 * VirtualMachineExport it creates, and which link of a Ready export a download takes.
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
  serviceUrl?: string;
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
    ] as const)
      if (set !== undefined && set !== false) problems.push(`${flag} only goes with download`);
  }
  if (f.portForward)
    problems.push(
      '--port-forward is not supported by virtkit yet: download through the external link (`virtkit api`), which local mode serves',
    );
  if (f.serviceUrl !== undefined)
    problems.push('--service-url is not supported by virtkit yet: the external link of the export is used');
  const waitSecs = Number(f.waitSecs ?? '120');
  if (!Number.isInteger(waitSecs) || waitSecs <= 0)
    problems.push(`--wait-secs ${JSON.stringify(f.waitSecs)}: give a positive number of seconds`);
  const labels = keyValues('--labels', f.labels, problems);
  const annotations = keyValues('--annotations', f.annotations, problems);
  if (problems.length) throw new VmExportUsageError(problems.join('; '));
  // virtctl deletes an export it created for the download unless --keep-vme, and one it found only with --delete-vme.
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
    deleteAfter: f.deleteVme === true || (created && f.keepVme !== true),
    insecure: f.insecure === true,
    manifest: f.manifest === true,
    includeSecret: f.includeSecret === true,
    manifestFormat: manifestFormat as 'json' | 'yaml',
    waitMs: waitSecs * 1000,
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

/** The URL and CA a download takes from a Ready export's external link (pure); throws with the reason. */
export function downloadTarget(
  e: VirtualMachineExport,
  volume: string | undefined,
  format: 'gzip' | 'raw',
): { url: string; cert: string; volume: string; format: string } {
  const ref = `${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}`;
  const link: Link | undefined = e.status?.links?.external;
  if (!link?.volumes?.length)
    throw new Error(
      `unable to get a valid URL from '${ref}' VirtualMachineExport: it has no external link with volumes (is \`virtkit api\` registered? see docs/export.md)`,
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
  return { url: f.url, cert: link.cert, volume: v.name, format: f.format };
}

/** The manifest URLs of the external link (pure). */
export function manifestUrls(e: VirtualMachineExport): { all?: string; secret?: string; cert: string } {
  const link = e.status?.links?.external;
  const m = link?.manifests ?? [];
  const all = m.find((x) => x.type === 'all')?.url;
  const secret = m.find((x) => x.type === 'auth-header-secret')?.url;
  return { ...(all ? { all } : {}), ...(secret ? { secret } : {}), cert: link?.cert ?? '' };
}
