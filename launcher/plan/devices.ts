/** Console, VNC, guest agent, balloon and the small devices of spec.domain.devices. Pure. */
import * as path from 'path';
import type { VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import type { ProblemList } from './errors';
import { WORKDIR } from './identity';
import { fromField, opts, qemuId } from './qemu-opts';
import type { LaunchContext } from './types';
import type { QemuFiles } from './qemu-files';

export interface DevicePart {
  readonly args: string[];
  readonly serialSocket?: string;
  readonly serialLog?: string;
  readonly vncSocket?: string;
  readonly guestAgentSocket?: string;
}

const DEV = 'spec.domain.devices';
const VIDEO: Record<string, string> = {
  vga: 'VGA',
  virtio: 'virtio-vga',
  bochs: 'bochs-display',
  ramfb: 'ramfb',
};

export function planDevices(
  spec: VirtualMachineInstanceSpec,
  ctx: LaunchContext,
  files: QemuFiles,
  problems: ProblemList,
): DevicePart {
  const dev = spec.domain.devices;
  const args: string[] = [];
  const part: { -readonly [K in keyof DevicePart]: DevicePart[K] } = { args };

  if (dev.autoattachSerialConsole !== false) {
    part.serialSocket = path.join(ctx.workDir, 'serial.sock');
    part.serialLog = path.join(ctx.workDir, 'serial.log');
    args.push(
      '-chardev',
      opts(
        'socket',
        {
          id: 'serial0',
          path: files.local(part.serialSocket, WORKDIR),
          server: true,
          wait: false,
          logfile: files.local(part.serialLog, WORKDIR),
          logappend: true,
        },
        problems,
      ),
      '-serial',
      'chardev:serial0',
    );
  }

  if (dev.autoattachGraphicsDevice !== false) {
    part.vncSocket = path.join(ctx.workDir, 'vnc.sock');
    const type = dev.video?.type ?? 'vga';
    const video = VIDEO[type];
    if (!video)
      problems.add(`${DEV}.video.type`, `unknown video type; use ${Object.keys(VIDEO).join(', ')}`, type);
    else args.push('-device', `${video},id=video0`);
    // -vnc's implied first key would split a path holding '=': name the key (vnc=unix:...).
    args.push(
      '-vnc',
      opts(
        undefined,
        { vnc: fromField(`unix:${files.local(part.vncSocket, WORKDIR).value}`, WORKDIR, 'text') },
        problems,
      ),
    );
  } else if (dev.video) {
    problems.add(`${DEV}.video`, 'a video device needs autoattachGraphicsDevice left on', dev.video);
  }

  // The guest-agent channel is always there, as in KubeVirt; unused when no agent runs.
  part.guestAgentSocket = path.join(ctx.workDir, 'qga.sock');
  args.push(
    '-device',
    'virtio-serial-pci,id=virtio-serial0',
    '-chardev',
    opts(
      'socket',
      { id: 'qga0', path: files.local(part.guestAgentSocket, WORKDIR), server: true, wait: false },
      problems,
    ),
    '-device',
    'virtserialport,bus=virtio-serial0.0,chardev=qga0,name=org.qemu.guest_agent.0',
  );

  if (dev.autoattachMemBalloon !== false) args.push('-device', 'virtio-balloon-pci,id=balloon0');
  if (dev.rng)
    args.push('-object', 'rng-random,id=rng0,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng0');

  if (dev.watchdog) {
    if (dev.watchdog.i6300esb) {
      const action = dev.watchdog.i6300esb.action ?? 'reset';
      args.push(
        '-device',
        'i6300esb,id=watchdog0',
        '-action',
        `watchdog=${action === 'poweroff' ? 'poweroff' : action === 'shutdown' ? 'shutdown' : 'reset'}`,
      );
    } else {
      problems.add(`${DEV}.watchdog`, 'only the i6300esb watchdog exists on x86_64', dev.watchdog);
    }
  }
  for (const [i, p] of (dev.panicDevices ?? []).entries()) {
    if ((p.model ?? 'isa') === 'isa') args.push('-device', 'pvpanic');
    else if (p.model === 'pvpanic') args.push('-device', 'pvpanic-pci');
    else problems.add(`${DEV}.panicDevices[${i}].model`, 'use isa or pvpanic', p.model);
  }

  let usb = false;
  for (const [i, input] of (dev.inputs ?? []).entries()) {
    const bus = input.bus ?? 'usb';
    const kind = input.type;
    if (kind !== 'tablet' && kind !== 'keyboard') {
      problems.add(`${DEV}.inputs[${i}].type`, 'use tablet or keyboard', kind);
      continue;
    }
    if (bus === 'usb') {
      if (!usb) args.push('-device', 'qemu-xhci,id=usb0');
      usb = true;
      args.push(
        '-device',
        opts(kind === 'tablet' ? 'usb-tablet' : 'usb-kbd', { id: qemuId('ua', input.name), bus: 'usb0.0' }),
      );
    } else if (bus === 'virtio') {
      args.push(
        '-device',
        opts(kind === 'tablet' ? 'virtio-tablet-pci' : 'virtio-keyboard-pci', {
          id: qemuId('ua', input.name),
        }),
      );
    } else {
      problems.add(`${DEV}.inputs[${i}].bus`, 'use usb or virtio', bus);
    }
  }
  if (dev.autoattachInputDevice && !(dev.inputs ?? []).length) {
    args.push('-device', 'qemu-xhci,id=usb0', '-device', 'usb-tablet,id=ua-tablet,bus=usb0.0');
  }

  const unsupported: [string, unknown][] = [
    ['gpus', dev.gpus?.length ? dev.gpus : undefined],
    ['hostDevices', dev.hostDevices?.length ? dev.hostDevices : undefined],
    ['tpm', dev.tpm],
    ['sound', dev.sound],
    ['downwardMetrics', dev.downwardMetrics],
    ['clientPassthrough', dev.clientPassthrough],
    ['autoattachVSOCK', dev.autoattachVSOCK || undefined],
  ];
  for (const [field, value] of unsupported) {
    if (value !== undefined)
      problems.add(`${DEV}.${field}`, 'not supported by the virtkit launcher yet; remove it', value);
  }
  return part;
}
