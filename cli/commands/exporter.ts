/**
 * `virtkit exporter`: KubeVirt's export server (virt-exportserver) as the process an exporter
 * pod runs. In local mode the handler's exporter pod runner starts it with flags it builds from
 * the checked pod (`--socket` in the pod's 0700 directory, file paths for the certificate, key,
 * token and manifests; handler/exporter/pod-plan.ts); in a pod (`--from-env`) it reads KubeVirt's
 * environment (VOLUME<i>_EXPORT_*, CERT_FILE, KEY_FILE, TOKEN_FILE, DEADLINE) and listens on
 * :8443. It prints `{"listening":true}` once it serves, and `{"phase":"Succeeded"}` when it
 * closes at its deadline (exit 0). A key or token is never an argument: only their files' paths.
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import {
  EXPORT_SERVER_PORT,
  ExporterEnv,
  MANIFEST_MOUNT_PATH,
  VOLUME_ENV,
  volumeEnv,
} from '../../api/export/exporter-pod';
import { createLogger } from '../../common/log';
import type { ExportVolume } from '../../handler/exporter/routes';
import { startExportServer } from '../../handler/exporter/server';
import { usageExitCodes } from './vm-state';

export interface ExporterFlags {
  socket?: string;
  listen?: string;
  certFile?: string;
  keyFile?: string;
  tokenFile?: string;
  exportName?: string;
  deadline?: string;
  imageVolume?: string[];
  dirVolume?: string[];
  manifestDir?: string;
  fromEnv?: boolean;
}

export class ExporterUsageError extends Error {}

export interface ExporterConfig {
  readonly volumes: ExportVolume[];
  readonly listen: { socket: string } | { host: string; port: number };
  readonly certFile: string;
  readonly keyFile: string;
  readonly tokenFile: string;
  readonly exportName: string;
  readonly deadline?: number;
  readonly manifestDir?: string;
}

const CLAIM = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const collect = (v: string, all: string[] = []): string[] => [...all, v];

/** `claim=/path` (pure). */
function volumeFlag(flag: string, value: string, kind: ExportVolume['kind']): ExportVolume {
  const i = value.indexOf('=');
  const name = value.slice(0, i);
  const p = value.slice(i + 1);
  if (i <= 0 || !CLAIM.test(name) || name.length > 253 || !p.startsWith('/'))
    throw new ExporterUsageError(
      `${flag} ${JSON.stringify(value.slice(0, 200))}: give <claim name>=<absolute path>, e.g. ${flag} disk=/export-volumes/disk`,
    );
  return { name, kind, path: p };
}

/** The server's configuration from flags (pure); every problem in one error. */
export function exporterConfigFromFlags(f: ExporterFlags): ExporterConfig {
  const problems: string[] = [];
  const volumes: ExportVolume[] = [];
  for (const [flag, list, kind] of [
    ['--image-volume', f.imageVolume ?? [], 'image'],
    ['--dir-volume', f.dirVolume ?? [], 'archive'],
  ] as const)
    for (const v of list)
      try {
        volumes.push(volumeFlag(flag, v, kind));
      } catch (err) {
        problems.push((err as Error).message);
      }
  if (!volumes.length && !problems.length) problems.push('give at least one --image-volume or --dir-volume');
  const need = (v: string | undefined, flag: string): string => {
    if (!v) problems.push(`${flag} is required`);
    return v ?? '';
  };
  let listen: ExporterConfig['listen'] = { socket: '' };
  if (f.socket && f.listen) problems.push('give --socket or --listen, not both');
  else if (f.socket) listen = { socket: f.socket };
  else {
    const m = /^(.*):(\d{1,5})$/.exec(f.listen ?? `0.0.0.0:${EXPORT_SERVER_PORT}`);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) problems.push(`--listen ${JSON.stringify(f.listen)}: give HOST:PORT`);
    else listen = { host: m[1] || '0.0.0.0', port };
  }
  let deadline: number | undefined;
  if (f.deadline !== undefined) {
    deadline = Date.parse(f.deadline);
    if (!Number.isFinite(deadline))
      problems.push(
        `--deadline ${JSON.stringify(f.deadline)}: give an RFC 3339 time such as 2024-05-01T12:00:00Z`,
      );
  }
  const cfg: ExporterConfig = {
    volumes,
    listen,
    certFile: need(f.certFile, '--cert-file'),
    keyFile: need(f.keyFile, '--key-file'),
    tokenFile: need(f.tokenFile, '--token-file'),
    exportName: need(f.exportName, '--export-name'),
    ...(deadline !== undefined ? { deadline } : {}),
    ...(f.manifestDir ? { manifestDir: f.manifestDir } : {}),
  };
  if (problems.length) throw new ExporterUsageError(problems.join('; '));
  return cfg;
}

/** The flags an exporter pod's environment stands for (KubeVirt's names; pure). */
export function flagsFromEnv(env: NodeJS.ProcessEnv, exportName: string | undefined): ExporterFlags {
  const f: ExporterFlags = {
    listen: `0.0.0.0:${EXPORT_SERVER_PORT}`,
    imageVolume: [],
    dirVolume: [],
    ...(env[ExporterEnv.certFile] ? { certFile: env[ExporterEnv.certFile] } : {}),
    ...(env[ExporterEnv.keyFile] ? { keyFile: env[ExporterEnv.keyFile] } : {}),
    ...(env[ExporterEnv.tokenFile] ? { tokenFile: env[ExporterEnv.tokenFile] } : {}),
    ...(env[ExporterEnv.deadline] ? { deadline: env[ExporterEnv.deadline] } : {}),
    ...(env[ExporterEnv.vmDefUri] ? { manifestDir: MANIFEST_MOUNT_PATH } : {}),
    ...(exportName ? { exportName } : {}),
  };
  for (const k of Object.keys(env)) {
    const m = VOLUME_ENV.exec(k);
    if (!m || m[2] !== 'PATH') continue;
    const i = Number(m[1]);
    const p = env[k] ?? '';
    const raw = env[volumeEnv(i, 'RAW_URI')];
    const claim = (raw ?? env[volumeEnv(i, 'ARCHIVE_URI')] ?? '').split('/')[2] ?? '';
    (raw ? f.imageVolume! : f.dirVolume!).push(`${claim}=${p}`);
  }
  return f;
}

export function register(program: Command): void {
  const cmd = program
    .command('exporter')
    .description("KubeVirt's export server: serve claims over HTTPS to holders of the export token")
    .option('--socket <path>', 'listen on this unix socket (local mode)')
    .option('--listen <host:port>', `listen on this address (default 0.0.0.0:${EXPORT_SERVER_PORT})`)
    .option('--cert-file <file>', 'serving certificate (PEM)')
    .option('--key-file <file>', "the certificate's key (PEM; a path, never the key)")
    .option('--token-file <file>', 'the token clients must present (a path, never the token)')
    .option('--export-name <name>', 'the VirtualMachineExport served (names its header Secret)')
    .option('--deadline <rfc3339>', 'stop serving at this time (the TTL)')
    .option('--image-volume <claim=path>', 'a claim holding disk.img (or a device): raw and gzip', collect)
    .option('--dir-volume <claim=path>', 'a claim holding a directory: dir/ and tar.gz', collect)
    .option('--manifest-dir <dir>', "the manifests ConfigMap's keys as files (a VM source)")
    .option('--from-env', "read KubeVirt's exporter pod environment instead of flags");
  usageExitCodes(cmd);
  cmd.action(async (flags: ExporterFlags) => {
    const log = createLogger({ component: 'virtkit-exporter' });
    let cfg: ExporterConfig;
    try {
      cfg = exporterConfigFromFlags(
        flags.fromEnv
          ? // The pod is virt-export-<export>: its hostname names the export.
            flagsFromEnv(process.env, flags.exportName ?? process.env.HOSTNAME?.replace(/^virt-export-/, ''))
          : flags,
      );
    } catch (err) {
      if (err instanceof ExporterUsageError)
        cmd.error(`virtkit exporter: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
      throw err;
    }
    const server = await startExportServer({
      volumes: cfg.volumes,
      cert: fs.readFileSync(cfg.certFile),
      key: fs.readFileSync(cfg.keyFile),
      tokenFile: cfg.tokenFile,
      exportName: cfg.exportName,
      listen: cfg.listen,
      ...(cfg.deadline !== undefined ? { deadline: cfg.deadline } : {}),
      ...(cfg.manifestDir ? { manifestDir: cfg.manifestDir } : {}),
      log,
    });
    log.info({ address: server.address, volumes: cfg.volumes.map((v) => v.name) }, 'export server listening');
    process.stdout.write(`${JSON.stringify({ listening: true })}\n`);
    const stop = (): void => void server.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await server.closed;
    process.stdout.write(`${JSON.stringify({ phase: 'Succeeded' })}\n`);
  });
}
