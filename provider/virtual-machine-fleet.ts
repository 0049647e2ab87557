/**
 * `virtkit:index:VirtualMachineFleet`: many VirtualMachines in one component. Each member is
 * what a VirtualMachine component makes (the same args, rendering, validation, network check
 * and wait: createVirtualMachine), but the fleet registers one component for all of them
 * instead of one per VM, so Pulumi tracks half the resources: for fleets of hundreds of VMs
 * previews and updates are faster (bench/pulumi-preview.ts measures both) and the state smaller.
 *
 * Members are keyed by name: the key is the VM's default `metadata.name` and names its child
 * resource (`<fleet>-<key>`), so adding or removing one member touches only that VM. The fleet's
 * `namespace`, `labels` and `await` apply to members that do not set their own.
 */
import * as pulumi from '@pulumi/pulumi';
import type { Issue } from '../api';
import { VirtkitComponent } from './core/component';
import type { AwaitArgs } from './core/inputs';
import type { VmObservation } from './core/vm-settle';
import {
  conditionIsTrue,
  createVirtualMachine,
  instanceAddresses,
  type VirtualMachineArgs,
  type VirtualMachineObject,
} from './virtual-machine';

export interface VirtualMachineFleetArgs extends AwaitArgs {
  /**
   * The VMs, keyed by name. Each takes what a VirtualMachine component takes; the key is its
   * `name` unless it sets one, and names its resource `<fleet>-<key>`.
   */
  readonly vms: Readonly<Record<string, VirtualMachineArgs>>;
  /** metadata.namespace of members that set none. Default: the provider's namespace. */
  readonly namespace?: pulumi.Input<string>;
  /** Labels every member gets; a member's own label of the same key wins. Default: none. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** What `up` read of one member, as the fleet's `vms` output lists it. */
export interface FleetMemberState {
  readonly objectName: string;
  readonly namespace?: string;
  readonly printableStatus?: string;
  readonly ready: boolean;
  readonly restartRequired: boolean;
  readonly ipAddresses: string[];
  readonly nodeName?: string;
}

/** A key that can be a VM's name and a resource name's suffix: a DNS-1123 label. */
const MEMBER_KEY = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `vms.web`: where a member's problems are reported. */
export function memberPath(key: string): string {
  return `vms.${key}`;
}

/** The problems with the fleet's own arguments (the members' are each member's). Pure. */
export function fleetArgumentIssues(args: VirtualMachineFleetArgs): Issue[] {
  const vms = (args as { vms?: unknown }).vms;
  if (vms === null || typeof vms !== 'object' || Array.isArray(vms))
    return [
      {
        path: 'vms',
        message: `must be a map from VM name to the VM's args, e.g. { web: { runStrategy: 'Always', ... } }; got ${Array.isArray(vms) ? 'a list' : JSON.stringify(vms)}`,
        severity: 'error',
        rule: 'args',
      },
    ];
  return Object.keys(vms)
    .filter((key) => !MEMBER_KEY.test(key))
    .map((key) => ({
      path: memberPath(key),
      message: `${JSON.stringify(key)} is not a valid VM name: use lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
      severity: 'error' as const,
      rule: 'args',
    }));
}

/** A member's args with the fleet's defaults filled in. */
function memberArgs(args: VirtualMachineFleetArgs, vm: VirtualMachineArgs): VirtualMachineArgs {
  const labels =
    args.labels && Object.keys(args.labels).length
      ? vm.labels === undefined
        ? args.labels
        : pulumi.output(vm.labels).apply((own) => ({ ...args.labels, ...own }))
      : vm.labels;
  return {
    ...vm,
    ...(vm.namespace === undefined && args.namespace !== undefined ? { namespace: args.namespace } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(vm.await === undefined && args.await !== undefined ? { await: args.await } : {}),
  };
}

/** A member's state from its object's metadata and its last read (as a VirtualMachine's outputs). Pure. */
export function memberState(
  meta: { readonly name: string; readonly namespace?: string },
  observed: VmObservation,
): FleetMemberState {
  const status = observed.vm?.status;
  const instance = observed.vmi?.status;
  return {
    objectName: meta.name,
    ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
    ...(status?.printableStatus !== undefined ? { printableStatus: status.printableStatus } : {}),
    ready: conditionIsTrue(status, 'Ready'),
    restartRequired: conditionIsTrue(status, 'RestartRequired'),
    ipAddresses: instanceAddresses(instance),
    ...(instance?.nodeName !== undefined ? { nodeName: instance.nodeName } : {}),
  };
}

export class VirtualMachineFleet extends VirtkitComponent {
  /** Each member's VM, by key: its manifest, resource and outputs, as a VirtualMachine has them. */
  readonly members: Readonly<Record<string, VirtualMachineObject>>;
  /** What `up` read of each member, by key (the VirtualMachine outputs of each). */
  readonly vms: pulumi.Output<Record<string, FleetMemberState>>;
  /** True when every member's Ready condition is True. */
  readonly ready: pulumi.Output<boolean>;

  constructor(name: string, args: VirtualMachineFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('VirtualMachineFleet', name, opts);
    const issues = [...fleetArgumentIssues(args), ...this.awaitIssues(args.await)];
    if (issues.length) throw this.invalidInput(issues);
    const members: Record<string, VirtualMachineObject> = {};
    for (const [key, vm] of Object.entries(args.vms))
      members[key] = createVirtualMachine(this, memberArgs(args, vm), {
        childName: this.childName(key),
        defaultObjectName: key,
        at: memberPath(key),
      });
    this.members = members;
    // One output per member, straight from its last read: no per-field outputs to gather.
    const states = Object.entries(members).map(([key, m]) =>
      pulumi
        .all([m.resource.metadata, m.observed])
        .apply(([meta, observed]): [string, FleetMemberState] => [key, memberState(meta, observed)]),
    );
    this.vms = pulumi.all(states).apply((entries) => Object.fromEntries(entries));
    this.ready = this.vms.apply((vms) => Object.values(vms).every((vm) => vm.ready));
    this.done({ vms: this.vms, ready: this.ready });
  }
}
