/**
 * `virtkit importer --url URL --target-dir DIR --size BYTES [--checksum ALG:HEX] [--ca-file F]`:
 * CDI's importer for the http source, as the process an import pod runs (the handler starts it
 * in local mode; it is the importer container's command in cluster mode). It prints JSON lines
 * on stdout for the DataVolume controller to read: `{"progress":"45.20%"}` while the download
 * runs, then one result line, `{"phase":"Succeeded",...}` (exit 0) or
 * `{"phase":"Failed","reason":...,"message":...}` (exit 1, the message also on stderr).
 *
 * Credentials never go on the command line: basic auth comes from IMPORTER_ACCESS_KEY_ID and
 * IMPORTER_SECRET_KEY, extra headers from IMPORTER_EXTRA_HEADER_* (CDI's variable names), so the
 * pod takes them from the Secret that spec.source.http.secretRef names.
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import { ImportError } from '../../handler/importer/errors';
import { importDisk, type ImportOptions } from '../../handler/importer/import';

interface ImporterFlags {
  url: string;
  targetDir: string;
  size: string;
  checksum?: string;
  caFile?: string;
  filesystemOverhead?: string;
}

function line(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/** The options from flags and the environment; throws ImportError('InvalidInput') on bad ones. */
export function importerOptions(flags: ImporterFlags, env: NodeJS.ProcessEnv): ImportOptions {
  if (!/^\d+$/.test(flags.size))
    throw new ImportError('InvalidInput', `--size ${flags.size}: give the PVC's size as a number of bytes`);
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
    requestedBytes: Number(flags.size),
    ...(caBundle !== undefined ? { caBundle } : {}),
    ...(flags.checksum !== undefined ? { checksum: flags.checksum } : {}),
    ...(user && password ? { basicAuth: { username: user, password } } : {}),
    ...(extraHeaders.length ? { extraHeaders } : {}),
    ...(overhead !== undefined ? { filesystemOverhead: overhead } : {}),
  };
}

export function register(program: Command): void {
  program
    .command('importer')
    .description(
      "CDI's importer for an http(s) source: download (gz/xz decompressed), check, convert to raw and size DIR/disk.img; JSON lines on stdout",
    )
    .requiredOption('--url <url>', 'the http:// or https:// URL of the image (spec.source.http.url)')
    .requiredOption('--target-dir <dir>', 'the volume directory that receives disk.img')
    .requiredOption('--size <bytes>', "the PVC's requested size in bytes")
    .option('--checksum <alg:hex>', 'expected sha256:, sha512:, sha1: or md5: sum of the bytes served')
    .option('--ca-file <file>', "PEM CA bundle that signs the server's certificate (the certConfigMap)")
    .option(
      '--filesystem-overhead <fraction>',
      "share of a filesystem volume kept free (CDI's default 0.055)",
    )
    .action(async (flags: ImporterFlags) => {
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        const result = await importDisk({
          ...importerOptions(flags, process.env),
          onProgress: (progress) => line({ progress }),
          signal: abort.signal,
        });
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
    });
}
