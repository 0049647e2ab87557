/**
 * `virtkit ssh [USER@]TYPE/NAME[/NAMESPACE]` and `virtkit scp SRC DST`: the system's OpenSSH
 * client (`ssh`, `scp`) connected to the guest through `virtkit port-forward --stdio` as its
 * ProxyCommand, so the connection goes through the API server like `virtctl ssh --local-ssh`
 * (RBAC: `get` on `virtualmachines/portforward` or `virtualmachineinstances/portforward`; the
 * guest needs an SSH server and the pod network).
 *
 * Flags are virtctl's: `-l/--username` (default $USER; USER@ in the target wins), `-i/--identity-file`,
 * `-p/--port` (the guest's SSH port, 22), `--known-hosts` (a known_hosts file of its own, e.g.
 * ~/.ssh/kubevirt_known_hosts), `-t/--local-ssh-opts` (repeatable, passed to ssh/scp as they are),
 * `-c/--command` (ssh), `-r/--recursive` and `--preserve` (scp). The host ssh sees is
 * `TYPE.NAME.NAMESPACE` (what its known_hosts entries are keyed by). The exit code is ssh's or
 * scp's own (255 for a connection failure); 2 for virtkit's usage errors.
 */
import { spawn } from 'child_process';
import type { Command } from 'commander';
import { tcpPortOf } from '../../common/tcp-port';
import { addKubeFlags, type KubeFlags } from '../kube-flags';
import { ForwardUsageError, parseTarget, type ForwardTarget } from './port-forward';
import { usageExitCodes } from './vm-state';

export interface SshTarget extends ForwardTarget {
  readonly user?: string;
}

export interface SshFlags extends KubeFlags {
  readonly username?: string;
  readonly identityFile?: string;
  readonly port: string;
  readonly knownHosts?: string;
  readonly localSshOpts: string[];
  readonly command?: string;
  readonly recursive?: boolean;
  readonly preserve?: boolean;
}

/** `[USER@]TYPE/NAME[/NAMESPACE]`. Pure; throws ForwardUsageError. */
export function parseSshTarget(value: string): SshTarget {
  const at = value.indexOf('@');
  if (at < 0) return parseTarget(value);
  const user = value.slice(0, at);
  if (!user) throw new ForwardUsageError(`${JSON.stringify(value)}: expected a user name before '@'`);
  const rest = value.slice(at + 1);
  if (!rest) throw new ForwardUsageError(`${JSON.stringify(value)}: expected TYPE/NAME after '@'`);
  return { ...parseTarget(rest), user };
}

/** One word for a POSIX shell (ssh runs ProxyCommand with the user's shell). Pure. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ProxyCommandInput {
  /** How to run virtkit: [node, path of bin/virtkit.js] (process.execPath and process.argv[1]). */
  readonly virtkit: readonly string[];
  readonly target: ForwardTarget;
  readonly namespace: string;
  readonly port: number;
  readonly kubeconfig?: string;
  readonly context?: string;
}

/**
 * ssh's `ProxyCommand=...` option running `virtkit port-forward --stdio TYPE/NAME/NAMESPACE PORT`,
 * each word shell-quoted and every `%` doubled (ssh expands %-tokens in it). Pure.
 */
export function proxyCommandOption(i: ProxyCommandInput): string {
  const words = [
    ...i.virtkit,
    'port-forward',
    '--stdio',
    `${i.target.kind}/${i.target.name}/${i.namespace}`,
    String(i.port),
    ...(i.kubeconfig ? ['--kubeconfig', i.kubeconfig] : []),
    ...(i.context ? ['--context', i.context] : []),
  ];
  return `ProxyCommand=${words.map(shellQuote).join(' ').replace(/%/g, '%%')}`;
}

/** The host name ssh and scp see: TYPE.NAME.NAMESPACE. Pure. */
export function sshHost(target: ForwardTarget, namespace: string): string {
  return `${target.kind}.${target.name}.${namespace}`;
}

/** Options both clients get. Pure. */
function commonOptions(flags: SshFlags, proxy: string): string[] {
  // The guest's port is the forward's (in the ProxyCommand), not an -p/-P of the client.
  return [
    '-o',
    proxy,
    ...(flags.knownHosts ? ['-o', `UserKnownHostsFile=${flags.knownHosts}`] : []),
    ...(flags.identityFile ? ['-i', flags.identityFile] : []),
    ...flags.localSshOpts,
  ];
}

/** The user to log in as: USER@ of the target, else -l, else $USER. Pure. */
export function loginUser(target: SshTarget, flags: SshFlags, env: NodeJS.ProcessEnv): string | undefined {
  return target.user ?? flags.username ?? (env.USER || env.USERNAME || env.LOGNAME || undefined);
}

/** The guest's SSH port from -p. Pure; throws ForwardUsageError. */
export function sshPort(value: string): number {
  const port = tcpPortOf(value);
  if (port === undefined)
    throw new ForwardUsageError(
      `--port ${JSON.stringify(value)}: the guest's SSH port must be a number from 1 to 65535`,
    );
  return port;
}

export interface SshContext {
  readonly virtkit: readonly string[];
  readonly namespace: string;
  readonly env: NodeJS.ProcessEnv;
}

/** `ssh` arguments for `virtkit ssh TARGET`. Pure. */
export function sshArgs(target: SshTarget, flags: SshFlags, ctx: SshContext): string[] {
  const namespace = target.namespace ?? ctx.namespace;
  const proxy = proxyCommandOption({
    virtkit: ctx.virtkit,
    target,
    namespace,
    port: sshPort(flags.port),
    kubeconfig: flags.kubeconfig,
    context: flags.context,
  });
  const user = loginUser(target, flags, ctx.env);
  const host = sshHost(target, namespace);
  return [
    ...commonOptions(flags, proxy),
    user ? `${user}@${host}` : host,
    ...(flags.command ? [flags.command] : []),
  ];
}

/** A remote scp operand, `[USER@]TYPE/NAME[/NAMESPACE]:PATH`, or undefined for a local path. Pure. */
export function parseScpOperand(value: string): { target: SshTarget; path: string } | undefined {
  // A local path may hold ':' too (./a:b): remote operands start with [user@]type/ before the first ':'.
  const colon = value.indexOf(':');
  if (colon < 0) return undefined;
  const head = value.slice(0, colon);
  if (!/^([^@/]+@)?[A-Za-z]+\/[^/]+(\/[^/]+)?$/.test(head)) return undefined;
  return { target: parseSshTarget(head), path: value.slice(colon + 1) };
}

/** `scp` arguments for `virtkit scp SRC DST` (exactly one of them remote). Pure. */
export function scpArgs(src: string, dst: string, flags: SshFlags, ctx: SshContext): string[] {
  const remote = [parseScpOperand(src), parseScpOperand(dst)];
  const count = remote.filter(Boolean).length;
  if (count !== 1)
    throw new ForwardUsageError(
      count === 0
        ? 'name the VM in SRC or DST as [USER@]TYPE/NAME[/NAMESPACE]:PATH, e.g. vm/web:/tmp/file'
        : 'copying from one VM to another is not supported; copy through a local file',
    );
  const r = (remote[0] ?? remote[1])!;
  const namespace = r.target.namespace ?? ctx.namespace;
  const proxy = proxyCommandOption({
    virtkit: ctx.virtkit,
    target: r.target,
    namespace,
    port: sshPort(flags.port),
    kubeconfig: flags.kubeconfig,
    context: flags.context,
  });
  const user = loginUser(r.target, flags, ctx.env);
  const host = sshHost(r.target, namespace);
  const remoteOperand = `${user ? `${user}@` : ''}${host}:${r.path}`;
  return [
    ...commonOptions(flags, proxy),
    ...(flags.recursive ? ['-r'] : []),
    ...(flags.preserve ? ['-p'] : []),
    remote[0] ? remoteOperand : src,
    remote[1] ? remoteOperand : dst,
  ];
}

/** -t values, repeatable; `-t=VALUE` (pflag's spelling, which virtctl's examples use) is VALUE. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value.startsWith('=') ? value.slice(1) : value];
}

function addSshFlags(cmd: Command): void {
  cmd
    .option('-l, --username <user>', 'the user to log in as (default: $USER; USER@ in the target wins)')
    .option('-i, --identity-file <file>', "the private key to authenticate with (default: ssh's own choice)")
    .option('-p, --port <port>', "the guest's SSH port", '22')
    .option('--known-hosts <file>', 'a known_hosts file for the guests (e.g. ~/.ssh/kubevirt_known_hosts)')
    .option(
      '-t, --local-ssh-opts <option>',
      'an option passed to the local client as it is, e.g. -t="-o StrictHostKeyChecking=no" (repeatable)',
      collect,
      [] as string[],
    );
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
}

/** The namespace a target without /NAMESPACE is in: -n, else the kubeconfig context's. */
async function defaultNamespace(flags: KubeFlags): Promise<string> {
  if (flags.namespace) return flags.namespace;
  const { resolveKubeConfig } = await import('../../kube/config');
  return resolveKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context }).namespace;
}

/** Runs the client with the terminal; resolves with its exit code. */
function run(binary: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: 'inherit' });
    child.once('error', (err) => {
      console.error(
        `virtkit: cannot run ${binary}: ${err.message}; install the OpenSSH client (Debian: apt-get install openssh-client)`,
      );
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** How the ProxyCommand runs this virtkit: this node binary and this script. */
function selfCommand(): string[] {
  return [process.execPath, process.argv[1]];
}

export function register(program: Command): void {
  // One module for both verbs: the program may ask it for each.
  if (program.commands.some((c) => c.name() === 'ssh')) return;
  const ssh = program
    .command('ssh')
    .description(
      "Open an SSH session to a VM's guest with the system's ssh (like `virtctl ssh --local-ssh`): [USER@]TYPE/NAME[/NAMESPACE]",
    )
    .argument('<target>', '[USER@]vm/NAME[/NAMESPACE] or [USER@]vmi/NAME[/NAMESPACE]')
    .option('-c, --command <command>', 'run this command in the guest instead of a shell');
  addSshFlags(ssh);
  ssh.action(async (targetArg: string, flags: SshFlags) => {
    let args: string[];
    try {
      const target = parseSshTarget(targetArg);
      const namespace = target.namespace ?? (await defaultNamespace(flags));
      args = sshArgs(target, flags, { virtkit: selfCommand(), namespace, env: process.env });
    } catch (err) {
      if (!(err instanceof ForwardUsageError)) throw err;
      ssh.error(`virtkit ssh: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
      return;
    }
    process.exitCode = await run('ssh', args);
  });

  const scp = program
    .command('scp')
    .description(
      "Copy files to or from a VM's guest with the system's scp (like `virtctl scp --local-ssh`): one of SRC and DST is [USER@]TYPE/NAME[/NAMESPACE]:PATH",
    )
    .argument('<src>', 'a local path, or [USER@]vm/NAME[/NAMESPACE]:PATH')
    .argument('<dst>', 'a local path, or [USER@]vm/NAME[/NAMESPACE]:PATH')
    .option('-r, --recursive', 'copy directories recursively')
    .option('--preserve', 'keep modification times and modes');
  addSshFlags(scp);
  scp.action(async (src: string, dst: string, flags: SshFlags) => {
    let args: string[];
    try {
      const namespace = await defaultNamespace(flags);
      args = scpArgs(src, dst, flags, { virtkit: selfCommand(), namespace, env: process.env });
    } catch (err) {
      if (!(err instanceof ForwardUsageError)) throw err;
      scp.error(`virtkit scp: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
      return;
    }
    process.exitCode = await run('scp', args);
  });
}
