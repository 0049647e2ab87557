/**
 * The VM's `status.volumeRequests` (written by the `addvolume` / `removevolume` subresources of a
 * VM, virtctl's --persist): each request is applied to the VM's template (the volume and its disk
 * added, hotpluggable, or removed) and, while the VM's VMI runs, to the VMI's spec, where the
 * node handler attaches or detaches it; then the requests are cleared. As KubeVirt's VM
 * controller does. The decision is pure (volumeRequestWrites); applyVolumeRequests writes it with
 * JSON patches guarded by `test`s of what was read, so a concurrent change makes the round fail
 * and retry rather than overwrite. Every write is idempotent: a retry after a partial failure
 * does the rest.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import { applyVolumeRequest, volumeListsPatch, type HotplugTargetSpec } from '../../api/hotplug';
import { isNotFound, VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES, type KubeClient } from '../../kube';
import { isDeepStrictEqual } from 'util';

type JsonPatch = { op: string; path: string; value?: unknown }[];

export interface VolumeRequestWrites {
  /** The template's volumes and disks with every request applied; undefined when unchanged. */
  readonly vm?: JsonPatch;
  /** The running VMI's, likewise. */
  readonly vmi?: JsonPatch;
  /** Clears status.volumeRequests (test-guarded: a request that came in meanwhile stays). */
  readonly status: JsonPatch;
}

/** Every request applied in order, as one patch of the spec at `prefix`; undefined when nothing changes. */
function patchFor(
  prefix: string,
  spec: HotplugTargetSpec,
  requests: NonNullable<NonNullable<VirtualMachine['status']>['volumeRequests']>,
): JsonPatch | undefined {
  let next = { volumes: [...(spec.volumes ?? [])], disks: [...(spec.domain?.devices?.disks ?? [])] };
  for (const r of requests)
    next = applyVolumeRequest({ volumes: next.volumes, domain: { devices: { disks: next.disks } } }, r);
  const same =
    isDeepStrictEqual(next.volumes, spec.volumes ?? []) &&
    isDeepStrictEqual(next.disks, spec.domain?.devices?.disks ?? []);
  return same ? undefined : volumeListsPatch(prefix, spec, next);
}

/** What to write for the VM's pending volume requests (pure); undefined when there are none. */
export function volumeRequestWrites(
  vm: Pick<VirtualMachine, 'spec' | 'status'>,
  vmi: Pick<VirtualMachineInstance, 'spec' | 'status' | 'metadata'> | undefined,
): VolumeRequestWrites | undefined {
  const requests = vm.status?.volumeRequests;
  if (!requests?.length) return undefined;
  const template = (vm.spec?.template?.spec ?? {}) as unknown as HotplugTargetSpec;
  const vmPatch = patchFor('/spec/template/spec', template, requests);
  const running = vmi && vmi.status?.phase === 'Running' && !vmi.metadata?.deletionTimestamp;
  const vmiPatch = running
    ? patchFor('/spec', vmi.spec as unknown as HotplugTargetSpec, requests)
    : undefined;
  return {
    ...(vmPatch ? { vm: vmPatch } : {}),
    ...(vmiPatch ? { vmi: vmiPatch } : {}),
    status: [
      { op: 'test', path: '/status/volumeRequests', value: requests },
      { op: 'remove', path: '/status/volumeRequests' },
    ],
  };
}

/** Writes volumeRequestWrites: the VM's template, the VMI's spec, then clears the requests. */
export async function applyVolumeRequests(
  client: KubeClient,
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
): Promise<boolean> {
  const writes = volumeRequestWrites(vm, vmi);
  if (!writes) return false;
  const namespace = vm.metadata?.namespace ?? '';
  const name = vm.metadata?.name ?? '';
  if (writes.vm) await client.jsonPatch(VIRTUAL_MACHINES, namespace, name, writes.vm);
  if (writes.vmi) {
    try {
      await client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, namespace, name, writes.vmi);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  await client.jsonPatch(VIRTUAL_MACHINES, namespace, name, writes.status, { subresource: 'status' });
  return true;
}

/**
 * A VMI spec without its hotpluggable volumes and their disks: what decides whether a VM needs a
 * restart (KubeVirt does not ask for one for a hotplug change, the running VMI gets it live).
 */
export function withoutHotplugVolumes<T>(spec: T): T {
  const s = spec as unknown as HotplugTargetSpec | undefined;
  if (!s?.volumes) return spec;
  const hot = new Set(
    s.volumes
      .filter(
        (v) =>
          (v.persistentVolumeClaim as { hotpluggable?: boolean } | undefined)?.hotpluggable === true ||
          (v.dataVolume as { hotpluggable?: boolean } | undefined)?.hotpluggable === true,
      )
      .map((v) => v.name),
  );
  if (!hot.size) return spec;
  const disks = s.domain?.devices?.disks;
  return {
    ...s,
    volumes: s.volumes.filter((v) => !hot.has(v.name)),
    ...(disks
      ? {
          domain: {
            ...s.domain,
            devices: { ...s.domain?.devices, disks: disks.filter((d) => !hot.has(d.name)) },
          },
        }
      : {}),
  } as unknown as T;
}
