/**
 * A preference's `devices` applied to a VMI template, KubeVirt's way: each preferred value fills
 * what the VM leaves unset and never replaces what it wrote, with KubeVirt's two exceptions
 * (`preferredDisableHotplug` overrides, as KubeVirt cannot tell an unset bool from false there).
 * Disks without a target become plain disks so the preferred bus, cache, IO mode, block size
 * and dedicated IO thread (virtio disks only) apply; CD-ROMs and LUNs take their preferred bus;
 * interfaces their model, and masquerade when they sit on the pod network with no binding;
 * inputs their bus and type; panic devices their model (one is added when there is none);
 * a sound device its model; rng, TPM and the video type when the VM has none. KubeVirt does not
 * apply `preferredVirtualGPUOptions`, and neither does virtkit. Pure, but it writes into the
 * spec it is given.
 */
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import { INTERFACE_BINDINGS } from '../../kubevirt/v1/devices-interfaces';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { copyOf, isWritten } from './values';

const unset = (v: unknown): boolean => !isWritten(v);

type Devices = VirtualMachineInstanceSpec['domain']['devices'];
type DevicePreferences = NonNullable<VirtualMachinePreferenceSpec['devices']>;

/** Sets `target[key]` to the preferred value when the preference has one and the target does not. */
function fill<T extends object, K extends keyof T>(
  target: T,
  key: K,
  preferred: T[K] | undefined | null,
): void {
  if (unset(preferred) || !unset(target[key])) return;
  target[key] = copyOf(preferred) as T[K];
}

function applyAutoattach(p: DevicePreferences, devices: Devices): void {
  fill(devices, 'autoattachGraphicsDevice', p.preferredAutoattachGraphicsDevice);
  fill(devices, 'autoattachMemBalloon', p.preferredAutoattachMemBalloon);
  fill(devices, 'autoattachPodInterface', p.preferredAutoattachPodInterface);
  fill(devices, 'autoattachSerialConsole', p.preferredAutoattachSerialConsole);
  fill(devices, 'autoattachInputDevice', p.preferredAutoattachInputDevice);
}

function applyDisks(p: DevicePreferences, devices: Devices): void {
  for (const disk of devices.disks ?? []) {
    if (!disk.disk && !disk.cdrom && !disk.lun) disk.disk = {};
    if (disk.disk) {
      fill(disk.disk, 'bus', p.preferredDiskBus);
      fill(disk, 'blockSize', p.preferredDiskBlockSize);
      fill(disk, 'cache', p.preferredDiskCache);
      fill(disk, 'io', p.preferredDiskIO);
      if (disk.disk.bus === 'virtio') fill(disk, 'dedicatedIOThread', p.preferredDiskDedicatedIoThread);
    } else if (disk.cdrom) {
      fill(disk.cdrom, 'bus', p.preferredCdromBus);
    } else if (disk.lun) {
      fill(disk.lun, 'bus', p.preferredLunBus);
    }
  }
}

function applyInterfaces(p: DevicePreferences, spec: VirtualMachineInstanceSpec): void {
  for (const iface of spec.domain.devices.interfaces ?? []) {
    fill(iface, 'model', p.preferredInterfaceModel);
    const bound = INTERFACE_BINDINGS.some((b) => !unset(iface[b])) || !unset(iface.binding);
    const onPodNetwork = !unset(spec.networks?.find((n) => n.name === iface.name)?.pod);
    if (!unset(p.preferredInterfaceMasquerade) && !bound && onPodNetwork) {
      iface.masquerade = structuredClone(p.preferredInterfaceMasquerade);
    }
  }
}

function applyInputs(p: DevicePreferences, devices: Devices): void {
  for (const input of devices.inputs ?? []) {
    fill(input, 'bus', p.preferredInputBus);
    fill(input, 'type', p.preferredInputType);
  }
}

function applyPanicDevices(p: DevicePreferences, devices: Devices): void {
  const model = p.preferredPanicDeviceModel;
  if (unset(model)) return;
  if (!devices.panicDevices?.length) {
    devices.panicDevices = [{ model: model as NonNullable<Devices['panicDevices']>[number]['model'] }];
    return;
  }
  for (const panic of devices.panicDevices) {
    fill(panic, 'model', model as typeof panic.model);
  }
}

/** Applies `preference.devices` to the spec's devices (and interfaces' networks). */
export function applyDevicePreferences(
  preference: VirtualMachinePreferenceSpec,
  spec: VirtualMachineInstanceSpec,
): void {
  const p = preference.devices;
  if (!p) return;
  const devices = spec.domain.devices;
  fill(devices, 'useVirtioTransitional', p.preferredUseVirtioTransitional);
  fill(devices, 'blockMultiQueue', p.preferredBlockMultiQueue);
  fill(devices, 'networkInterfaceMultiqueue', p.preferredNetworkInterfaceMultiQueue);
  // KubeVirt overrides here: the VMI's disableHotplug is a plain bool, unset and false look alike.
  if (!unset(p.preferredDisableHotplug)) {
    if (p.preferredDisableHotplug) devices.disableHotplug = true;
    else delete devices.disableHotplug;
  }
  if (devices.sound) fill(devices.sound, 'model', p.preferredSoundModel);
  fill(devices, 'rng', p.preferredRng);
  fill(devices, 'tpm', p.preferredTPM);
  if (!unset(p.preferredVideoType)) {
    devices.video ??= {};
    fill(devices.video, 'type', p.preferredVideoType);
  }
  applyAutoattach(p, devices);
  applyDisks(p, devices);
  applyInterfaces(p, spec);
  applyInputs(p, devices);
  applyPanicDevices(p, devices);
}
