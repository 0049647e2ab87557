/**
 * Volume hotplug requests, as KubeVirt defines them (pure): reading AddVolumeOptions and
 * RemoveVolumeOptions, checking a request against a VMI spec's volumes and against the VM's
 * pending `status.volumeRequests`, and applying it to a VMI spec (add the volume, hotpluggable,
 * and its disk; or remove both). The subresource API (apiserver/subresources/volumes.ts) and the
 * VM controller (controller/vm/volume-requests.ts) share these, so a request means the same in
 * both places.
 */
import type { VirtualMachineVolumeRequest } from './kubevirt/v1/vm-status';
import { dns1123LabelProblems } from './validation/dns-names';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The feature gate of the addvolume / removevolume subresources (KubeVirt's name). */
export const HOTPLUG_VOLUMES_GATE = 'HotplugVolumes';

/** KubeVirt's words. */
export const HOTPLUG_MESSAGES = {
  addGateOff: `Unable to Add Volume because ${HOTPLUG_VOLUMES_GATE} feature gate is not enabled.`,
  removeGateOff: `Unable to Remove Volume because ${HOTPLUG_VOLUMES_GATE} feature gate is not enabled.`,
  noBody: 'Request with no body, a new name is expected as the request body',
  addNoName: 'AddVolumeOptions requires name to be set',
  addNoDisk: 'AddVolumeOptions requires disk to not be nil',
  addNoSource: 'AddVolumeOptions requires VolumeSource to not be nil',
  removeNoName: 'RemoveVolumeOptions requires name to be set',
  nameExists: (n: string) => `Unable to add volume [${n}] because volume with that name already exists`,
  sourceExists: (s: string) => `Unable to add volume source [${s}] because it already exists`,
  notHotpluggable: (n: string) => `Unable to remove volume [${n}] because it is not hotpluggable`,
  notFound: (n: string) => `Unable to remove volume [${n}] because it does not exist`,
  addPending: (n: string) => `add volume request for volume [${n}] already exists`,
  removePendingAdd: (n: string) =>
    `unable to add volume since a remove volume request for volume [${n}] already exists and is still being processed`,
  removePending: (n: string) =>
    `a remove volume request for volume [${n}] already exists and is still being processed`,
} as const;

/** The parts of a VMI spec a volume request changes. */
export interface HotplugTargetSpec {
  volumes?: Json[];
  domain?: { devices?: { disks?: Json[] } & Json } & Json;
}

export type BodyRead<T> = { value: T } | { problem: string };

function dryRunOf(body: Json): BodyRead<string[] | undefined> {
  const d = body.dryRun;
  if (d === undefined || d === null) return { value: undefined };
  if (!Array.isArray(d) || d.some((x) => x !== 'All'))
    return { problem: `dryRun must be ["All"] or left out, not ${JSON.stringify(d)}` };
  return { value: d.length ? ['All'] : undefined };
}

/** The bus hotplugged disks go on: SCSI, as KubeVirt (virtctl addvolume's default). */
export const HOTPLUG_BUS = 'scsi';

/**
 * AddVolumeOptions from a request body, with KubeVirt's checks and words first, then virtkit's
 * own (a DNS-label name; a persistentVolumeClaim or dataVolume source; a disk on the scsi bus,
 * which is where virtkit's launcher hotplugs: a disk without a bus gets scsi).
 */
export function readAddVolumeOptions(
  body: unknown,
): BodyRead<VirtualMachineVolumeRequest['addVolumeOptions'] & {}> {
  const M = HOTPLUG_MESSAGES;
  if (body === undefined || body === null) return { problem: M.noBody };
  if (!isObject(body)) return { problem: 'the request body must be a JSON AddVolumeOptions object' };
  const name = body.name;
  if (name === undefined || name === '') return { problem: M.addNoName };
  if (body.disk === undefined || body.disk === null) return { problem: M.addNoDisk };
  if (body.volumeSource === undefined || body.volumeSource === null) return { problem: M.addNoSource };
  const nameProblems = typeof name === 'string' ? dns1123LabelProblems(name) : ['must be a string'];
  if (typeof name !== 'string' || nameProblems.length)
    return { problem: `AddVolumeOptions name ${JSON.stringify(name)} ${nameProblems.join('; ')}` };
  const dryRun = dryRunOf(body);
  if ('problem' in dryRun) return dryRun;
  if (!isObject(body.disk)) return { problem: 'AddVolumeOptions disk must be an object' };
  if (!isObject(body.volumeSource)) return { problem: 'AddVolumeOptions volumeSource must be an object' };
  const src = body.volumeSource;
  const kinds = Object.keys(src).filter((k) => src[k] !== undefined && src[k] !== null);
  const other = kinds.filter((k) => k !== 'persistentVolumeClaim' && k !== 'dataVolume');
  if (other.length || kinds.length !== 1)
    return {
      problem: `AddVolumeOptions volumeSource must have exactly one of persistentVolumeClaim and dataVolume (only claims can be hotplugged), not ${JSON.stringify(kinds)}`,
    };
  const pvc = src.persistentVolumeClaim;
  const dv = src.dataVolume;
  if (pvc !== undefined && (!isObject(pvc) || typeof pvc.claimName !== 'string' || !pvc.claimName))
    return { problem: 'AddVolumeOptions volumeSource.persistentVolumeClaim requires claimName' };
  if (dv !== undefined && (!isObject(dv) || typeof dv.name !== 'string' || !dv.name))
    return { problem: 'AddVolumeOptions volumeSource.dataVolume requires name' };
  const disk = { ...body.disk, name } as Json;
  if (disk.cdrom !== undefined || disk.lun !== undefined)
    return {
      problem: `AddVolumeOptions disk: only disk targets can be hotplugged by virtkit yet (not ${disk.cdrom !== undefined ? 'cdrom' : 'lun'}); use disk: {bus: scsi}`,
    };
  const target = isObject(disk.disk) ? disk.disk : {};
  const bus = target.bus ?? HOTPLUG_BUS;
  if (bus !== HOTPLUG_BUS) return { problem: `hotplugged Disk ${name} does not use a scsi bus` };
  disk.disk = { ...target, bus };
  const volumeSource = pvc
    ? { persistentVolumeClaim: { ...(pvc as Json), hotpluggable: true } }
    : { dataVolume: { ...(dv as Json), hotpluggable: true } };
  return {
    value: {
      name,
      disk,
      volumeSource,
      ...(dryRun.value ? { dryRun: dryRun.value } : {}),
    } as VirtualMachineVolumeRequest['addVolumeOptions'] & {},
  };
}

export function readRemoveVolumeOptions(
  body: unknown,
): BodyRead<VirtualMachineVolumeRequest['removeVolumeOptions'] & {}> {
  if (body === undefined || body === null) return { problem: HOTPLUG_MESSAGES.noBody };
  if (!isObject(body)) return { problem: 'the request body must be a JSON RemoveVolumeOptions object' };
  if (body.name === undefined || body.name === '') return { problem: HOTPLUG_MESSAGES.removeNoName };
  if (typeof body.name !== 'string') return { problem: 'RemoveVolumeOptions name must be a string' };
  const dryRun = dryRunOf(body);
  if ('problem' in dryRun) return dryRun;
  return { value: { name: body.name, ...(dryRun.value ? { dryRun: dryRun.value } : {}) } };
}

function sourceName(v: Json): string | undefined {
  const pvc = v.persistentVolumeClaim as Json | undefined;
  const dv = v.dataVolume as Json | undefined;
  return (pvc?.claimName as string | undefined) ?? (dv?.name as string | undefined);
}

function hotpluggable(v: Json): boolean {
  return (
    (v.persistentVolumeClaim as Json | undefined)?.hotpluggable === true ||
    (v.dataVolume as Json | undefined)?.hotpluggable === true
  );
}

/** Why KubeVirt refuses the request against these volumes, or undefined. */
export function volumeRequestProblem(
  volumes: readonly Json[] | undefined,
  request: VirtualMachineVolumeRequest,
): string | undefined {
  const M = HOTPLUG_MESSAGES;
  const add = request.addVolumeOptions;
  const remove = request.removeVolumeOptions;
  if (add) {
    const src = sourceName(add.volumeSource as Json);
    for (const v of volumes ?? []) {
      if (v.name === add.name) return M.nameExists(add.name);
      if (src && sourceName(v) === src) return M.sourceExists(src);
    }
    return undefined;
  }
  if (remove) {
    const v = (volumes ?? []).find((x) => x.name === remove.name || sourceName(x) === remove.name);
    if (!v) return M.notFound(remove.name);
    if (!hotpluggable(v)) return M.notHotpluggable(String(v.name));
  }
  return undefined;
}

/** The VM's pending requests with this one added, or KubeVirt's refusal. */
export function volumeRequestsWith(
  pending: readonly VirtualMachineVolumeRequest[] | undefined,
  request: VirtualMachineVolumeRequest,
): { requests: VirtualMachineVolumeRequest[] } | { problem: string } {
  const M = HOTPLUG_MESSAGES;
  const list = [...(pending ?? [])];
  if (request.addVolumeOptions) {
    const n = request.addVolumeOptions.name;
    for (const r of list) {
      if (r.addVolumeOptions?.name === n) return { problem: M.addPending(n) };
      if (r.removeVolumeOptions?.name === n) return { problem: M.removePendingAdd(n) };
    }
    return { requests: [...list, request] };
  }
  const n = request.removeVolumeOptions?.name ?? '';
  const kept: VirtualMachineVolumeRequest[] = [];
  for (const r of list) {
    // A pending add of the same volume is withdrawn by the remove.
    if (r.addVolumeOptions?.name === n) continue;
    if (r.removeVolumeOptions?.name === n) return { problem: M.removePending(n) };
    kept.push(r);
  }
  return { requests: [...kept, request] };
}

/**
 * The spec's volumes and disks with the request applied (KubeVirt's ApplyVolumeRequestOnVMISpec):
 * an add appends the volume (hotpluggable) and its disk unless a volume of that name exists; a
 * remove drops the volume and the disk of that name. Returns new arrays; `spec` is untouched.
 */
export function applyVolumeRequest(
  spec: HotplugTargetSpec,
  request: VirtualMachineVolumeRequest,
): { volumes: Json[]; disks: Json[] } {
  const volumes = [...(spec.volumes ?? [])];
  const disks = [...(spec.domain?.devices?.disks ?? [])];
  const add = request.addVolumeOptions;
  if (add) {
    if (volumes.some((v) => v.name === add.name)) return { volumes, disks };
    const src = add.volumeSource as Json;
    const pvc = src.persistentVolumeClaim as Json | undefined;
    const dv = src.dataVolume as Json | undefined;
    volumes.push({
      name: add.name,
      ...(pvc ? { persistentVolumeClaim: { ...pvc, hotpluggable: true } } : {}),
      ...(!pvc && dv ? { dataVolume: { ...dv, hotpluggable: true } } : {}),
    });
    if (add.disk) disks.push({ ...(add.disk as Json), name: add.name });
    return { volumes, disks };
  }
  const n = request.removeVolumeOptions?.name;
  if (n === undefined) return { volumes, disks };
  return { volumes: volumes.filter((v) => v.name !== n), disks: disks.filter((d) => d.name !== n) };
}

/**
 * A JSON patch that applies the request to the spec at `prefix` (`/spec` for a VMI,
 * `/spec/template/spec` for a VM), guarded by `test`s of the lists as they were read.
 */
export function volumeRequestPatch(
  prefix: string,
  spec: HotplugTargetSpec,
  request: VirtualMachineVolumeRequest,
): { op: string; path: string; value: unknown }[] {
  return volumeListsPatch(prefix, spec, applyVolumeRequest(spec, request));
}

/** The patch that turns the spec's volumes and disks into `next`, guarded by `test`s of them. */
export function volumeListsPatch(
  prefix: string,
  spec: HotplugTargetSpec,
  next: { volumes: Json[]; disks: Json[] },
): { op: string; path: string; value: unknown }[] {
  const volumesPath = `${prefix}/volumes`;
  const disksPath = `${prefix}/domain/devices/disks`;
  const hadVolumes = spec.volumes !== undefined;
  const hadDisks = spec.domain?.devices?.disks !== undefined;
  return [
    ...(hadVolumes ? [{ op: 'test', path: volumesPath, value: spec.volumes }] : []),
    ...(hadDisks ? [{ op: 'test', path: disksPath, value: spec.domain?.devices?.disks }] : []),
    { op: hadVolumes ? 'replace' : 'add', path: volumesPath, value: next.volumes },
    { op: hadDisks ? 'replace' : 'add', path: disksPath, value: next.disks },
  ];
}
