/**
 * KubeVirt's DomainSpec (spec.domain of a VMI): the virtual hardware. The parts live in
 * cpu-memory.ts, firmware-features.ts, clock-timers.ts, devices*.ts and
 * domain-launch-security.ts; this file assembles them and re-exports every part.
 */
import { Obj, Opt, Enum, OpenEnum, type Static } from '../../schema/dsl';
import { ResourceRequirements, CPU, Memory, Machine, DiskIOThreads } from './cpu-memory';
import { Firmware, Features } from './firmware-features';
import { Clock } from './clock-timers';
import { Devices } from './devices';
import { Chassis, LaunchSecurity } from './domain-launch-security';

export { FeatureState } from './domain-common';
export * from './cpu-memory';
export * from './firmware-features';
export * from './clock-timers';
export * from './devices-disks';
export * from './devices-interfaces';
export * from './devices';
export * from './domain-launch-security';

export const IO_THREADS_POLICIES = ['shared', 'auto', 'supplementalPool'] as const;
export const REBOOT_POLICIES = ['Reboot', 'Terminate'] as const;

export const DomainSpec = Obj(
  'Virtual hardware of the VMI: CPU, memory, firmware, features, clock and devices.',
  {
    resources: Opt(ResourceRequirements),
    cpu: Opt(CPU),
    memory: Opt(Memory),
    machine: Opt(Machine),
    firmware: Opt(Firmware),
    clock: Opt(Clock),
    features: Opt(Features),
    devices: Devices,
    ioThreadsPolicy: Opt(
      OpenEnum('How disks share IO threads; no IO threads when left out.', IO_THREADS_POLICIES),
    ),
    ioThreads: Opt(DiskIOThreads),
    chassis: Opt(Chassis),
    launchSecurity: Opt(LaunchSecurity),
    rebootPolicy: Opt(
      Enum(
        'What a guest-initiated reboot does: Reboot in place (the default) or Terminate the VMI so its VM can recreate it with current settings.',
        REBOOT_POLICIES,
      ),
    ),
  },
);
export type DomainSpec = Static<typeof DomainSpec>;
