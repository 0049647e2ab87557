/**
 * `virtkit create vm`: virtctl's VirtualMachine generator, with virtctl's flags and defaults
 * (run strategy Always, termination grace period 180 s, memory 512Mi when no instancetype sizes
 * the VM, a generated `vm-xxxxx` name), its volume flags (vm-volumes.ts) and its guest-access
 * flags (vm-cloud-init.ts). Pure: the VM and the warnings to print, or a CreateUsageError naming
 * every bad flag. The VM passes virtkit's validation, and so does each DataVolume template as
 * the DataVolume it becomes.
 *
 * One difference from virtctl: virtctl also infers an instancetype when not asked (from the first
 * boot volume, keeping --memory as a fallback in case inference fails). virtkit's admission
 * refuses guest memory beside an instancetype, so virtkit infers one only when asked
 * (--infer-instancetype or --infer-instancetype-from). Preferences are inferred as virtctl does.
 */
import type { InstancetypeMatcher, PreferenceMatcher, VirtualMachine } from '../../api/kubevirt/v1';
import { dns1123SubdomainProblems } from '../../api/validation/dns-names';
import { assertValid, refusals } from './manifest';
import {
  checkName,
  checkNamespace,
  CreateUsageError,
  ParamError,
  positiveQuantity,
  Problems,
  randomSuffix,
  type RandomSuffix,
  splitPrefixedName,
} from './params';
import { addGuestAccess, type GuestAccessFlags } from './vm-cloud-init';
import { addVolumes, type VolumeFlags, VolumeSet } from './vm-volumes';

export interface CreateVmOptions extends VolumeFlags, GuestAccessFlags {
  /** Default: `vm-` and 5 random characters, as virtctl. */
  readonly name?: string;
  /** -n: metadata.namespace. */
  readonly namespace?: string;
  /** Default Always. */
  readonly runStrategy?: string;
  /** Seconds; default 180. */
  readonly terminationGracePeriod?: string;
  /** Default 512Mi; only without an instancetype. */
  readonly memory?: string;
  /** `[kind/]name`; the kind defaults to virtualmachineclusterinstancetype. */
  readonly instancetype?: string;
  readonly inferInstancetype?: boolean;
  readonly inferInstancetypeFrom?: string;
  /** `[kind/]name`; the kind defaults to virtualmachineclusterpreference. */
  readonly preference?: string;
  readonly inferPreference?: boolean;
  readonly inferPreferenceFrom?: string;
}

export interface CreatedVm {
  readonly vm: VirtualMachine;
  /** Lines for stderr: deprecated flags, a cleartext password... */
  readonly warnings: readonly string[];
}

/** The run strategies virtctl's --run-strategy takes (WaitAsReceiver is the migration target's). */
export const VM_RUN_STRATEGIES = ['Always', 'Manual', 'Halted', 'Once', 'RerunOnFailure'] as const;

export const DEFAULT_MEMORY = '512Mi';
export const DEFAULT_TERMINATION_GRACE_PERIOD = 180;

const INFERENCE_VOLUMES =
  'inference of instancetype or preference works only with DataSources, DataVolumes or PersistentVolumeClaims';

/** The kinds `--instancetype` and `--preference` name, by every spelling virtctl and kubectl take. */
const MATCHER_KINDS = {
  instancetype: { namespaced: 'VirtualMachineInstancetype', cluster: 'VirtualMachineClusterInstancetype' },
  preference: { namespaced: 'VirtualMachinePreference', cluster: 'VirtualMachineClusterPreference' },
} as const;

function matcher(
  problems: Problems,
  flag: 'instancetype' | 'preference',
  text: string,
): InstancetypeMatcher | PreferenceMatcher | undefined {
  const kinds = MATCHER_KINDS[flag];
  try {
    const ref = splitPrefixedName(text, `--${flag}`);
    const found = dns1123SubdomainProblems(ref.name);
    if (found.length) throw new ParamError(`name ${JSON.stringify(ref.name)} ${found.join('; ')}`);
    if (ref.prefix === undefined) return { name: ref.name };
    const prefix = ref.prefix.toLowerCase();
    const kind = Object.values(kinds).find((k) => [k.toLowerCase(), `${k.toLowerCase()}s`].includes(prefix));
    if (!kind)
      throw new ParamError(
        `invalid ${flag} kind "${ref.prefix}", supported values are: ${kinds.namespaced.toLowerCase()}, ${kinds.cluster.toLowerCase()}`,
      );
    return { name: ref.name, kind };
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    problems.add(flag, text, err.message);
    return undefined;
  }
}

/** virtctl's mutually exclusive flag groups: one of each group at the most. */
function exclusive(problems: Problems, opts: CreateVmOptions): void {
  const given = (flags: [string, unknown][]) =>
    flags.filter(([, v]) => v !== undefined).map(([f]) => `--${f}`);
  const groups: [string, [string, unknown][]][] = [
    [
      'each decides what sizes the VM',
      [
        ['memory', opts.memory],
        ['instancetype', opts.instancetype],
        ['infer-instancetype', opts.inferInstancetype],
        ['infer-instancetype-from', opts.inferInstancetypeFrom],
      ],
    ],
    [
      'each decides the preference',
      [
        ['preference', opts.preference],
        ['infer-preference', opts.inferPreference],
        ['infer-preference-from', opts.inferPreferenceFrom],
      ],
    ],
  ];
  for (const [why, flags] of groups) {
    const set = given(flags);
    if (set.length > 1) problems.addLine(`${set.join(' and ')} exclude each other (${why}); keep one`);
  }
  if (opts.cloudInitUserData !== undefined) {
    const set = given([
      ['user', opts.user],
      ['password-file', opts.passwordFile],
      ['ssh-key', opts.sshKey?.length ? opts.sshKey : undefined],
      ['ga-manage-ssh', opts.gaManageSsh],
    ]);
    if (set.length)
      problems.addLine(
        `--cloud-init-user-data excludes ${set.join(', ')}: it is the whole user data, so put the user, password or keys in it, or leave it out`,
      );
  }
}

/** Which volume inference reads, or why none can be: virtctl's checks. Throws ParamError. */
function inferenceVolume(set: VolumeSet, from: string | undefined): string {
  const name = from ?? set.firstBootVolume();
  if (name === undefined)
    throw new ParamError(
      'at least one volume is needed to infer an instance type or preference; add one with --volume-import type:ds,src:... or --volume-pvc src:...',
    );
  const volume = set.find(name);
  if (!volume) throw new ParamError(`there is no volume with name '${name}'; name one of the VM's volumes`);
  if (volume.persistentVolumeClaim) return name;
  if (volume.dataVolume) {
    const spec = set.templateOf(volume)?.spec;
    if (
      !spec ||
      spec.source?.pvc ||
      spec.source?.registry ||
      spec.source?.snapshot ||
      spec.sourceRef?.kind === 'DataSource'
    )
      return name;
    throw new ParamError(
      'this DataVolume is not valid to infer an instancetype or preference from (source needs to be PVC, Registry or Snapshot, sourceRef needs to be DataSource)',
    );
  }
  throw new ParamError(INFERENCE_VOLUMES);
}

export function createVm(opts: CreateVmOptions, random: RandomSuffix = randomSuffix): CreatedVm {
  const problems = new Problems();
  const warnings: string[] = [];
  checkNamespace(problems, opts.namespace);
  const name = opts.name ?? `vm-${random(5)}`;
  const nameOk = checkName(problems, name, 'label');
  exclusive(problems, opts);

  const runStrategy = opts.runStrategy ?? 'Always';
  if (!(VM_RUN_STRATEGIES as readonly string[]).includes(runStrategy))
    problems.add(
      'run-strategy',
      runStrategy,
      `invalid RunStrategy; use one of ${VM_RUN_STRATEGIES.join(', ')}`,
    );
  let grace = DEFAULT_TERMINATION_GRACE_PERIOD;
  if (opts.terminationGracePeriod !== undefined) {
    const text = opts.terminationGracePeriod.trim();
    grace = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(grace))
      problems.add(
        'termination-grace-period',
        opts.terminationGracePeriod,
        'not a whole number of seconds (0 or more)',
      );
  }
  const memory = opts.memory ?? DEFAULT_MEMORY;
  try {
    positiveQuantity(memory);
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    problems.add('memory', memory, err.message);
  }
  let instancetype =
    opts.instancetype === undefined ? undefined : matcher(problems, 'instancetype', opts.instancetype);
  let preference =
    opts.preference === undefined ? undefined : matcher(problems, 'preference', opts.preference);

  const set = new VolumeSet();
  // Default volume names start with the VM's name; a bad name is reported once, as --name.
  addVolumes(set, opts, nameOk ? name : 'vm', problems, warnings, random);
  const accessCredentials = addGuestAccess(set, opts, problems, warnings);

  // Inference reads the volumes, so it waits until they are all right.
  let inferredInstancetype = false;
  if (!problems.count) {
    const explicit = opts.inferInstancetype !== undefined || opts.inferInstancetypeFrom !== undefined;
    if (explicit && opts.inferInstancetype !== false && !instancetype) {
      try {
        instancetype = { inferFromVolume: inferenceVolume(set, opts.inferInstancetypeFrom) };
        inferredInstancetype = true;
      } catch (err) {
        if (!(err instanceof ParamError)) throw err;
        const flag =
          opts.inferInstancetypeFrom !== undefined ? 'infer-instancetype-from' : 'infer-instancetype';
        problems.add(flag, opts.inferInstancetypeFrom, err.message);
      }
    }
    const explicitPreference = opts.inferPreference !== undefined || opts.inferPreferenceFrom !== undefined;
    if (opts.inferPreference !== false && !preference) {
      try {
        preference = {
          inferFromVolume: inferenceVolume(set, opts.inferPreferenceFrom),
          // Asked for by default only: a volume without the annotations leaves the VM without one.
          ...(explicitPreference ? {} : { inferFromVolumeFailurePolicy: 'Ignore' as const }),
        };
      } catch (err) {
        if (!(err instanceof ParamError)) throw err;
        if (explicitPreference) {
          const flag = opts.inferPreferenceFrom !== undefined ? 'infer-preference-from' : 'infer-preference';
          problems.add(flag, opts.inferPreferenceFrom, err.message);
        }
      }
    }
  }
  problems.check();

  const vm: VirtualMachine = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) },
    spec: {
      runStrategy: runStrategy as VirtualMachine['spec']['runStrategy'],
      ...(instancetype ? { instancetype } : {}),
      ...(preference ? { preference } : {}),
      ...(set.dataVolumeTemplates.length ? { dataVolumeTemplates: set.dataVolumeTemplates } : {}),
      template: {
        spec: {
          terminationGracePeriodSeconds: grace,
          domain: {
            // An instancetype (named or inferred) sizes the VM; memory beside it is refused.
            ...(instancetype || inferredInstancetype ? {} : { memory: { guest: memory } }),
            devices: set.disks.length ? { disks: set.disks } : {},
          },
          ...(set.volumes.length ? { volumes: set.volumes } : {}),
          ...(accessCredentials.length ? { accessCredentials } : {}),
        },
      },
    },
  };
  assertValid(vm, 'VirtualMachine');
  // Each template becomes a DataVolume: CDI's admission judges it then, so judge it now.
  const dvProblems = set.dataVolumeTemplates.flatMap((t) =>
    refusals(
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataVolume',
        metadata: {
          name: t.metadata?.name,
          ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        },
        spec: t.spec,
      },
      `DataVolume ${t.metadata?.name ?? ''}`,
    ),
  );
  if (dvProblems.length) throw new CreateUsageError(dvProblems);
  return { vm, warnings };
}
