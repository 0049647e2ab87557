/** The VirtualMachine construct (kubevirt.io/v1): a VMI template plus when it should run. */
import type { Construct, IConstruct } from 'constructs';
import type { VirtualMachineSpec } from '../../api/kubevirt/v1';
import { VirtualMachineKind } from '../../api/kubevirt/v1/vm-kind';
import { RunStrategy, type VirtualMachineSpecProps } from '../../api/render/vm-props';
import { renderVmSpec, vmStateFromProps, type VmState } from '../../api/render/vm-render';
import type { ObjectMetaProps } from '../core/kubevirt-object';
import { VmiTemplateOwner } from './vmi-owner';

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
    this.vm = vmStateFromProps(props, this._template);
    this.runStrategy = this.vm.runStrategy as RunStrategy;
    this.instancetypeName = props.instancetype?.name;
    this.preferenceName = props.preference?.name;
  }

  public get vmiSpecPath(): string {
    return 'spec.template.spec';
  }

  /** The rendered spec (pure function of the construct's state). */
  private renderSpec(): VirtualMachineSpec {
    return renderVmSpec(this.vm, this.name);
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: this.renderSpec() };
  }
}
