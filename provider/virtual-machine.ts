/**
 * `virtkit:index:VirtualMachine`: a kubevirt.io/v1 VirtualMachine whose `pulumi up` waits as
 * its run strategy promises: Ready for Always, RerunOnFailure and Once; printableStatus
 * Stopped for Halted; nothing for Manual. The spec comes either from the same typed props the
 * cdk8s VirtualMachine construct takes (disks, networks, instancetype...), rendered by
 * api/render exactly as the construct renders them, or, as an escape hatch, from `spec` in
 * KubeVirt's own shape. Either way it is validated through api/, and the Multus networks it
 * names must exist, in the cluster or in this program (core/network-check.ts), before the VM is
 * registered.
 *
 * The component waits itself (core/vm-settle.ts explains why the Kubernetes provider's await
 * cannot): it tells the provider not to wait, then reads the VM and its VirtualMachineInstance
 * until the run strategy's promise holds, and takes its outputs from that last read: the VM's
 * status, and the guest's IP addresses and node from the instance.
 */
import * as pulumi from '@pulumi/pulumi';
import {
  kubevirtV1,
  renderVirtualMachineSpec,
  virtualMachineSpecPropsSet,
  type Issue,
  type VirtualMachineSpecProps,
} from '../api';
import { AwaitedComponent, type AwaitedKind } from './core/awaited-component';
import type { AwaitArgs, DeepInput, ObjectArgs } from './core/inputs';
import { NO_WAIT, type AwaitOptions } from './core/readiness';
import { clusterSettings, type ClusterSettings } from './core/cluster';
import { vmNetworkCheck } from './core/network-check';
import { settle, vmTarget, VmSettleTimeout, type VmObservation } from './core/vm-settle';

/** How long `pulumi up` waits for a VM to be Ready (or Stopped) unless told otherwise. */
export const VM_TIMEOUT_SECONDS = 600;

const kind: AwaitedKind<kubevirtV1.VirtualMachineSpec> = {
  typeName: 'VirtualMachine',
  def: kubevirtV1.VirtualMachineKind,
  // The provider is told not to wait (`pulumi.com/skipAwait`): the component does (observe()).
  readiness: () => NO_WAIT,
  defaultTimeoutSeconds: VM_TIMEOUT_SECONDS,
};

/**
 * The object's identity (`name`, `namespace`, `labels`, `annotations`), `await`, and the spec:
 * either the typed props of the VirtualMachine construct (`runStrategy`, `instancetype`,
 * `preference`, `cpu`, `memory`, `disks`, `interfaces`, `networks`, `firmware`, probes...)
 * or `spec`, never both. The typed props are plain values (the value classes `Disk`,
 * `Probe`... cannot wrap outputs), rendered when the component is constructed; `spec` takes a
 * `pulumi.Input` at any depth.
 */
export interface VirtualMachineArgs extends ObjectArgs, AwaitArgs, VirtualMachineSpecProps {
  /**
   * Escape hatch: the whole spec in KubeVirt's own shape (runStrategy, instancetype,
   * preference, template, dataVolumeTemplates). Refused together with any typed prop.
   * @default - rendered from the typed props
   */
  readonly spec?: DeepInput<kubevirtV1.VirtualMachineSpec>;
}

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
  /**
   * Every IP address of the running guest, as its VirtualMachineInstance reports them
   * (`status.interfaces[*].ipAddresses`, else `ipAddress`), in interface order, each once;
   * `[]` when no instance runs. Read when `up` has applied the VM (and waited for it).
   */
  readonly ipAddresses: pulumi.Output<string[]>;
  /** The node the VM's instance runs on (its `status.nodeName`), read as `ipAddresses` is. */
  readonly nodeName: pulumi.Output<string | undefined>;
  /** The cluster the default Kubernetes provider uses, which the component reads itself. */
  private readonly cluster: ClusterSettings;

  constructor(name: string, args: VirtualMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    const { spec, issues } = specOf(name, args);
    super(kind, name, { ...args, spec }, opts, {
      argumentIssues: issues,
      // That the Multus networks it names exist (or this program declares them), before the
      // VM is registered: a typo fails the preview rather than leaving a VM that never starts.
      beforeRegister: vmNetworkCheck(spec),
    });
    // Read now, while the program (or the Construct request) runs; the wait reads it later.
    this.cluster = clusterSettings();
    const observed = this.observe(args.await);
    this.replaceStatus(observed.apply((o) => o.vm?.status));
    this.printableStatus = this.status.apply((s) => s?.printableStatus);
    this.ready = this.status.apply((s) => conditionIsTrue(s, 'Ready'));
    this.restartRequired = this.status.apply((s) => conditionIsTrue(s, 'RestartRequired'));
    const instance = observed.apply((o) => o.vmi?.status);
    this.ipAddresses = instance.apply(instanceAddresses);
    this.nodeName = instance.apply((s) => s?.nodeName);
    this.doneWith({
      status: this.status,
      printableStatus: this.printableStatus,
      ready: this.ready,
      restartRequired: this.restartRequired,
      ipAddresses: this.ipAddresses,
      nodeName: this.nodeName,
    });
  }

  /**
   * The VM as `up` leaves it. Once the provider has written the VM (its metadata resolves
   * then), read it and its instance until the run strategy's promise holds (vmTarget;
   * nothing to wait for under Manual and with `await.skipAwait`: one read), through the
   * cluster the default Kubernetes provider uses (the stack's `kubernetes:kubeconfig` and
   * `kubernetes:context`, else the environment's). A preview reads nothing: the status is the
   * one in the state, and no instance is known.
   */
  private observe(options: AwaitOptions | undefined): pulumi.Output<VmObservation> {
    return pulumi
      .all([this.resource.metadata, this.statusOutput<kubevirtV1.VirtualMachineStatus>(), this.manifest])
      .apply(async ([meta, status, manifest]): Promise<VmObservation> => {
        const fromState: VmObservation = { vm: { metadata: meta, status } };
        if (pulumi.runtime.isDryRun()) return fromState;
        const target = options?.skipAwait ? 'none' : vmTarget(manifest.spec as kubevirtV1.VirtualMachineSpec);
        try {
          return await settle({
            namespace: meta.namespace,
            name: meta.name,
            target,
            timeoutSeconds: options?.timeoutSeconds ?? VM_TIMEOUT_SECONDS,
            cluster: this.cluster,
          });
        } catch (e) {
          const why =
            e instanceof VmSettleTimeout ? e.message : `cannot read the VM: ${(e as Error).message}`;
          throw new pulumi.ResourceError(`${this.subject}: ${why}`, this);
        }
      });
  }
}

type VmiStatus = kubevirtV1.VirtualMachineInstanceStatus;

/**
 * Every IP address in a VMI's status: each interface's `ipAddresses` (its `ipAddress` when the
 * list is missing), in interface order, each address once.
 */
export function instanceAddresses(status: VmiStatus | undefined): string[] {
  const addresses = (status?.interfaces ?? []).flatMap(
    (i) => i.ipAddresses ?? (i.ipAddress ? [i.ipAddress] : []),
  );
  return [...new Set(addresses)];
}

/** Stands in for a spec that could not be rendered; the component refuses its arguments first. */
const NOT_RENDERED: kubevirtV1.VirtualMachineSpec = { template: {} };

interface SpecChoice {
  readonly spec: DeepInput<kubevirtV1.VirtualMachineSpec>;
  readonly issues: Issue[];
}

/** The spec to send: the raw `spec`, or the typed props rendered by api/render; never both. */
function specOf(name: string, args: VirtualMachineArgs): SpecChoice {
  const typed = virtualMachineSpecPropsSet(args);
  if (args.spec !== undefined) {
    if (!typed.length) return { spec: args.spec, issues: [] };
    const message =
      `cannot be combined with the typed props (${typed.join(', ')}); give either spec, in ` +
      "KubeVirt's own shape, or the typed props, as the VirtualMachine construct takes them";
    return { spec: args.spec, issues: [{ path: 'spec', message, severity: 'error', rule: 'args' }] };
  }
  // Owned DataVolumes are named after the object: `<metadata.name>-<disk>`.
  const objectName = args.name ?? name;
  const render = (n: string): kubevirtV1.VirtualMachineSpec => renderVirtualMachineSpec(args, n);
  try {
    // Rendering is pure and fails, if at all, for any name: a name that is an output is
    // rendered here once with a stand-in, so bad props still throw from the constructor.
    const now = render(typeof objectName === 'string' ? objectName : name);
    if (typeof objectName === 'string') return { spec: now, issues: [] };
    return { spec: pulumi.output(objectName).apply(render), issues: [] };
  } catch (e) {
    // Typed props from an untyped program (plain objects where a Disk or Probe belongs).
    const message = `cannot render the typed props: ${(e as Error).message}; build disks, probes, firmware and references with their static factories (Disk.containerDisk(...), Probe.httpGet(...)...)`;
    return { spec: NOT_RENDERED, issues: [{ path: '', message, severity: 'error', rule: 'args' }] };
  }
}

function conditionIsTrue(status: kubevirtV1.VirtualMachineStatus | undefined, type: string): boolean {
  return (status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}
