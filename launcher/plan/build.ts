/**
 * The pure heart of the launcher: a VMI (spec + identity) and the facts of this node become
 * a complete QEMU command line plus the list of files to prepare. Every problem is gathered
 * and thrown together as one LaunchSpecError before anything touches the disk.
 */
import * as path from 'path';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { escapeControl } from '../../api/host-path';
import { planDevices } from './devices';
import { planDisks } from './disks';
import { ProblemList } from './errors';
import { derivedUuid, planMachine } from './machine';
import { planNetwork } from './network';
import { featureGateIssues } from '../../api/feature-gates';
import { checkIdentity, WORKDIR } from './identity';
import { QemuFiles } from './qemu-files';
import { fromField, opts, rawValue } from './qemu-opts';
import type { LaunchContext, LaunchPlan, PrepareStep } from './types';

/** The VMI fields the planner reads (a manifest's metadata may be partial). */
export type PlannableVmi = Pick<VirtualMachineInstance, 'spec'> & {
  metadata?: { name?: string; namespace?: string; uid?: string };
};

export function vmiSubject(vmi: PlannableVmi): string {
  return `VirtualMachineInstance ${escapeControl(vmi.metadata?.namespace ?? 'default')}/${escapeControl(vmi.metadata?.name ?? '(unnamed)')}`;
}

export function buildLaunchPlan(vmi: PlannableVmi, ctx: LaunchContext): LaunchPlan {
  const problems = new ProblemList();
  const name = vmi.metadata?.name ?? 'vmi';
  const namespace = vmi.metadata?.namespace ?? 'default';
  const spec = vmi.spec;

  checkIdentity(vmi, ctx, problems);
  // What reaches the node's files needs its feature gate here too (an object may have been
  // stored without admission, or before the gate was turned off).
  for (const issue of featureGateIssues(
    { kind: 'VirtualMachineInstance', spec },
    new Set(ctx.featureGates ?? []),
  ))
    problems.add(issue.path, issue.message);
  const files = new QemuFiles(ctx.workDir);
  const qmpSocket = path.join(ctx.workDir, 'qmp.sock');
  const uuid = spec.domain.firmware?.uuid ?? derivedUuid(namespace, name);
  const args: string[] = [
    '-name',
    opts(
      undefined,
      { guest: fromField(`${namespace}_${name}`, 'metadata.name'), 'debug-threads': true },
      problems,
    ),
    '-uuid',
    rawValue(fromField(uuid, 'spec.domain.firmware.uuid', 'word'), problems),
    // Seccomp: no obsolete system calls, no setuid/setgid/capabilities, no fork/exec, no
    // changes to scheduling or affinity (QEMU runs unprivileged too; see runtime/qemu-process.ts).
    '-sandbox',
    'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-chardev',
    opts('socket', { id: 'qmp', path: files.local(qmpSocket, WORKDIR), server: true, wait: false }, problems),
    '-mon',
    'chardev=qmp,mode=control',
    // Guest shutdown ends QEMU; a guest reboot stays inside QEMU unless rebootPolicy says otherwise.
    '-action',
    'shutdown=poweroff',
  ];
  if (spec.domain.rebootPolicy === 'Terminate') args.push('-no-reboot');
  const incoming = ctx.migrationTarget === true;
  if (ctx.migrationTarget !== undefined && typeof ctx.migrationTarget !== 'boolean')
    problems.add(
      'resources.migrationTarget',
      'must be true or false (the handler says whether this launcher receives a migration)',
      ctx.migrationTarget,
    );
  // A migration target waits for the source's state (QMP migrate-incoming) and must not run the
  // guest before the handler finishes the migration: -S keeps it paused after the state arrived.
  if (incoming) args.push('-incoming', 'defer');
  if (spec.startStrategy === 'Paused' || incoming) args.push('-S');

  const machine = planMachine(spec, ctx, files, problems);
  const disks = planDisks(name, namespace, spec, machine.machine, machine.vcpus, ctx, files, problems);
  const network = planNetwork(name, namespace, spec, ctx, problems, machine.vcpus);
  const devices = planDevices(spec, ctx, files, problems);
  problems.throwIfAny(vmiSubject(vmi));

  const dirs = new Set<string>([ctx.workDir]);
  for (const step of [...machine.prepare, ...disks.prepare]) {
    if (step.kind !== 'mkdir' && step.kind !== 'confine') dirs.add(path.dirname(step.path));
  }
  const prepare: PrepareStep[] = [
    ...[...dirs].map((d): PrepareStep => ({ kind: 'mkdir', path: d })),
    ...machine.prepare,
    ...disks.prepare,
  ];

  return {
    args: [...files.args(), ...args, ...machine.args, ...disks.args, ...network.args, ...devices.args],
    qemuDir: ctx.workDir,
    passFds: files.passedFds,
    prepare,
    qmpSocket,
    serialSocket: devices.serialSocket,
    serialLog: devices.serialLog,
    vncSocket: devices.vncSocket,
    guestAgentSocket: devices.guestAgentSocket,
    disks: disks.disks,
    ...(disks.hotplugBus ? { hotplugBus: disks.hotplugBus } : {}),
    interfaces: network.interfaces,
    vcpus: machine.vcpus,
    guestMemoryBytes: machine.guestMemoryBytes,
    machine: machine.machine,
    accelerator: ctx.accelerator,
    firmware: machine.firmware,
    uuid,
    rebootPolicy: spec.domain.rebootPolicy === 'Terminate' ? 'Terminate' : 'Reboot',
    ...(incoming ? { incoming: true as const } : {}),
  };
}
