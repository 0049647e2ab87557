/**
 * Puts the pieces together for one VMI on this node: find QEMU, decide KVM or TCG, find the
 * firmware, plan (pure), and return a Domain ready to start.
 */
import * as fs from 'fs';
import { findFirmware } from './host/firmware';
import * as path from 'path';
import { chooseAccelerator, isCpuModelWord, type AcceleratorChoice } from './host/kvm-probe';
import { qemuSystemBinary } from './host/qemu-binary';
import { qemuIdentity } from './host/qemu-user';
import { readPodNetworkState } from './network/pod-state';
import { effectiveInterfaces } from './plan/network';
import { podInterfaceNames } from '../api/multus/pod-interfaces';
import { buildLaunchPlan, vmiSubject, type PlannableVmi } from './plan/build';
import { LaunchSpecError } from './plan/errors';
import type { LaunchContext, LaunchPlan } from './plan/types';
import { Domain } from './runtime/domain';

/** What the handler (or the CLI) provides besides the VMI. */
export type LaunchResources = Omit<
  LaunchContext,
  'workDir' | 'accelerator' | 'firmware' | 'exists' | 'stateDir' | 'podNetwork'
>;

export interface SessionOptions {
  readonly workDir: string;
  readonly stateDir?: string;
  readonly resources?: LaunchResources;
  /** Skip the probe and use this (tests, benchmarks). */
  readonly accelerator?: AcceleratorChoice;
}

/** Where QEMU's own files live inside the launcher's work directory (QEMU's user owns it). */
export const QEMU_DIR = 'qemu';

/** The pod interfaces of the VMI's Multus attachments (pod<hash>), which the launcher reads. */
function secondaryPodInterfaces(vmi: PlannableVmi, primary: string): string[] {
  const networks = effectiveInterfaces(vmi.spec).networks;
  // A spec of the wrong shape is the planner's to refuse, naming the field.
  if (!Array.isArray(networks)) return [];
  const names = podInterfaceNames(networks);
  return [...new Set(names.values())].filter((n) => n !== primary);
}

export async function createDomain(vmi: PlannableVmi, options: SessionOptions): Promise<Domain> {
  const qemu = qemuSystemBinary();
  const identity = qemuIdentity();
  const model = vmi.spec.domain.cpu?.model;
  // A model that is not a plain word is refused by the planner (naming the field); probe with host meanwhile.
  const kvmCpu =
    !model || model === 'host-model' || model === 'host-passthrough' || !isCpuModelWord(model)
      ? 'host'
      : model;
  const accelerator = options.accelerator ?? (await chooseAccelerator(qemu, kvmCpu, identity));
  // The planner wants absolute directories (so no path it writes into QEMU's argv is relative).
  // The launcher's own files (control socket, final status) stay in workDir, root's; QEMU gets
  // a directory of its own below it.
  const workDir = path.resolve(options.workDir);
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const qemuDir = path.join(workDir, QEMU_DIR);
  fs.mkdirSync(qemuDir, { recursive: true, mode: 0o700 });
  const context: LaunchContext = {
    ...options.resources,
    workDir: qemuDir,
    stateDir: options.stateDir === undefined ? undefined : path.resolve(options.stateDir),
    accelerator: accelerator.accelerator,
    firmware: findFirmware(),
    exists: (p) => fs.existsSync(p),
    isBlockDevice: (p) => fs.statSync(p, { throwIfNoEntry: false })?.isBlockDevice() ?? false,
    // In its pod's network namespace the launcher binds the pod network itself (launcher/network/).
    ...(options.resources?.podInterfaceName
      ? {
          podNetwork: await readPodNetworkState(
            options.resources.podInterfaceName,
            secondaryPodInterfaces(vmi, options.resources.podInterfaceName),
          ),
        }
      : {}),
  };
  let plan: LaunchPlan;
  try {
    plan = buildLaunchPlan(vmi, context);
  } catch (e) {
    if (e instanceof LaunchSpecError) throw e;
    // The pod launcher does not load the whole schema validation (the handler ran it): an
    // object of the wrong shape (a list that is a string, a disk without a name) ends here
    // as a refusal that says so, not as a crash.
    throw new LaunchSpecError(vmiSubject(vmi), [
      {
        path: 'spec',
        message: `is not a well-formed VirtualMachineInstance spec (${(e as Error).message}); check it with virtkit validate`,
      },
    ]);
  }
  return new Domain(plan, {
    name: vmi.metadata?.name ?? 'vmi',
    namespace: vmi.metadata?.namespace ?? 'default',
    qemuBinary: qemu,
    accelerator,
    identity,
  });
}
