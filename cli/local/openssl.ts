/** Runs Debian's `openssl` command; failures become ToolFailedError with its output. */
import { execFile } from 'child_process';
import { ToolFailedError } from './errors';

export function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', [...args], { cwd }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new ToolFailedError(
          'openssl',
          args,
          missing ? "the 'openssl' command is not installed (apt-get install openssl)" : `${stderr}${stdout}`,
        ),
      );
    });
  });
}
