/**
 * virtctl's hotplug verbs, with virtctl's flags, meanings and lines:
 *
 *   virtkit addvolume VMI --volume-name=NAME [--persist] [--serial=S] [--cache=MODE]
 *                         [--disk-type=disk] [--dry-run]
 *   virtkit removevolume VMI --volume-name=NAME [--persist] [--dry-run]
 *
 * --volume-name names a DataVolume or a PersistentVolumeClaim in the namespace (a DataVolume is
 * looked for first, as virtctl does); the volume and its disk take that name. The disk goes on
 * the scsi bus, its serial is the volume name unless --serial is given. Without --persist the
 * request goes to the VMI's subresource (PUT .../virtualmachineinstances/VMI/addvolume): the
 * running guest gets the disk, the VM's template does not. With --persist it goes to the VM's
 * (PUT .../virtualmachines/VMI/addvolume): the VM records it and its controller adds the disk
 * to the template and to the running VMI. Prints virtctl's line, "Successfully submitted add
 * volume request to VM VMI for volume NAME"; the disk reaches the guest shortly after
 * (`status.volumeStatus` of the VMI says when: phase Ready and its target).
 *
 * Exit codes: 0 submitted, 1 the server refused (its message is printed) or could not be
 * reached, 2 usage (no VMI, no --volume-name, a bad --cache or --disk-type).
 */
import type { Command } from 'commander';
import type { KubeConfigOptions } from '../../kube/config';
import {
  DATA_VOLUMES,
  PVCS,
  SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES,
  SUBRESOURCE_VIRTUAL_MACHINES,
} from '../../kube/resources';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { refusalMessage, usageExitCodes } from './vm-state';

export type VolumeVerb = 'addvolume' | 'removevolume';

export interface VolumeFlags extends KubeFlags {
  readonly volumeName?: string;
  readonly persist?: boolean;
  readonly serial?: string;
  readonly cache?: string;
  readonly diskType?: string;
  readonly dryRun?: boolean;
}

export class VolumeUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeUsageError';
  }
}

const CACHE_MODES = ['none', 'writethrough', 'writeback'];

/** What the volume name refers to (a DataVolume first, as virtctl looks). */
export type VolumeKind = 'dataVolume' | 'persistentVolumeClaim';

/** The AddVolumeOptions body (pure). */
export function addVolumeBody(flags: VolumeFlags, kind: VolumeKind): Record<string, unknown> {
  const name = requireVolumeName(flags);
  if (flags.cache !== undefined && !CACHE_MODES.includes(flags.cache))
    throw new VolumeUsageError(
      `error adding volume, invalid cache value ${flags.cache}; use none, writethrough or writeback`,
    );
  const diskType = flags.diskType ?? 'disk';
  if (diskType !== 'disk')
    throw new VolumeUsageError(
      diskType === 'lun'
        ? '--disk-type lun: virtkit hotplugs disks only (LUN passthrough is not supported yet); leave --disk-type out'
        : `Invalid disk type '${diskType}'. Only LUN and Disk are supported.`,
    );
  return {
    name,
    disk: {
      name,
      disk: { bus: 'scsi' },
      serial: flags.serial ?? name,
      ...(flags.cache !== undefined ? { cache: flags.cache } : {}),
    },
    volumeSource:
      kind === 'dataVolume'
        ? { dataVolume: { name, hotpluggable: true } }
        : { persistentVolumeClaim: { claimName: name, hotpluggable: true } },
    ...(flags.dryRun ? { dryRun: ['All'] } : {}),
  };
}

/** The RemoveVolumeOptions body (pure). */
export function removeVolumeBody(flags: VolumeFlags): Record<string, unknown> {
  return { name: requireVolumeName(flags), ...(flags.dryRun ? { dryRun: ['All'] } : {}) };
}

function requireVolumeName(flags: VolumeFlags): string {
  const name = flags.volumeName?.trim();
  if (!name)
    throw new VolumeUsageError(
      '--volume-name is required: the DataVolume or PersistentVolumeClaim to hotplug',
    );
  return name;
}

/** virtctl's line. */
export function submittedLine(verb: VolumeVerb, vmi: string, volume: string): string {
  return `Successfully submitted ${verb === 'addvolume' ? 'add' : 'remove'} volume request to VM ${vmi} for volume ${volume}`;
}

/** The requests the verbs make; tests pass their own. */
export interface VolumeApi {
  readonly namespace: string;
  /** Whether a DataVolume, else a PersistentVolumeClaim, of that name exists. */
  kindOf(name: string): Promise<VolumeKind | undefined>;
  put(resource: 'vm' | 'vmi', name: string, subresource: VolumeVerb, body: unknown): Promise<void>;
  close(): void;
}

export type VolumeConnector = (connection: KubeConfigOptions) => Promise<VolumeApi>;

export const connectKube: VolumeConnector = async (connection) => {
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  return {
    namespace: api.namespace,
    kindOf: async (name) => {
      // Without CDI's CRD the DataVolume lookup fails: fall back to the claim.
      const dv = await api.getIfExists(DATA_VOLUMES, api.namespace, name).catch(() => undefined);
      if (dv) return 'dataVolume';
      return (await api.getIfExists(PVCS, api.namespace, name)) ? 'persistentVolumeClaim' : undefined;
    },
    put: async (resource, name, sub, body) => {
      const rt = resource === 'vm' ? SUBRESOURCE_VIRTUAL_MACHINES : SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES;
      await api.putSubresource(rt, api.namespace, name, sub, body);
    },
    close: () => api.close(),
  };
};

/** One verb: answers the line to print, throws the refusal. */
export async function runVolumeVerb(
  api: VolumeApi,
  verb: VolumeVerb,
  vmi: string,
  flags: VolumeFlags,
): Promise<string> {
  let body: Record<string, unknown>;
  if (verb === 'addvolume') {
    const name = requireVolumeName(flags);
    const kind = await api.kindOf(name);
    if (!kind)
      throw new Error(
        `error adding volume, Volume ${name} is not a DataVolume or PersistentVolumeClaim in namespace ${api.namespace}; create the claim first`,
      );
    body = addVolumeBody(flags, kind);
  } else body = removeVolumeBody(flags);
  await api.put(flags.persist ? 'vm' : 'vmi', vmi, verb, body);
  return submittedLine(verb, vmi, String(body.name));
}

const DESCRIPTIONS: Record<VolumeVerb, string> = {
  addvolume:
    'Hotplug a DataVolume or PersistentVolumeClaim into a running VMI as a scsi disk (like `virtctl addvolume`); --persist adds it to the VM too',
  removevolume:
    'Unplug a hotplugged volume from a running VMI (like `virtctl removevolume`); --persist removes it from the VM too',
};

export function registerVerb(
  program: Command,
  verb: VolumeVerb,
  connect: VolumeConnector = connectKube,
): Command {
  const cmd = program
    .command(verb)
    .description(DESCRIPTIONS[verb])
    .argument('<vmi>', 'the VirtualMachineInstance (with --persist: its VirtualMachine, same name)')
    .option(
      '--volume-name <name>',
      'the DataVolume or PersistentVolumeClaim (the volume and disk take its name)',
    )
    .option('--persist', 'change the VirtualMachine as well, so the volume stays after a restart')
    .option('--dry-run', 'let the server check the request without carrying it out');
  if (verb === 'addvolume')
    cmd
      .option('--serial <serial>', "the disk's serial number in the guest (default: the volume name)")
      .option('--cache <mode>', 'the disk cache mode: none, writethrough or writeback')
      .option('--disk-type <type>', 'disk (the only type virtkit hotplugs)');
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(async (vmi: string, flags: VolumeFlags) => {
    try {
      if (verb === 'addvolume') addVolumeBody(flags, 'persistentVolumeClaim');
      else removeVolumeBody(flags);
    } catch (err) {
      if (err instanceof VolumeUsageError)
        cmd.error(`virtkit ${verb}: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
      throw err;
    }
    if (flags.dryRun) console.log('Dry Run execution');
    let api: VolumeApi | undefined;
    try {
      api = await connect(connectionOf(flags));
      console.log(await runVolumeVerb(api, verb, vmi, flags));
    } catch (err) {
      console.error(`virtkit ${verb}: ${refusalMessage(err)}`);
      process.exitCode = 1;
    } finally {
      api?.close();
    }
  });
  return cmd;
}

export function register(program: Command): void {
  for (const verb of ['addvolume', 'removevolume'] as const)
    if (!program.commands.some((c) => c.name() === verb)) registerVerb(program, verb);
}
