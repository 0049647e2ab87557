/** The VirtualMachinePool construct (pool.kubevirt.io/v1beta1): N VMs from one VM template. */
import type { Construct } from 'constructs';
import { checkVmSpec } from '../../api/kubevirt/v1/rules';
import type { VirtualMachinePoolSpec } from '../../api/pool/v1beta1';
import { VirtualMachinePoolKind } from '../../api/pool/v1beta1/kinds';
import type { Issue } from '../../api/validation/issue';
import { compact, nonEmptyMap } from '../../api/render/compact';
import type { VirtualMachineSpecProps } from '../../api/render/vm-props';
import { renderVmSpec, vmStateFromProps, type VmState } from '../../api/render/vm-render';
import type { ObjectMetaProps } from '../core/kubevirt-object';
import { VmiTemplateOwner } from './vmi-owner';

/** Label the default selector of a pool matches (as in KubeVirt's examples). */
export const POOL_LABEL = 'kubevirt.io/vmpool';

/** How names inside each pool member are made unique. */
export interface PoolNameGeneration {
  /**
   * Append the member index to ConfigMap disk references (`cfg` becomes `cfg-0`, `cfg-1`...).
   * @default false
   */
  readonly appendIndexToConfigMapRefs?: boolean;
  /**
   * Append the member index to Secret references, including cloud-init Secrets.
   * @default false
   */
  readonly appendIndexToSecretRefs?: boolean;
}

/** Props of a VirtualMachinePool. Members are named `<pool name>-<index>`. */
export interface VirtualMachinePoolProps extends ObjectMetaProps, VirtualMachineSpecProps {
  /**
   * Number of VMs.
   * @default - 1 (KubeVirt's default; not written)
   * @example 3
   */
  readonly replicas?: number;
  /**
   * Labels that select the members; added to the VM template and the VMI template.
   * @default - { 'kubevirt.io/vmpool': <name> }
   * @example { app: 'web' }
   */
  readonly selector?: { [key: string]: string };
  /**
   * Labels of each member VM (besides the selector labels).
   * @default - only the selector labels
   */
  readonly vmLabels?: { [key: string]: string };
  /**
   * Annotations of each member VM.
   * @default - none
   */
  readonly vmAnnotations?: { [key: string]: string };
  /**
   * Make per-member names for ConfigMap and Secret references.
   * @default - references are shared by all members
   * @example { appendIndexToSecretRefs: true }
   */
  readonly nameGeneration?: PoolNameGeneration;
  /**
   * Stop reconciling the pool.
   * @default false
   */
  readonly paused?: boolean;
}

export class VirtualMachinePool extends VmiTemplateOwner {
  /** Labels of the selector (also on the VM and VMI templates). */
  public readonly selector: { [key: string]: string };
  /** Name of the referenced instance type, if any. */
  public readonly instancetypeName?: string;
  /** Name of the referenced preference, if any. */
  public readonly preferenceName?: string;
  private readonly vm: VmState;
  private readonly vmLabels: { [key: string]: string };
  private readonly vmAnnotations: { [key: string]: string };

  public constructor(
    scope: Construct,
    id: string,
    private readonly props: VirtualMachinePoolProps = {},
  ) {
    super(scope, id, VirtualMachinePoolKind, props, props);
    this.selector = { ...(props.selector ?? { [POOL_LABEL]: this.name }) };
    this.vmLabels = { ...(props.vmLabels ?? {}), ...this.selector };
    this.vmAnnotations = { ...(props.vmAnnotations ?? {}) };
    for (const [k, v] of Object.entries(this.selector)) this.addTemplateLabel(k, v);
    this.instancetypeName = props.instancetype?.name;
    this.preferenceName = props.preference?.name;
    this.vm = vmStateFromProps(props, this._template);
  }

  public get vmiSpecPath(): string {
    return 'spec.virtualMachineTemplate.spec.template.spec';
  }

  /** Add a label to every member VM. */
  public addVmLabel(key: string, value: string): void {
    this.vmLabels[key] = value;
    this.changed();
  }

  /** Add an annotation to every member VM. */
  public addVmAnnotation(key: string, value: string): void {
    this.vmAnnotations[key] = value;
    this.changed();
  }

  /** The rendered spec. */
  private renderSpec(): VirtualMachinePoolSpec {
    return compact({
      replicas: this.props.replicas,
      paused: this.props.paused,
      selector: { matchLabels: { ...this.selector } },
      nameGeneration: this.props.nameGeneration ? compact({ ...this.props.nameGeneration }) : undefined,
      virtualMachineTemplate: {
        metadata: compact({ labels: { ...this.vmLabels }, annotations: nonEmptyMap(this.vmAnnotations) }),
        spec: renderVmSpec(this.vm, this.name),
      },
    });
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: this.renderSpec() };
  }

  /** The pool kind checks its own fields; the member VM spec gets the VirtualMachine rules too. */
  /** @internal */
  protected override _additionalApiIssues(manifest: Record<string, unknown>): Issue[] {
    const spec = manifest.spec as { virtualMachineTemplate?: { spec?: unknown } } | undefined;
    return checkVmSpec(spec?.virtualMachineTemplate?.spec, 'spec.virtualMachineTemplate.spec');
  }
}
