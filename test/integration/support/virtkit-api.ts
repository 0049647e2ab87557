/**
 * `virtkit api` as integration suites run it: the real command, serving admission over HTTPS with
 * the shared control plane's serving certificate, on a free local port.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { apiServingArgs, apiServingFiles } from '../../../cli/local/components';
import { layout } from '../../../cli/local/layout';
import { reservePorts } from '../../../cli/local/ports';
import { REPO_ROOT } from './examples';
import { readShared } from './shared-controlplane';

export interface RunningVirtkitApi {
  readonly process: ChildProcess;
  /** `https://127.0.0.1:<port>`, for a webhook configuration's url. */
  readonly url: string;
  /** PEM of the CA that signed its serving certificate, for the caBundle. */
  readonly caPem: string;
  /** Everything it logged so far (JSON lines). */
  log(): string;
}

/** Starts `virtkit api` and resolves once it serves admission. */
export async function startVirtkitApi(
  options: { kubeconfig?: string; logLevel?: string; keepLogChars?: number } = {},
): Promise<RunningVirtkitApi> {
  const l = layout(readShared().stateDir);
  const { port } = await reservePorts({ port: undefined });
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin', 'virtkit.js'),
      'api',
      '--kubeconfig',
      options.kubeconfig ?? readShared().kubeconfig,
      ...apiServingArgs(l, port),
      ...(options.logLevel ? ['--log-level', options.logLevel] : []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json') },
    },
  );
  let log = '';
  const keep = options.keepLogChars ?? Infinity;
  const append = (d: Buffer) => {
    log += d.toString();
    if (log.length > keep) log = log.slice(-keep);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const until = Date.now() + 60_000;
  while (!log.includes('serving admission')) {
    if (Date.now() > until || child.exitCode !== null) {
      if (child.exitCode === null) child.kill('SIGTERM');
      throw new Error(`virtkit api did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    url: `https://127.0.0.1:${port}`,
    caPem: fs.readFileSync(apiServingFiles(l).ca, 'utf8'),
    log: () => log,
  };
}
