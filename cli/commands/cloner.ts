/**
 * `virtkit cloner (--source-dir DIR | --source-device DEV) --socket SOCKET`: the source side of a
 * clone from another namespace (CDI's cdi-cloner), the process a clone source pod runs (the
 * handler's worker-pod runner starts it in local mode). It streams the source claim's raw disk to
 * the target claim's upload server at SOCKET (handler/importer/clone-send.ts) and prints the same
 * JSON lines as `virtkit importer`: `{"progress":"45.20%"}`, then `{"phase":"Succeeded",...}`
 * (exit 0) or `{"phase":"Failed","reason":...,"message":...}` (exit 1, the message on stderr).
 */
import type { Command } from 'commander';
import { sendClone } from '../../handler/importer/clone-send';
import { ImportError } from '../../handler/importer/errors';

interface ClonerFlags {
  sourceDir?: string;
  sourceDevice?: string;
  socket: string;
}

function line(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

export function register(program: Command): void {
  program
    .command('cloner')
    .description(
      "CDI's clone source: streams a claim's raw disk (its disk.img, or its Block device) to the target claim's upload server; JSON lines on stdout",
    )
    .option('--source-dir <dir>', "the source claim's volume directory; read only")
    .option('--source-device <path>', "a Block source claim's device; read only")
    .requiredOption('--socket <path>', "the unix socket of the target claim's upload server")
    .action(async (flags: ClonerFlags) => {
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        const result = await sendClone({
          ...(flags.sourceDir !== undefined ? { sourceDir: flags.sourceDir } : {}),
          ...(flags.sourceDevice !== undefined ? { sourceDevice: flags.sourceDevice } : {}),
          socketPath: flags.socket,
          onProgress: (progress) => line({ progress }),
          signal: abort.signal,
        });
        line({ phase: 'Succeeded', ...result });
      } catch (e) {
        const reason = e instanceof ImportError ? e.reason : 'WriteFailed';
        const message = (e as Error).message;
        line({ phase: 'Failed', reason, message });
        console.error(`virtkit cloner: ${message}`);
        process.exitCode = 1;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
}
