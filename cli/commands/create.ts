/**
 * `virtkit create vm|instancetype|preference`: virtctl's offline manifest generators, with
 * virtctl's names, flags and defaults. Each prints one manifest (YAML, or JSON with -o json) to
 * stdout and talks to no cluster: pipe it to `kubectl apply -f -` or commit it. The generators
 * are pure functions in cli/create/; this module turns flags into their options and their
 * results into output.
 *
 * Exit codes: 0 printed, 2 usage (a bad flag value or combination, every one named on its own
 * line on stderr: the flag, the value and the fix).
 */
import * as fs from 'fs';
import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import { printable } from '../../api/validation/printable';
import {
  createInstancetype,
  type CreateInstancetypeOptions,
  IOTHREADS_POLICY_VALUES,
} from '../create/instancetype';
import { parseOutputFormat, renderManifest } from '../create/manifest';
import { CreateUsageError } from '../create/params';
import { createPreference, type CreatePreferenceOptions } from '../create/preference';
import {
  createVm,
  type CreateVmOptions,
  DEFAULT_MEMORY,
  DEFAULT_TERMINATION_GRACE_PERIOD,
  VM_RUN_STRATEGIES,
} from '../create/vm';
import { CLOUD_INIT_TYPES } from '../create/vm-cloud-init';
import { importTypesHelp } from '../create/vm-volumes';
import { usageExitCodes } from './vm-state';

/** `--flag`, `--flag=true`, `--flag=false`: virtctl's boolean flags, whose default may be true. */
function bool(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('not a boolean; write the flag alone, or =true or =false');
}

/** A flag given once per item. */
function repeat(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** virtctl's --ssh-key is a string slice: repeatable, and commas separate keys too. */
function repeatCommaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',')];
}

/** The largest password file read: a password is one line, and inline user data ends at 2 KiB. */
const MAX_PASSWORD_FILE_BYTES = 4096;

/** What --password-file names, trimmed as virtctl trims it. Throws CreateUsageError. */
export function readPasswordFile(file: string): string {
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_PASSWORD_FILE_BYTES)
      throw new CreateUsageError([
        `--password-file ${JSON.stringify(file)}: the file is ${size} bytes; a password file holds one line with the password`,
      ]);
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (err instanceof CreateUsageError) throw err;
    throw new CreateUsageError([
      `--password-file ${JSON.stringify(file)}: cannot read it (${(err as Error).message}); give a file that holds the password`,
    ]);
  }
}

interface OutputFlags {
  readonly output?: string;
}

/** Runs a generator: its manifest to stdout, its warnings to stderr, its refusals as usage errors. */
function emit(
  cmd: Command,
  make: () => { object: unknown; warnings?: readonly string[] },
  flags: OutputFlags,
) {
  let text: string;
  let warnings: readonly string[] = [];
  try {
    const format = parseOutputFormat(flags.output);
    const made = make();
    warnings = made.warnings ?? [];
    text = renderManifest(made.object, format);
  } catch (err) {
    if (!(err instanceof CreateUsageError)) throw err;
    for (const line of err.problems)
      console.error(`virtkit ${cmd.parent?.name()} ${cmd.name()}: ${printable(line)}`);
    throw new CommanderError(2, 'virtkit.usage', err.message);
  }
  for (const line of warnings) console.error(line);
  process.stdout.write(text);
}

function common(cmd: Command, what: string): Command {
  cmd.option('-o, --output <format>', 'yaml (the default) or json');
  usageExitCodes(cmd);
  cmd.showHelpAfterError(`(run \`virtkit create ${what} --help\` for its flags)`);
  return cmd;
}

function registerVm(create: Command): void {
  const cmd = create
    .command('vm')
    .description(
      'Print a VirtualMachine manifest (like `virtctl create vm`). Volumes boot in this order unless bootorder says otherwise: containerdisk > PVC > DataSource > clone PVC > blank > imported',
    )
    .option('--name <name>', 'the name of the VM (default: vm- and 5 random characters)')
    .option('-n, --namespace <ns>', 'metadata.namespace of the VM (default: none, kubectl picks)')
    .option('--run-strategy <strategy>', `${VM_RUN_STRATEGIES.join(', ')} (default: Always)`)
    .option(
      '--termination-grace-period <seconds>',
      `seconds the guest gets to shut down (default: ${DEFAULT_TERMINATION_GRACE_PERIOD})`,
    )
    .option('--memory <quantity>', `guest memory, without an instancetype only (default: ${DEFAULT_MEMORY})`)
    .option(
      '--instancetype <[kind/]name>',
      'the instancetype that sizes the VM; kind virtualmachineinstancetype, or virtualmachineclusterinstancetype (the default)',
    )
    .option(
      '--infer-instancetype [bool]',
      'infer the instancetype from the first boot volume. virtctl also does so unasked, keeping --memory as a fallback; virtkit infers only when asked, as its admission refuses memory beside an instancetype',
      bool,
    )
    .option('--infer-instancetype-from <volume>', 'infer the instancetype from this volume')
    .option(
      '--preference <[kind/]name>',
      'the preference; kind virtualmachinepreference, or virtualmachineclusterpreference (the default)',
    )
    .option(
      '--infer-preference [bool]',
      'infer the preference from the first boot volume (default: true; when not asked for, a failed inference is ignored)',
      bool,
    )
    .option('--infer-preference-from <volume>', 'infer the preference from this volume')
    .option(
      '--volume-containerdisk <params>',
      'a container disk, repeatable: src:IMAGE[,name:NAME][,bootorder:N]',
      repeat,
    )
    .option(
      '--volume-pvc <params>',
      "a PVC of the VM's namespace used directly, repeatable: src:CLAIM[,name:NAME][,bootorder:N]",
      repeat,
    )
    .option(
      '--volume-import <params>',
      `a DataVolume template, repeatable: type:T,name:NAME,size:SIZE,bootorder:N and the params of its type: ${importTypesHelp()}; size is required but for pvc, snapshot and ds; src is NAMESPACE/NAME (a DataSource's namespace may be left out); extraheaders are separated by ;`,
      repeat,
    )
    .option(
      '--volume-sysprep <params>',
      'a Windows answer file as a CD-ROM: src:NAME[,type:configMap|secret] (default type: configMap)',
    )
    .option('--user <name>', 'the guest user in the generated cloud-init user data')
    .option(
      '--password-file <file>',
      "the user's password for the cloud-init user data (stored in cleartext in the VM)",
    )
    .option(
      '--ssh-key <key>',
      'an SSH authorized key for the cloud-init user data, repeatable',
      repeatCommaList,
    )
    .option(
      '--ga-manage-ssh [bool]',
      "let the guest agent manage SSH keys (sets SELinux's virt_qemu_ga_manage_ssh in the user data); an --access-cred for the guest agent turns it on",
      bool,
    )
    .option(
      '--access-cred <params>',
      'an access credential, repeatable: src:SECRET[,type:ssh|password][,method:ga|nocloud|configdrive][,user:USER] (ssh through the guest agent needs a user, from user: or --user)',
      repeat,
    )
    .option(
      '--cloud-init <type>',
      `the cloud-init data source: ${CLOUD_INIT_TYPES.join(', ')} (default: nocloud)`,
    )
    .option('--cloud-init-user-data <base64>', 'the whole cloud-init user data, base64-encoded')
    .option('--cloud-init-network-data <base64>', 'cloud-init network data, base64-encoded')
    .option(
      '--volume-datasource <params>',
      'deprecated: --volume-import type:ds with the same params',
      repeat,
    )
    .option(
      '--volume-clone-pvc <params>',
      'deprecated: --volume-import type:pvc with the same params',
      repeat,
    )
    .option('--volume-blank <params>', 'deprecated: --volume-import type:blank with the same params', repeat)
    .addHelpText(
      'after',
      `
Examples:
  virtkit create vm --name web --volume-containerdisk src:quay.io/containerdisks/fedora:latest --user fedora --ssh-key "$(cat ~/.ssh/id_ed25519.pub)"
  virtkit create vm --instancetype u1.medium --preference fedora --volume-import type:ds,src:os-images/fedora,size:30Gi
  virtkit create vm --volume-import type:ds,src:os-images/fedora --infer-instancetype | kubectl apply -f -`,
    );
  common(cmd, 'vm').action((flags: CreateVmOptions & OutputFlags) => {
    emit(
      cmd,
      () => {
        const made = createVm({
          ...flags,
          ...(flags.passwordFile !== undefined ? { password: readPasswordFile(flags.passwordFile) } : {}),
        });
        return { object: made.vm, warnings: made.warnings };
      },
      flags,
    );
  });
}

function registerInstancetype(create: Command): void {
  const cmd = create
    .command('instancetype')
    .description(
      'Print a VirtualMachineClusterInstancetype manifest, or with --namespaced a VirtualMachineInstancetype (like `virtctl create instancetype`)',
    )
    .option(
      '--name <name>',
      'the name (default: clusterinstancetype- or instancetype- and 5 random characters)',
    )
    .option('--namespaced [bool]', 'make a namespaced VirtualMachineInstancetype', bool)
    .option('-n, --namespace <ns>', 'its namespace (implies --namespaced)')
    .option('--cpu <count>', 'required: the number of vCPUs')
    .option('--memory <quantity>', 'required: the guest memory, such as 4Gi')
    .option('--gpu <params>', 'a GPU to pass through, repeatable: name:NAME,devicename:RESOURCE', repeat)
    .option(
      '--hostdevice <params>',
      'a host device to pass through, repeatable: name:NAME,devicename:RESOURCE',
      repeat,
    )
    .option('--iothreadspolicy <policy>', IOTHREADS_POLICY_VALUES.join(' or '))
    .addHelpText(
      'after',
      `
Examples:
  virtkit create instancetype --name small --cpu 1 --memory 2Gi
  virtkit create instancetype --namespaced --cpu 4 --memory 8Gi --gpu name:gpu1,devicename:nvidia.com/TU104GL_Tesla_T4`,
    );
  common(cmd, 'instancetype').action((flags: CreateInstancetypeOptions & OutputFlags) => {
    emit(cmd, () => ({ object: createInstancetype(flags) }), flags);
  });
}

function registerPreference(create: Command): void {
  const cmd = create
    .command('preference')
    .description(
      'Print a VirtualMachineClusterPreference manifest, or with --namespaced a VirtualMachinePreference (like `virtctl create preference`)',
    )
    .option('--name <name>', 'the name (default: clusterpreference- or preference- and 5 random characters)')
    .option('--namespaced [bool]', 'make a namespaced VirtualMachinePreference', bool)
    .option('-n, --namespace <ns>', 'its namespace (implies --namespaced)')
    .option(
      '--cpu-topology <topology>',
      'the preferred guest CPU topology: sockets, cores, threads, spread or any',
    )
    .option('--volume-storage-class <name>', 'the preferred StorageClass of DataVolumes')
    .option('--machine-type <type>', 'the preferred machine type, such as q35')
    .addHelpText(
      'after',
      `
Examples:
  virtkit create preference --name linux --cpu-topology spread --machine-type q35`,
    );
  common(cmd, 'preference').action((flags: CreatePreferenceOptions & OutputFlags) => {
    emit(cmd, () => ({ object: createPreference(flags) }), flags);
  });
}

export function register(program: Command): void {
  if (program.commands.some((c) => c.name() === 'create')) return;
  const create = program
    .command('create')
    .description(
      'Print a VirtualMachine, instancetype or preference manifest from flags (like `virtctl create`); nothing is sent to a cluster',
    );
  usageExitCodes(create);
  registerVm(create);
  registerInstancetype(create);
  registerPreference(create);
}
