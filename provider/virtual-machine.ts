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
import * as k8s from '@pulumi/kubernetes';
import { VirtkitComponent } from './core/component';
import {
  createObject,
  statusOf,
  type Manifest,
  type ObjectChild,
  type ObjectPlacement,
} from './core/object-component';
import type { AwaitArgs, DeepInput, ObjectArgs } from './core/inputs';
import { NO_WAIT, type AwaitOptions } from './core/readiness';
import { clusterSettings, type ClusterSettings } from './core/cluster';
import { vmNeedsNetworkCheck, vmNetworkCheck } from './core/network-check';
import { settle, vmTarget, VmSettleTimeout, type VmObservation } from './core/vm-settle';

/** How long `pulumi up` waits for a VM to be Ready (or Stopped) unless told otherwise. */
export const VM_TIMEOUT_SECONDS = 600;

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

/** One VirtualMachine object and what `up` read of it: a VirtualMachine's, or a fleet member's. */
export interface VirtualMachineObject extends ObjectChild {
  /** The last read of the VM and its instance (`up`), or the state's status (preview). */
  readonly observed: pulumi.Output<VmObservation>;
  /** The VM's status, from the component's last read once `up` applied it (else the state's). */
  readonly status: pulumi.Output<kubevirtV1.VirtualMachineStatus | undefined>;
  readonly printableStatus: pulumi.Output<string | undefined>;
  readonly ready: pulumi.Output<boolean>;
  readonly restartRequired: pulumi.Output<boolean>;
  readonly ipAddresses: pulumi.Output<string[]>;
  readonly nodeName: pulumi.Output<string | undefined>;
}

/**
 * Create one VirtualMachine object as a child of `owner` (rendered from the typed props or
 * taken from `spec`, validated, its Multus networks checked) and, once `up` has applied it,
 * wait for it as its run strategy promises and read its outputs. Bad arguments throw now, with
 * the owner's ResourceError (paths under `place.at`).
 */
export function createVirtualMachine(
  owner: VirtkitComponent,
  args: VirtualMachineArgs,
  place: ObjectPlacement,
): VirtualMachineObject {
  const { spec, issues } = specOf(place.defaultObjectName, args);
  const object = createObject<{ spec: kubevirtV1.VirtualMachineSpec }>(
    owner,
    {
      def: kubevirtV1.VirtualMachineKind,
      object: args,
      fields: { spec },
      // The provider is told not to wait (`pulumi.com/skipAwait`): the wait is observe()'s.
      await: { readiness: () => NO_WAIT, options: args.await, defaultTimeoutSeconds: VM_TIMEOUT_SECONDS },
      argumentIssues: issues,
      // That the Multus networks it names exist (or this program declares them), before the
      // VM is registered: a typo fails the preview rather than leaving a VM that never starts.
      ...(vmNeedsNetworkCheck(spec) ? { beforeRegister: vmNetworkCheck(spec) } : {}),
    },
    place,
  );
  // Read now, while the program (or the Construct request) runs; the wait reads it later.
  const cluster = clusterSettings();
  const subject = place.at ? `${owner.subject} ${place.at}` : owner.subject;
  const observed = observe(owner, subject, object, cluster, args.await);
  // The outputs derived from the observation are made when first read: a fleet reads only
  // `observed`, and hundreds of members then cost no more outputs than they need.
  const lazy = <T>(make: () => pulumi.Output<T>): (() => pulumi.Output<T>) => {
    let made: pulumi.Output<T> | undefined;
    return () => (made ??= make());
  };
  const status = lazy(() => observed.apply((o) => o.vm?.status));
  const instance = lazy(() => observed.apply((o) => o.vmi?.status));
  const printableStatus = lazy(() => status().apply((st) => st?.printableStatus));
  const ready = lazy(() => status().apply((st) => conditionIsTrue(st, 'Ready')));
  const restartRequired = lazy(() => status().apply((st) => conditionIsTrue(st, 'RestartRequired')));
  const ipAddresses = lazy(() => instance().apply(instanceAddresses));
  const nodeName = lazy(() => instance().apply((st) => st?.nodeName));
  return {
    ...object,
    observed,
    get status() {
      return status();
    },
    get printableStatus() {
      return printableStatus();
    },
    get ready() {
      return ready();
    },
    get restartRequired() {
      return restartRequired();
    },
    get ipAddresses() {
      return ipAddresses();
    },
    get nodeName() {
      return nodeName();
    },
  };
}

/**
 * The VM as `up` leaves it. Once the provider has written the VM (its metadata resolves then),
 * read it and its instance until the run strategy's promise holds (vmTarget; nothing to wait
 * for under Manual and with `await.skipAwait`: one read), through the cluster the default
 * Kubernetes provider uses (the stack's `kubernetes:kubeconfig` and `kubernetes:context`, else
 * the environment's). A preview reads nothing: the status is the one in the state, and no
 * instance is known.
 */
function observe(
  owner: VirtkitComponent,
  subject: string,
  object: ObjectChild,
  cluster: ClusterSettings,
  options: AwaitOptions | undefined,
): pulumi.Output<VmObservation> {
  return pulumi
    .all([
      object.resource.metadata,
      statusOf<kubevirtV1.VirtualMachineStatus>(object.resource),
      object.manifest,
    ])
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
          cluster,
        });
      } catch (e) {
        const why = e instanceof VmSettleTimeout ? e.message : `cannot read the VM: ${(e as Error).message}`;
        throw new pulumi.ResourceError(`${subject}: ${why}`, owner);
      }
    });
}

export class VirtualMachine extends VirtkitComponent {
  /** The validated manifest; fails with a ResourceError when the inputs are invalid. */
  readonly manifest: pulumi.Output<Manifest>;
  /** The Kubernetes object. */
  readonly resource: k8s.apiextensions.CustomResource;
  /** metadata.name of the VM, for references from other resources. */
  readonly objectName: pulumi.Output<string>;
  /** metadata.namespace of the VM. */
  readonly namespace: pulumi.Output<string | undefined>;
  /** The VM's status, from the component's last read once `up` applied it (else the state's). */
  readonly status: pulumi.Output<kubevirtV1.VirtualMachineStatus | undefined>;
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

  constructor(name: string, args: VirtualMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('VirtualMachine', name, opts);
    const vm = createVirtualMachine(this, args, { childName: this.childName(), defaultObjectName: name });
    this.manifest = vm.manifest;
    this.resource = vm.resource;
    this.objectName = vm.objectName;
    this.namespace = vm.namespace;
    this.status = vm.status;
    this.printableStatus = vm.printableStatus;
    this.ready = vm.ready;
    this.restartRequired = vm.restartRequired;
    this.ipAddresses = vm.ipAddresses;
    this.nodeName = vm.nodeName;
    this.done({
      objectName: this.objectName,
      namespace: this.namespace,
      status: this.status,
      printableStatus: this.printableStatus,
      ready: this.ready,
      restartRequired: this.restartRequired,
      ipAddresses: this.ipAddresses,
      nodeName: this.nodeName,
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

/** Whether the VM's condition `type` is True. */
export function conditionIsTrue(status: kubevirtV1.VirtualMachineStatus | undefined, type: string): boolean {
  return (status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}
