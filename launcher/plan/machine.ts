/** Machine type, CPU, memory, firmware and identity: pure pieces of the QEMU command line. */
// Guest sizing (topology, RAM) is a fact of the API model, shared with the controller: api/sizing.
import { createHash } from 'crypto';
import * as path from 'path';
import { localImagePath } from '../../api/image-ref';
import { guestMemoryBytes, topology } from '../../api/sizing/guest';
import type { VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import type { ProblemList } from './errors';
import { confinedPath, HostPathError } from '../../api/host-path';
import { cpuOption, fromField, opts, rawValue } from './qemu-opts';
import type { QemuFiles } from './qemu-files';
import type { LaunchContext, PrepareStep } from './types';

export interface MachinePart {
  readonly args: string[];
  readonly prepare: PrepareStep[];
  readonly machine: string;
  readonly vcpus: number;
  readonly guestMemoryBytes: number;
  readonly firmware: 'bios' | 'efi' | 'kernel';
}

const SPEC = 'spec.domain';

/** q35 and pc, plus their versioned names (pc-q35-7.2, pc-i440fx-7.2). */
function machineFamily(type: string): 'q35' | 'pc' | undefined {
  if (type === 'q35' || /^pc-q35-[\d.]+$/.test(type)) return 'q35';
  if (type === 'pc' || /^pc-i440fx-[\d.]+$/.test(type)) return 'pc';
  return undefined;
}

export function isQ35(machine: string): boolean {
  return machineFamily(machine) === 'q35';
}

/** Deterministic SMBIOS UUID when firmware.uuid is not given (never written into spec). */
export function derivedUuid(namespace: string, name: string): string {
  const h = createHash('sha1').update(`virtkit:${namespace}/${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50; // version 5 (name-based, SHA-1)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function cpuModel(spec: VirtualMachineInstanceSpec, ctx: LaunchContext): string {
  const model = spec.domain.cpu?.model ?? 'host-model';
  if (model === 'host-model' || model === 'host-passthrough')
    return ctx.accelerator === 'kvm' ? 'host' : 'max';
  return model;
}

/** A file inside a kernelBoot image (kernelPath is absolute inside the image), confined to it. */
function imageFile(base: string, inImage: string, field: string, problems: ProblemList): string | undefined {
  try {
    return confinedPath(base, inImage.replace(/^\/+/, ''), field);
  } catch (e) {
    if (!(e instanceof HostPathError)) throw e;
    problems.add(field, `${e.problem} (a path inside the kernelBoot image such as /boot/vmlinuz)`, inImage);
    return undefined;
  }
}

export function planMachine(
  spec: VirtualMachineInstanceSpec,
  ctx: LaunchContext,
  files: QemuFiles,
  problems: ProblemList,
): MachinePart {
  const d = spec.domain;
  const args: string[] = [];
  const prepare: PrepareStep[] = [];

  const machine = d.machine?.type ?? 'q35';
  const family = machineFamily(machine);
  if (!family) {
    problems.add(
      `${SPEC}.machine.type`,
      'unsupported machine type; use q35 (the default) or pc (or a versioned pc-q35-*/pc-i440fx-*)',
      machine,
    );
  }

  const features = d.features;
  const acpi = features?.acpi?.enabled !== false;
  const smm = features?.smm !== undefined && features.smm.enabled !== false;
  const efi = d.firmware?.bootloader?.efi;
  const secureBoot = efi !== undefined && efi.secureBoot !== false;
  const machineOpts: Record<string, string | boolean | undefined> = {
    smm: smm || secureBoot ? true : undefined,
    // SeaBIOS prints to the serial port when there is no graphics (bios.useSerial).
    graphics: d.firmware?.bootloader?.bios?.useSerial ? false : undefined,
    hpet: d.clock?.timer?.hpet?.present === false ? false : undefined,
  };
  if (!acpi) machineOpts.acpi = false;
  // Only a recognised machine name reaches QEMU (an unknown one is a problem above).
  args.push('-machine', opts(family === 'pc' ? 'pc' : family === 'q35' ? machine : 'q35', machineOpts));
  // A 64 MiB translation cache instead of QEMU's 1 GiB default keeps TCG's RSS small.
  args.push('-accel', ctx.accelerator === 'tcg' ? 'tcg,thread=multi,tb-size=64' : 'kvm');

  // CPU model and flags.
  const cpuFlags: { sign: '+' | '-'; name: ReturnType<typeof fromField> }[] = [];
  for (const [i, f] of (d.cpu?.features ?? []).entries()) {
    const policy = f.policy ?? 'require';
    const name = fromField(f.name, `${SPEC}.cpu.features[${i}].name`, 'word');
    if (policy === 'disable' || policy === 'forbid') cpuFlags.push({ sign: '-', name });
    else if (policy === 'require' || policy === 'force' || policy === 'optional')
      cpuFlags.push({ sign: '+', name });
    else
      problems.add(
        `${SPEC}.cpu.features[${i}].policy`,
        'unknown policy; use force, require, optional, disable or forbid',
        policy,
      );
  }
  args.push(
    '-cpu',
    cpuOption(fromField(cpuModel(spec, ctx), `${SPEC}.cpu.model`, 'word'), cpuFlags, problems),
  );

  const topo = topology(spec);
  const vcpus = topo.sockets * topo.cores * topo.threads;
  args.push(
    '-smp',
    opts(
      undefined,
      {
        cpus: fromField(vcpus, `${SPEC}.cpu`),
        sockets: fromField(topo.sockets, `${SPEC}.cpu.sockets`),
        cores: fromField(topo.cores, `${SPEC}.cpu.cores`),
        threads: fromField(topo.threads, `${SPEC}.cpu.threads`),
      },
      problems,
    ),
  );

  const mem = guestMemoryBytes(spec);
  if (mem === undefined) {
    problems.add(
      `${SPEC}.memory.guest`,
      'no guest memory size; set spec.domain.memory.guest or spec.domain.resources.requests.memory (e.g. 1Gi)',
    );
  }
  const memMiB = Math.ceil((mem ?? 0) / 2 ** 20);
  args.push('-m', `${rawValue(fromField(memMiB, `${SPEC}.memory.guest`), problems)}M`);

  // Features virtkit cannot provide yet are refused rather than dropped.
  const unsupported: [string, unknown][] = [
    ['cpu.dedicatedCpuPlacement', d.cpu?.dedicatedCpuPlacement || undefined],
    ['cpu.numa', d.cpu?.numa],
    ['cpu.realtime', d.cpu?.realtime],
    ['cpu.isolateEmulatorThread', d.cpu?.isolateEmulatorThread || undefined],
    ['memory.hugepages', d.memory?.hugepages],
    ['memory.maxGuest', d.memory?.maxGuest],
    ['launchSecurity', d.launchSecurity],
    ['features.hyperv', features?.hyperv],
    ['features.hypervPassthrough', features?.hypervPassthrough],
    ['firmware.acpi', d.firmware?.acpi],
  ];
  for (const [field, value] of unsupported) {
    if (value !== undefined)
      problems.add(`${SPEC}.${field}`, 'not supported by the virtkit launcher yet; remove it', value);
  }

  // Identity.
  if (d.firmware?.serial)
    args.push(
      '-smbios',
      opts('type=1', { serial: fromField(d.firmware.serial, `${SPEC}.firmware.serial`) }, problems),
    );
  if (d.clock?.timezone) args.push('-rtc', 'base=localtime');
  else args.push('-rtc', 'base=utc');

  // Firmware.
  let firmware: MachinePart['firmware'] = 'bios';
  const kb = d.firmware?.kernelBoot;
  if (efi) {
    firmware = 'efi';
    const code = secureBoot ? ctx.firmware.efiSecureCode : ctx.firmware.efiCode;
    const vars = secureBoot ? ctx.firmware.efiSecureVars : ctx.firmware.efiVars;
    if (!code || !vars) {
      problems.add(
        `${SPEC}.firmware.bootloader.efi${secureBoot ? '.secureBoot' : ''}`,
        `OVMF firmware${secureBoot ? ' with Secure Boot' : ''} is not installed on this node; install the Debian package ovmf` +
          (secureBoot ? ' or set secureBoot: false' : ''),
        secureBoot,
      );
    } else {
      if (secureBoot && family === 'pc') {
        problems.add(`${SPEC}.machine.type`, 'Secure Boot needs the q35 machine type', machine);
      }
      const varsCopy = path.join(efi.persistent ? (ctx.stateDir ?? ctx.workDir) : ctx.workDir, 'efi-vars.fd');
      // A non-persistent store lives in workDir, which is new for every launch.
      prepare.push({ kind: 'copyIfMissing', from: vars, path: varsCopy });
      if (secureBoot) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
      const fw = `${SPEC}.firmware.bootloader.efi`;
      args.push(
        '-drive',
        opts(
          undefined,
          { if: 'pflash', format: 'raw', unit: 0, readonly: true, file: files.file(code, fw, false) },
          problems,
        ),
      );
      args.push(
        '-drive',
        opts(
          undefined,
          { if: 'pflash', format: 'raw', unit: 1, file: files.file(varsCopy, fw, true) },
          problems,
        ),
      );
    }
  }
  if (kb) {
    if (!kb.container) {
      problems.add(
        `${SPEC}.firmware.kernelBoot.container`,
        'kernelBoot needs a container holding the kernel (and initrd); add container.image and container.kernelPath',
      );
    } else {
      firmware = efi ? 'efi' : 'kernel';
      const base = ctx.containerDisks?.kernelBoot ?? localImagePath(kb.container.image);
      if (!base) {
        problems.add(
          `${SPEC}.firmware.kernelBoot.container.image`,
          'the image has not been pulled for this launcher; in local mode the handler provides it, standalone use a local directory (an absolute path or file:///dir)',
          kb.container.image,
        );
      } else {
        if (!kb.container.kernelPath && !kb.container.initrdPath) {
          problems.add(
            `${SPEC}.firmware.kernelBoot.container.kernelPath`,
            'set kernelPath (and usually initrdPath), e.g. /boot/vmlinuz',
          );
        }
        const kbPath = `${SPEC}.firmware.kernelBoot.container`;
        for (const [key, flag, what] of [
          ['kernelPath', '-kernel', 'kernel'],
          ['initrdPath', '-initrd', 'initrd'],
        ] as const) {
          const inImage = kb.container[key];
          if (!inImage) continue;
          const file = imageFile(base, inImage, `${kbPath}.${key}`, problems);
          if (file === undefined) continue;
          if (!ctx.exists(file))
            problems.add(`${kbPath}.${key}`, `no ${what} at ${file}; fix the path inside the image`, inImage);
          // QEMU cannot take -kernel / -initrd from an fd set: the launcher checks where the
          // file really is, then copies it into QEMU's directory (QEMU takes the value as it is).
          const copy = path.join(ctx.workDir, 'boot', what);
          prepare.push({ kind: 'confine', base, path: file, field: `${kbPath}.${key}` });
          prepare.push({ kind: 'copy', from: file, path: copy });
          args.push(flag, rawValue(files.local(copy, `${kbPath}.${key}`), problems));
        }
        if (kb.kernelArgs)
          args.push(
            '-append',
            rawValue(fromField(kb.kernelArgs, `${SPEC}.firmware.kernelBoot.kernelArgs`), problems),
          );
      }
    }
  }

  return { args, prepare, machine, vcpus, guestMemoryBytes: mem ?? 0, firmware };
}
