/**
 * The `virtkit` command. Each subcommand lives in cli/commands/<name>.ts and registers
 * itself; errors print one clear line (or report) and exit non-zero, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../common/version';
interface CommandModule {
  register(program: Command): void;
}

/**
 * Subcommands, loaded only when used: `virtkit launcher` runs once per VM, so it must not pay
 * for the Kubernetes client, the schemas and the construct library that other commands load.
 */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  crds: () => import('./commands/crds'),
  install: () => import('./commands/install'),
  validate: () => import('./commands/validate'),
  up: () => import('./commands/up'),
  down: () => import('./commands/down'),
  status: () => import('./commands/status'),
  launch: () => import('./commands/launch'),
  launcher: () => import('./commands/launcher'),
  // The check kubelet execs in a launcher pod for a guestAgentPing probe (KubeVirt's virt-probe).
  probe: () => import('./commands/probe'),
  controller: () => import('./commands/controller'),
  handler: () => import('./commands/handler'),
  api: () => import('./commands/api'),
  // virtctl's verbs on a running guest, one module for all of them.
  pause: () => import('./commands/vmi-actions'),
  unpause: () => import('./commands/vmi-actions'),
  'soft-reboot': () => import('./commands/vmi-actions'),
  reset: () => import('./commands/vmi-actions'),
  freeze: () => import('./commands/vmi-actions'),
  unfreeze: () => import('./commands/vmi-actions'),
  guestosinfo: () => import('./commands/vmi-actions'),
  userlist: () => import('./commands/vmi-actions'),
  fslist: () => import('./commands/vmi-actions'),
  // virtctl's hotplug verbs.
  addvolume: () => import('./commands/volumes'),
  removevolume: () => import('./commands/volumes'),
  // virtctl's streams: the serial console, the VNC display and port forwards, through the API server.
  console: () => import('./commands/console'),
  vnc: () => import('./commands/vnc'),
  'port-forward': () => import('./commands/port-forward'),
  // The system's ssh and scp, through port-forward --stdio.
  ssh: () => import('./commands/ssh'),
  scp: () => import('./commands/ssh'),
  // virtctl's VM verbs, one module for the three.
  start: () => import('./commands/vm-state'),
  stop: () => import('./commands/vm-state'),
  restart: () => import('./commands/vm-state'),
  // virtctl's live migration verbs, one module for both.
  migrate: () => import('./commands/migrate'),
  'migrate-cancel': () => import('./commands/migrate'),
  // virtctl's offline manifest generators (create vm|instancetype|preference).
  create: () => import('./commands/create'),
  // Client and server versions, like `virtctl version`.
  version: () => import('./commands/version'),
  image: () => import('./commands/image'),
  // virtctl's image-upload: CDI's upload through the upload proxy.
  'image-upload': () => import('./commands/image-upload'),
  importer: () => import('./commands/importer'),
  // virtctl's vmexport, and the export server an exporter pod runs (KubeVirt's virt-exportserver).
  vmexport: () => import('./commands/vmexport'),
  exporter: () => import('./commands/exporter'),
  // The source side of a clone from another namespace (CDI's cdi-cloner).
  cloner: () => import('./commands/cloner'),
};

/** The program with the commands `argv` needs: the one it names, or all of them (help, typos). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('virtkit')
    .description('KubeVirt-compatible virtualization as typed code')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  const named = argv.find((a) => !a.startsWith('-'));
  const names = named && named in COMMANDS ? [named] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]()).register(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    console.error(`virtkit: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.VIRTKIT_DEBUG && e instanceof Error) console.error(e.stack);
    process.exitCode = 1;
  }
}
