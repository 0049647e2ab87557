/**
 * `virtkit importer [--source http|registry|blank|pvc|upload] --target-dir DIR [--target-device DEV] --size BYTES ...`: CDI's
 * importer, as the process a worker pod runs (the handler's worker-pod runner starts it in local
 * mode; it is the importer container's command in cluster mode). Sources: `http` (--url, the
 * default), `registry` (--url docker://HOST/REPO:TAG, with the handler's --registry-mirror and
 * --insecure-registry), `blank` (an empty disk), `pvc` (a clone of --source-dir), `upload` (CDI's
 * upload server: one upload taken on the unix socket --socket, `{"listening":true}` printed once
 * it listens; handler/importer/upload-server.ts). A Block claim is written as raw onto its device
 * (--target-device, --target-dir then only holds scratch files; a Block clone source is
 * --source-device). It prints JSON lines
 * on stdout for the DataVolume controller to read: `{"progress":"45.20%"}` while the download
 * runs, then one result line, `{"phase":"Succeeded",...}` (exit 0) or
 * `{"phase":"Failed","reason":...,"message":...}` (exit 1, the message also on stderr).
 *
 * Credentials never go on the command line: basic auth comes from IMPORTER_ACCESS_KEY_ID and
 * IMPORTER_SECRET_KEY, extra headers from IMPORTER_EXTRA_HEADER_* (CDI's variable names), so the
 * pod takes them from the Secret that spec.source.http.secretRef names.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Command } from 'commander';
import { DATA_DEVICE_PATH, ImporterEnv, SOURCE_DEVICE_PATH } from '../../api/cdi/worker-pod';
import {
  CONTAINER_CERT_DIR,
  importerArgsFromEnvironment,
  isWorkerEnvironment,
} from '../../handler/workers/environment-plan';
import { createBlankDisk } from '../../handler/importer/blank';
import { cloneDisk } from '../../handler/importer/clone';
import { ImportError } from '../../handler/importer/errors';
import { importDisk, type ImportOptions } from '../../handler/importer/import';
import { importRegistry } from '../../handler/importer/registry-source';
import { serveUpload } from '../../handler/importer/upload-server';
import { parseRegistryMirror, type RegistryMirror } from '../../handler/images/policy';

interface ImporterFlags {
  source?: string;
  url?: string;
  targetDir: string;
  targetDevice?: string;
  size: string;
  checksum?: string;
  caFile?: string;
  filesystemOverhead?: string;
  sourceDir?: string;
  sourceDevice?: string;
  registryMirror?: string[];
  insecureRegistry?: string[];
  socket?: string;
  raw?: boolean;
}

/** The sources `--source` takes (CDI's IMPORTER_SOURCE values, `blank` for CDI's `none`). */
export const IMPORTER_SOURCES = ['http', 'registry', 'blank', 'pvc', 'upload'] as const;
export type ImporterSourceFlag = (typeof IMPORTER_SOURCES)[number];

const collect = (v: string, all: string[] = []): string[] => [...all, v];

function line(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

function requestedBytesOf(size: string): number {
  if (!/^\d+$/.test(size))
    throw new ImportError('InvalidInput', `--size ${size}: give the PVC's size as a number of bytes`);
  return Number(size);
}

/** The options from flags and the environment; throws ImportError('InvalidInput') on bad ones. */
export function importerOptions(flags: ImporterFlags, env: NodeJS.ProcessEnv): ImportOptions {
  if (flags.url === undefined) throw new ImportError('InvalidInput', '--url: give the URL of the image');
  const requestedBytes = requestedBytesOf(flags.size);
  let caBundle: string | undefined;
  if (flags.caFile !== undefined) {
    try {
      caBundle = fs.readFileSync(flags.caFile, 'utf8');
    } catch (e) {
      throw new ImportError('InvalidInput', `--ca-file ${flags.caFile}: ${(e as Error).message}`);
    }
  }
  const user = env.IMPORTER_ACCESS_KEY_ID;
  const password = env.IMPORTER_SECRET_KEY;
  const extraHeaders = Object.keys(env)
    .filter((k) => k.startsWith('IMPORTER_EXTRA_HEADER_'))
    .sort()
    .map((k) => env[k] ?? '');
  const overhead = flags.filesystemOverhead === undefined ? undefined : Number(flags.filesystemOverhead);
  return {
    url: flags.url,
    targetDir: flags.targetDir,
    ...(flags.targetDevice !== undefined ? { targetDevice: flags.targetDevice } : {}),
    requestedBytes,
    ...(caBundle !== undefined ? { caBundle } : {}),
    ...(flags.checksum !== undefined ? { checksum: flags.checksum } : {}),
    ...(user && password ? { basicAuth: { username: user, password } } : {}),
    ...(extraHeaders.length ? { extraHeaders } : {}),
    ...(overhead !== undefined ? { filesystemOverhead: overhead } : {}),
  };
}

function sourceOf(flags: ImporterFlags): ImporterSourceFlag {
  const source = flags.source ?? 'http';
  if (!(IMPORTER_SOURCES as readonly string[]).includes(source))
    throw new ImportError('InvalidInput', `--source ${source}: give one of ${IMPORTER_SOURCES.join(', ')}`);
  const need = (flag: string, value: string | undefined): void => {
    if (value === undefined) throw new ImportError('InvalidInput', `--source ${source} needs ${flag}`);
  };
  if (source === 'http' || source === 'registry') need('--url', flags.url);
  if (source === 'pvc' && (flags.sourceDir === undefined) === (flags.sourceDevice === undefined))
    throw new ImportError(
      'InvalidInput',
      '--source pvc needs --source-dir (or --source-device for a Block source claim), not both',
    );
  if (source !== 'pvc' && (flags.sourceDir !== undefined || flags.sourceDevice !== undefined))
    throw new ImportError(
      'InvalidInput',
      `--source ${source}: --source-dir and --source-device are for --source pvc`,
    );
  if (source === 'upload') need('--socket', flags.socket);
  if (source !== 'upload' && flags.raw)
    throw new ImportError(
      'InvalidInput',
      `--source ${source}: --raw is for --source upload (a clone's target)`,
    );
  if (source !== 'http' && (flags.checksum !== undefined || flags.caFile !== undefined))
    throw new ImportError(
      'InvalidInput',
      `--source ${source}: --checksum and --ca-file apply to the http source only (a registry's certConfigMap is not supported yet)`,
    );
  return source as ImporterSourceFlag;
}

/** Runs the import `flags` ask for, reporting progress through `onProgress`. */
export async function runImport(
  flags: ImporterFlags,
  env: NodeJS.ProcessEnv,
  onProgress: (progress: string) => void,
  signal: AbortSignal,
): Promise<object> {
  const source = sourceOf(flags);
  const requestedBytes = requestedBytesOf(flags.size);
  const overhead = flags.filesystemOverhead === undefined ? undefined : Number(flags.filesystemOverhead);
  const target = {
    targetDir: flags.targetDir,
    ...(flags.targetDevice !== undefined ? { targetDevice: flags.targetDevice } : {}),
    requestedBytes,
    ...(overhead !== undefined ? { filesystemOverhead: overhead } : {}),
  };
  if (source === 'http') return importDisk({ ...importerOptions(flags, env), onProgress, signal });
  if (source === 'blank') return createBlankDisk(target);
  if (source === 'pvc')
    return cloneDisk({
      ...target,
      ...(flags.sourceDir !== undefined ? { sourceDir: flags.sourceDir } : {}),
      ...(flags.sourceDevice !== undefined ? { sourceDevice: flags.sourceDevice } : {}),
      onProgress,
      signal,
    });
  if (source === 'upload')
    return serveUpload({
      ...target,
      socketPath: flags.socket ?? '',
      ...(flags.raw ? { raw: true } : {}),
      onProgress,
      signal,
      // The runner reports the pod Ready on this line; a failed try is said on stderr only.
      onListening: () => line({ listening: true }),
      onAttemptFailed: (message) => console.error(`virtkit importer: upload failed: ${message}`),
    });
  let mirrors: RegistryMirror[];
  try {
    mirrors = (flags.registryMirror ?? []).map(parseRegistryMirror);
  } catch (e) {
    throw new ImportError('InvalidInput', (e as Error).message);
  }
  const user = env.IMPORTER_ACCESS_KEY_ID;
  const password = env.IMPORTER_SECRET_KEY;
  return importRegistry({
    ...target,
    endpoint: flags.url ?? '',
    mirrors,
    insecureRegistries: (flags.insecureRegistry ?? []).map((h) => h.toLowerCase()),
    ...(user && password ? { credentials: { username: user, password } } : {}),
    onProgress,
  });
}

/**
 * The command line of the worker pod this process runs in (../../handler/workers/environment-plan.ts),
 * from its environment and what its container has: the target (and a clone's source) as a
 * directory or a device, the certConfigMap's files gathered into one bundle (0600).
 */
function workerArgs(env: NodeJS.ProcessEnv): string[] {
  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-importer-'));
  let caFile: string | undefined;
  if (env[ImporterEnv.certDir] === CONTAINER_CERT_DIR && fs.existsSync(CONTAINER_CERT_DIR)) {
    const pem = fs
      .readdirSync(CONTAINER_CERT_DIR)
      .sort()
      .map((f) => path.join(CONTAINER_CERT_DIR, f))
      .filter((f) => !path.basename(f).startsWith('.') && fs.statSync(f).isFile())
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    caFile = path.join(scratchDir, 'ca.pem');
    fs.writeFileSync(caFile, pem, { mode: 0o600 });
  }
  return importerArgsFromEnvironment(env, {
    targetDevice: fs.existsSync(DATA_DEVICE_PATH),
    sourceDevice: fs.existsSync(SOURCE_DEVICE_PATH),
    scratchDir,
    ...(caFile ? { caFile } : {}),
  });
}

export function register(program: Command): void {
  program
    .command('importer')
    .description(
      "CDI's importer: http(s) download (gz/xz decompressed), registry image, blank disk, clone of a claim or one upload, checked, converted to raw and sized as DIR/disk.img; JSON lines on stdout",
    )
    .option('--source <source>', `what to import: ${IMPORTER_SOURCES.join(', ')}`, 'http')
    .option(
      '--url <url>',
      'http(s):// URL of the image (spec.source.http.url), or docker://HOST/REPO:TAG (spec.source.registry.url)',
    )
    .option(
      '--target-dir <dir>',
      "the volume directory that receives disk.img (with --target-device: the scratch directory); without it and --size, a CDI worker pod's IMPORTER_* environment says what to import (cluster mode)",
    )
    .option('--target-device <path>', "a Block claim's device: the image is written onto it as raw")
    .option('--size <bytes>', "the PVC's requested size in bytes")
    .option('--source-dir <dir>', "the source claim's volume directory (--source pvc); read only")
    .option('--source-device <path>', "a Block source claim's device (--source pvc); read only")
    .option('--checksum <alg:hex>', 'expected sha256:, sha512:, sha1: or md5: sum of the bytes served')
    .option('--ca-file <file>', "PEM CA bundle that signs the server's certificate (the certConfigMap)")
    .option(
      '--filesystem-overhead <fraction>',
      "share of a filesystem volume kept free (CDI's default 0.055)",
    )
    .option(
      '--registry-mirror <host=url>',
      'pull images of registry HOST from URL first (repeatable)',
      collect,
    )
    .option('--insecure-registry <host>', 'speak plain HTTP to this registry (repeatable)', collect)
    .option(
      '--socket <path>',
      'the unix socket the upload source listens on for its one upload (--source upload; made 0600)',
    )
    .option(
      '--raw',
      "--source upload for a clone's target: the bytes are a raw disk, never probed for compression or an image format",
    )
    .action(
      async (given: Omit<ImporterFlags, 'targetDir' | 'size'> & { targetDir?: string; size?: string }) => {
        if (given.targetDir === undefined && given.size === undefined && isWorkerEnvironment(process.env)) {
          // A worker pod's container on a kubelet node: its environment is the plan.
          let args: string[];
          try {
            args = workerArgs(process.env);
          } catch (e) {
            const message = (e as Error).message;
            line({ phase: 'Failed', reason: 'InvalidInput', message });
            console.error(`virtkit importer: ${message}`);
            process.exitCode = 1;
            return;
          }
          const { buildProgram } = await import('../main');
          await (await buildProgram(args)).parseAsync(args, { from: 'user' });
          return;
        }
        if (given.targetDir === undefined || given.size === undefined) {
          console.error(
            "virtkit importer: --target-dir and --size are required (or run it as a CDI worker pod's container, whose IMPORTER_* environment says what to import)",
          );
          process.exitCode = 2;
          return;
        }
        const flags: ImporterFlags = { ...given, targetDir: given.targetDir, size: given.size };
        const abort = new AbortController();
        const stop = (): void => abort.abort();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        try {
          const result = await runImport(flags, process.env, (progress) => line({ progress }), abort.signal);
          line({ phase: 'Succeeded', ...result });
        } catch (e) {
          const reason = e instanceof ImportError ? e.reason : 'WriteFailed';
          const message = (e as Error).message;
          line({ phase: 'Failed', reason, message });
          console.error(`virtkit importer: ${message}`);
          process.exitCode = 1;
        } finally {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
        }
      },
    );
}
