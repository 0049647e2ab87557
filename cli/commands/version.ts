/**
 * `virtkit version [--client] [-o yaml|json]`: the client's and the server's version, like
 * `virtctl version`. The client's is this package's; the server's is what
 * `GET /apis/subresources.kubevirt.io/v1/version` answers through the API server (virtkit's
 * api component, or KubeVirt's virt-api: the same shape). Plain output is virtctl's, Go's
 * notation of the version info:
 *
 *   Client Version: version.Info{GitVersion:"v0.1.0", GitCommit:"", ..., Platform:"linux/amd64"}
 *   Server Version: version.Info{GitVersion:"v0.1.0", ...}
 *
 * `-o yaml|json` prints `{clientVersion, serverVersion}` (kubectl's keys), `--client` leaves the
 * server out and contacts nothing. (`virtkit --version` prints the bare package version.)
 *
 * Exit codes: 0 both versions printed, 1 the server could not be asked or refused (the client
 * version is printed first, then one line saying why), 2 usage.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { versionInfo, type VersionInfo } from '../../apiserver/subresources/version';
import { printable } from '../../api/validation/printable';
import type { KubeConfigOptions } from '../../kube/config';
import { groupVersionSubPath, SUBRESOURCES_API_VERSION } from '../../kube/resources';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { refusalMessage, usageExitCodes } from './vm-state';

/** The version info fields, in the order Go's version.Info declares them. */
const FIELDS = [
  'gitVersion',
  'gitCommit',
  'gitTreeState',
  'buildDate',
  'goVersion',
  'compiler',
  'platform',
] as const satisfies readonly (keyof VersionInfo)[];

/** Asks the server for its version info; tests pass their own. */
export type ServerVersionFetcher = (connection: KubeConfigOptions) => Promise<unknown>;

export const VERSION_PATH = groupVersionSubPath(SUBRESOURCES_API_VERSION, 'version');

/** The real request: a GET through KubeClient to the subresource API's version. */
export const fetchServerVersion: ServerVersionFetcher = async (connection) => {
  // Loaded here: `virtkit version --client` never pays for the Kubernetes client.
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  try {
    return await api.getPath(VERSION_PATH);
  } finally {
    api.close();
  }
};

/** The server's answer as version info; throws when it is not one (a proxy's page, say). */
export function asVersionInfo(answer: unknown): VersionInfo {
  const o = answer as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o) || typeof o.gitVersion !== 'string')
    throw new Error(
      `the server's answer to GET ${VERSION_PATH} is not version info (no gitVersion); is the subresource API served by KubeVirt or virtkit?`,
    );
  const info = {} as Record<(typeof FIELDS)[number], string>;
  for (const f of FIELDS) info[f] = typeof o[f] === 'string' ? o[f] : '';
  return info;
}

/** Go's `%#v` of a version.Info, which is what virtctl prints. */
export function goNotation(info: VersionInfo): string {
  const fields = FIELDS.map((f) => `${f[0].toUpperCase()}${f.slice(1)}:${JSON.stringify(info[f])}`);
  return printable(`version.Info{${fields.join(', ')}}`);
}

interface VersionFlags extends KubeFlags {
  readonly client?: boolean;
  readonly output?: string;
}

function render(
  format: 'yaml' | 'json',
  versions: { clientVersion: VersionInfo; serverVersion?: VersionInfo },
): string {
  return format === 'json' ? `${JSON.stringify(versions, null, 2)}\n` : stringify(versions, { lineWidth: 0 });
}

/** Registers `version`, asking the server through `fetch` (tests pass their own). */
export function registerVersion(program: Command, fetch: ServerVersionFetcher = fetchServerVersion): Command {
  const cmd = program
    .command('version')
    .description(
      "Print the client and server versions (like `virtctl version`); the server's through the API server",
    )
    .option('--client', 'print the client version only; contact no server')
    .option('-o, --output <format>', 'yaml or json: {clientVersion, serverVersion} (default: virtctl lines)');
  addKubeFlags(cmd);
  usageExitCodes(cmd);
  cmd.showHelpAfterError('(run `virtkit version --help` for its flags)');
  cmd.action(async (flags: VersionFlags) => {
    const format = flags.output as 'yaml' | 'json' | undefined;
    if (format !== undefined && format !== 'yaml' && format !== 'json')
      cmd.error(
        `virtkit version: -o ${JSON.stringify(format)}: not an output format; use -o yaml or -o json`,
        {
          exitCode: 2,
          code: 'virtkit.usage',
        },
      );
    const clientVersion = versionInfo();
    let serverVersion: VersionInfo | undefined;
    let failure: string | undefined;
    if (!flags.client) {
      try {
        serverVersion = asVersionInfo(await fetch(connectionOf(flags)));
      } catch (err) {
        failure = refusalMessage(err);
      }
    }
    if (format)
      process.stdout.write(render(format, { clientVersion, ...(serverVersion ? { serverVersion } : {}) }));
    else {
      console.log(`Client Version: ${goNotation(clientVersion)}`);
      if (serverVersion) console.log(`Server Version: ${goNotation(serverVersion)}`);
    }
    if (failure !== undefined) {
      console.error(`virtkit version: cannot get the server version: ${printable(failure)}`);
      process.exitCode = 1;
    }
  });
  return cmd;
}

export function register(program: Command): void {
  if (!program.commands.some((c) => c.name() === 'version')) registerVersion(program);
}
