/**
 * Feature gates, as KubeVirt has them: features that reach the node's filesystem or devices are
 * off unless the cluster's `KubeVirt` object lists their gate in
 * `spec.configuration.developerConfiguration.featureGates`. Admission refuses a VM that uses a
 * gated feature whose gate is off, naming the field and the gate. Pure.
 */
import { error, type Issue } from './validation/issue';

/** The gates virtkit knows, with what each turns on. KubeVirt's names, plus LocalContainerDisk. */
export const FEATURE_GATES: Readonly<Record<string, string>> = {
  HostDisk: 'hostDisk volumes: a disk image file on the node',
  HostDevices: 'hostDevices: PCI or mediated devices of the node passed to the guest',
  GPU: 'gpus: GPUs of the node passed to the guest',
  HotplugVolumes:
    'the addvolume and removevolume subresources: claims hotplugged into running VMIs (virtctl addvolume)',
  LocalContainerDisk:
    "virtkit's own: containerDisk and kernelBoot images that are files or folders on the node (an absolute path or file://) instead of registry images",
};

/** Where each kind keeps its VMI spec. */
const VMI_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  VirtualMachineInstance: ['spec'],
  VirtualMachine: ['spec', 'template', 'spec'],
  VirtualMachineInstanceReplicaSet: ['spec', 'template', 'spec'],
  VirtualMachinePool: ['spec', 'virtualMachineTemplate', 'spec', 'template', 'spec'],
};

type Json = Record<string, unknown>;

const isLocalImage = (image: unknown): boolean =>
  typeof image === 'string' && (image.startsWith('file://') || image.startsWith('/'));

function at(obj: unknown, keys: readonly string[]): unknown {
  let cur = obj;
  for (const k of keys) cur = cur && typeof cur === 'object' ? (cur as Json)[k] : undefined;
  return cur;
}

function refusal(path: string, gate: string): Issue {
  return error(
    path,
    `${gate} feature gate is not enabled; add ${gate} to spec.configuration.developerConfiguration.featureGates of the cluster's KubeVirt object (local mode: virtkit up --feature-gates ${gate})`,
    `feature-gate.${gate}`,
  );
}

/**
 * The VMI spec inside a VM, VMI, pool or replica set, and the field path that leads to it
 * (`spec.template.spec` for a VM); undefined for other kinds.
 */
export function vmiSpecOf(object: unknown): { spec: Json; base: string } | undefined {
  const kind = (object as Json | null)?.kind;
  const keys = typeof kind === 'string' ? VMI_SPEC_PATHS[kind] : undefined;
  if (!keys) return undefined;
  const spec = at(object, keys) as Json | undefined;
  if (!spec || typeof spec !== 'object') return undefined;
  return { spec, base: keys.join('.') };
}

/** Every use of a gated feature in `object` whose gate is not in `enabled`. */
export function featureGateIssues(object: unknown, enabled: ReadonlySet<string>): Issue[] {
  const found = vmiSpecOf(object);
  if (!found) return [];
  const { spec, base } = found;
  const issues: Issue[] = [];
  const need = (gate: string, path: string): void => {
    if (!enabled.has(gate)) issues.push(refusal(path, gate));
  };
  const volumes = Array.isArray(spec.volumes) ? (spec.volumes as Json[]) : [];
  volumes.forEach((v, i) => {
    if (v?.hostDisk) need('HostDisk', `${base}.volumes[${i}].hostDisk`);
    if (isLocalImage((v?.containerDisk as Json | undefined)?.image))
      need('LocalContainerDisk', `${base}.volumes[${i}].containerDisk.image`);
  });
  const devices = at(spec, ['domain', 'devices']) as Json | undefined;
  if (Array.isArray(devices?.hostDevices) && devices.hostDevices.length)
    need('HostDevices', `${base}.domain.devices.hostDevices`);
  if (Array.isArray(devices?.gpus) && devices.gpus.length) need('GPU', `${base}.domain.devices.gpus`);
  if (isLocalImage(at(spec, ['domain', 'firmware', 'kernelBoot', 'container', 'image'])))
    need('LocalContainerDisk', `${base}.domain.firmware.kernelBoot.container.image`);
  return issues;
}
