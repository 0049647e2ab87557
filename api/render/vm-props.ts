/**
 * The typed props of a VirtualMachine's spec: the guest (VmiTemplateProps) plus when it runs
 * and what sizes it. The cdk8s VirtualMachine and VirtualMachinePool constructs and the
 * Pulumi VirtualMachine component all take them.
 */
import type { InstancetypeRef, PreferenceRef } from './instancetype-ref';
import type { VmiTemplateProps } from './template-props';

/** When a VM should have a running instance. */
export enum RunStrategy {
  /** Always running; restarted whenever it stops. */
  ALWAYS = 'Always',
  /** Restarted only when the guest fails. */
  RERUN_ON_FAILURE = 'RerunOnFailure',
  /** Runs once; not restarted. */
  ONCE = 'Once',
  /** Started and stopped only by explicit requests (virtctl start/stop). */
  MANUAL = 'Manual',
  /** Stopped. */
  HALTED = 'Halted',
  /** Waits as the target of a cross-cluster migration. */
  WAIT_AS_RECEIVER = 'WaitAsReceiver',
}

/** The VM-level settings shared by VirtualMachine and the VM template of a pool. */
export interface VirtualMachineSpecProps extends VmiTemplateProps {
  /**
   * When the VM runs. KubeVirt requires a value; virtkit writes `Always` when you leave it
   * out, so a synthesized fleet comes up running after `kubectl apply` / an ArgoCD sync.
   * @default RunStrategy.ALWAYS
   * @example RunStrategy.HALTED
   */
  readonly runStrategy?: RunStrategy;
  /**
   * Instance type that sizes CPU and memory (then leave `cpu` and `memory` out).
   * @default - none: size the VM with `cpu` and `memory`
   * @example InstancetypeRef.cluster('u1.medium')
   */
  readonly instancetype?: InstancetypeRef;
  /**
   * Preference that fills in device and firmware defaults.
   * @default - none
   * @example PreferenceRef.cluster('fedora')
   */
  readonly preference?: PreferenceRef;
}

/**
 * Every field of VirtualMachineSpecProps, for front ends that must tell the typed props apart
 * from other arguments at run time (the Pulumi component refuses them next to a raw `spec`).
 * The record type makes the compiler reject a list that misses or invents a field.
 */
const SPEC_PROP_FIELDS: { readonly [K in keyof Required<VirtualMachineSpecProps>]: true } = {
  runStrategy: true,
  instancetype: true,
  preference: true,
  cpu: true,
  memory: true,
  resources: true,
  machineType: true,
  firmware: true,
  features: true,
  disks: true,
  interfaces: true,
  networks: true,
  nodeSelector: true,
  affinity: true,
  tolerations: true,
  evictionStrategy: true,
  livenessProbe: true,
  readinessProbe: true,
  terminationGracePeriodSeconds: true,
  hostname: true,
  subdomain: true,
  templateLabels: true,
  templateAnnotations: true,
};

/** Names of the VirtualMachineSpecProps fields, in declaration order. */
export const VIRTUAL_MACHINE_SPEC_PROP_NAMES: readonly (keyof VirtualMachineSpecProps)[] = Object.keys(
  SPEC_PROP_FIELDS,
) as (keyof VirtualMachineSpecProps)[];

/** The typed props among `args` that are set (not undefined), in declaration order. */
export function virtualMachineSpecPropsSet(args: object): (keyof VirtualMachineSpecProps)[] {
  const values = args as { readonly [key: string]: unknown };
  return VIRTUAL_MACHINE_SPEC_PROP_NAMES.filter((k) => values[k] !== undefined);
}
