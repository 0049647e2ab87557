/**
 * `virtkit create instancetype`: virtctl's generator of a VirtualMachineClusterInstancetype (or,
 * with --namespaced or -n, a VirtualMachineInstancetype) from flags, with virtctl's flags,
 * defaults and rules: --cpu and --memory are required, --gpu and --hostdevice take
 * `name:...,devicename:...`, --iothreadspolicy is auto or shared. Pure: the object, or a
 * CreateUsageError naming every bad flag.
 */
import type {
  VirtualMachineClusterInstancetype,
  VirtualMachineInstancetype,
  VirtualMachineInstancetypeSpec,
} from '../../api/instancetype/v1beta1';
import type { GPU, HostDevice } from '../../api/kubevirt/v1';
import { assertValid } from './manifest';
import {
  ParamError,
  parseParams,
  positiveQuantity,
  printableOneLine,
  Problems,
  randomSuffix,
  type RandomSuffix,
  scopedMetadata,
} from './params';

export interface CreateInstancetypeOptions {
  /** Default: `clusterinstancetype-` (or `instancetype-`) and 5 random characters, as virtctl. */
  readonly name?: string;
  /** -n: the namespace; implies --namespaced, as in virtctl. */
  readonly namespace?: string;
  readonly namespaced?: boolean;
  /** Required: the vCPU count, 1 or more. */
  readonly cpu?: string;
  /** Required: the guest memory, a quantity such as 4Gi. */
  readonly memory?: string;
  /** `name:NAME,devicename:RESOURCE`, once per GPU. */
  readonly gpu?: readonly string[];
  /** `name:NAME,devicename:RESOURCE`, once per host device. */
  readonly hostdevice?: readonly string[];
  /** auto or shared. */
  readonly iothreadspolicy?: string;
}

/** What virtctl takes for --iothreadspolicy (supplementalPool needs more fields than a flag gives). */
export const IOTHREADS_POLICY_VALUES = ['auto', 'shared'] as const;

/** The largest vCPU count the schema takes (an int32). */
const MAX_CPU = 2 ** 31 - 1;

function devices(
  problems: Problems,
  flag: 'gpu' | 'hostdevice',
  values: readonly string[] | undefined,
): (GPU | HostDevice)[] | undefined {
  if (!values?.length) return undefined;
  const out: (GPU | HostDevice)[] = [];
  for (const text of values) {
    try {
      const params = parseParams(text, ['name', 'devicename']);
      const name = params.get('name');
      const deviceName = params.get('devicename');
      if (!name) throw new ParamError('name must be specified, for example name:gpu1');
      if (!deviceName)
        throw new ParamError(
          'deviceName must be specified, for example devicename:nvidia.com/TU104GL_Tesla_T4',
        );
      if (!printableOneLine(name) || !printableOneLine(deviceName))
        throw new ParamError('name and devicename must be printable text on one line');
      if (out.some((d) => d.name === name))
        throw new ParamError(`name ${name} is used twice; give each ${flag} its own name`);
      out.push({ name, deviceName });
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      problems.add(flag, text, err.message);
    }
  }
  return out;
}

export function createInstancetype(
  opts: CreateInstancetypeOptions,
  random: RandomSuffix = randomSuffix,
): VirtualMachineInstancetype | VirtualMachineClusterInstancetype {
  const problems = new Problems();
  const { namespaced, metadata } = scopedMetadata(problems, opts, 'instancetype', random);

  const missing = (['cpu', 'memory'] as const).filter((f) => opts[f] === undefined);
  if (missing.length)
    problems.addLine(
      `required flag(s) ${missing.map((f) => `--${f}`).join(' and ')} not set; an instancetype states its size, for example --cpu 2 --memory 4Gi`,
    );
  let cpu = 0;
  if (opts.cpu !== undefined) {
    cpu = /^\d+$/.test(opts.cpu.trim()) ? Number(opts.cpu.trim()) : NaN;
    if (!Number.isSafeInteger(cpu) || cpu > MAX_CPU)
      problems.add('cpu', opts.cpu, 'not a whole number of vCPUs; write it like --cpu 2');
    else if (cpu === 0) problems.add('cpu', opts.cpu, 'cpu value must be greater than zero');
  }
  if (opts.memory !== undefined) {
    try {
      positiveQuantity(opts.memory);
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      problems.add('memory', opts.memory, err.message);
    }
  }
  const spec: VirtualMachineInstancetypeSpec = {
    cpu: { guest: cpu },
    memory: { guest: opts.memory ?? '' },
  };
  const gpus = devices(problems, 'gpu', opts.gpu);
  if (gpus) spec.gpus = gpus;
  const hostDevices = devices(problems, 'hostdevice', opts.hostdevice);
  if (hostDevices) spec.hostDevices = hostDevices;
  if (opts.iothreadspolicy !== undefined) {
    if ((IOTHREADS_POLICY_VALUES as readonly string[]).includes(opts.iothreadspolicy))
      spec.ioThreadsPolicy = opts.iothreadspolicy as 'auto' | 'shared';
    else problems.add('iothreadspolicy', opts.iothreadspolicy, 'IOThread must be of value auto or shared');
  }
  problems.check();

  const object = {
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind: namespaced ? 'VirtualMachineInstancetype' : 'VirtualMachineClusterInstancetype',
    metadata,
    spec,
  } as VirtualMachineInstancetype | VirtualMachineClusterInstancetype;
  assertValid(object, object.kind);
  return object;
}
