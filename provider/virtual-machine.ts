/**
 * `virtkit:index:VirtualMachine`: a kubevirt.io/v1 VirtualMachine whose `pulumi up` waits as
 * its run strategy promises: Ready for Always, RerunOnFailure and Once; printableStatus
 * Stopped for Halted; nothing for Manual. The spec is KubeVirt's own (validated through api/);
 * the construct-style props (disks, networks...) come once their renderer lives in api/.
 */
import type * as pulumi from '@pulumi/pulumi';
import { kubevirtV1 } from '../api';
import { AwaitedComponent, type AwaitedArgs, type AwaitedKind } from './core/awaited-component';
import { effectiveRunStrategy, vmReadiness } from './core/readiness';

/** How long `pulumi up` waits for a VM to be Ready (or Stopped) unless told otherwise. */
export const VM_TIMEOUT_SECONDS = 600;

const kind: AwaitedKind<kubevirtV1.VirtualMachineSpec> = {
  typeName: 'VirtualMachine',
  def: kubevirtV1.VirtualMachineKind,
  readiness: (spec) => vmReadiness(effectiveRunStrategy(spec ?? {})),
  defaultTimeoutSeconds: VM_TIMEOUT_SECONDS,
};

/** spec: runStrategy, instancetype, preference, template, dataVolumeTemplates, as KubeVirt defines them. */
export type VirtualMachineArgs = AwaitedArgs<kubevirtV1.VirtualMachineSpec>;

export class VirtualMachine extends AwaitedComponent<
  kubevirtV1.VirtualMachineSpec,
  kubevirtV1.VirtualMachineStatus
> {
  /** One-word state (Running, Stopped, Provisioning...), as `kubectl get vm` shows it. */
  readonly printableStatus: pulumi.Output<string | undefined>;
  /** True when the VM's Ready condition is True. */
  readonly ready: pulumi.Output<boolean>;
  /**
   * True when a spec change takes effect only after a restart (the RestartRequired
   * condition): `pulumi up` applied it, but the running guest does not have it yet.
   */
  readonly restartRequired: pulumi.Output<boolean>;

  constructor(name: string, args: VirtualMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super(kind, name, args, opts);
    this.printableStatus = this.status.apply((s) => s?.printableStatus);
    this.ready = this.status.apply((s) => conditionIsTrue(s, 'Ready'));
    this.restartRequired = this.status.apply((s) => conditionIsTrue(s, 'RestartRequired'));
    this.doneWith({
      status: this.status,
      printableStatus: this.printableStatus,
      ready: this.ready,
      restartRequired: this.restartRequired,
    });
  }
}

function conditionIsTrue(status: kubevirtV1.VirtualMachineStatus | undefined, type: string): boolean {
  return (status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}
