/** The VirtualMachine construct (kubevirt.io/v1): a VMI template plus when it should run. */
import type { Construct, IConstruct } from 'constructs';
import type { VirtualMachineSpec } from '../../api/kubevirt/v1';
import { VirtualMachineKind } from '../../api/kubevirt/v1/vm-kind';
import type { ObjectMetaProps } from '../core/kubevirt-object';
import type { InstancetypeRef, PreferenceRef } from './instancetype-ref';
import type { VmiTemplateProps } from './template-props';
import { renderVmSpec, type VmState } from './vm-render';
import { VmiTemplateOwner } from './vmi-owner';

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

/** Props of a VirtualMachine. */
export interface VirtualMachineProps extends ObjectMetaProps, VirtualMachineSpecProps {}

const VM_SYMBOL = Symbol.for('virtkit.VirtualMachine');

/**
 * A KubeVirt VirtualMachine.
 *
 * @example
 * const vm = new VirtualMachine(chart, 'db', {
 *   memory: '4Gi', cpu: { cores: 2 },
 *   disks: [{ name: 'root', source: Disk.containerDisk('quay.io/containerdisks/fedora:40'), bootOrder: 1 }],
 * });
 * vm.addPodNetwork();
 */
export class VirtualMachine extends VmiTemplateOwner {
  /** Whether `x` is a VirtualMachine construct. */
  public static isVirtualMachine(x: unknown): x is VirtualMachine {
    return typeof x === 'object' && x !== null && VM_SYMBOL in x;
  }

  /** Every VirtualMachine construct of the app that `scope` belongs to. */
  public static all(scope: IConstruct): VirtualMachine[] {
    return scope.node.root.node.findAll().filter((c) => VirtualMachine.isVirtualMachine(c));
  }

  /** The run strategy written to the manifest. */
  public readonly runStrategy: RunStrategy;
  /** Name of the referenced instance type, if any. */
  public readonly instancetypeName?: string;
  /** Name of the referenced preference, if any. */
  public readonly preferenceName?: string;
  private readonly vm: VmState;

  public constructor(scope: Construct, id: string, props: VirtualMachineProps = {}) {
    super(scope, id, VirtualMachineKind, props, props);
    Object.defineProperty(this, VM_SYMBOL, { value: true });
    this.runStrategy = props.runStrategy ?? RunStrategy.ALWAYS;
    this.instancetypeName = props.instancetype?.name;
    this.preferenceName = props.preference?.name;
    this.vm = {
      runStrategy: this.runStrategy,
      instancetype: props.instancetype,
      preference: props.preference,
      template: this.template,
    };
  }

  public get vmiSpecPath(): string {
    return 'spec.template.spec';
  }

  /** The rendered spec (pure function of the construct's state). */
  public renderSpec(): VirtualMachineSpec {
    return renderVmSpec(this.vm, this.name);
  }

  protected renderBody(): { spec: VirtualMachineSpec } {
    return { spec: this.renderSpec() };
  }
}
