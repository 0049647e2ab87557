/** The VirtualMachineInstanceReplicaSet construct (kubevirt.io/v1): N identical stateless VMIs. */
import type { Construct } from 'constructs';
import type { VirtualMachineInstanceReplicaSetSpec } from '../../api/kubevirt/v1';
import { VirtualMachineInstanceReplicaSetKind } from '../../api/kubevirt/v1/replicaset';
import { compact } from '../../api/render/compact';
import { renderVmiTemplate } from '../../api/render/template-render';
import type { VmiOwnerProps } from './template-props';
import { ownedDataVolumeIssues } from './virtual-machine-instance';
import { VmiTemplateOwner } from './vmi-owner';

/** Label the default selector of a replica set matches (as in KubeVirt's examples). */
export const REPLICA_SET_LABEL = 'kubevirt.io/vmReplicaSet';

/** Props of a VirtualMachineInstanceReplicaSet. */
export interface VirtualMachineInstanceReplicaSetProps extends VmiOwnerProps {
  /**
   * Number of VMIs.
   * @default - 1 (KubeVirt's default; not written)
   * @example 3
   */
  readonly replicas?: number;
  /**
   * Labels that select the VMIs; they are also added to the VMI template.
   * @default - { 'kubevirt.io/vmReplicaSet': <name> }
   * @example { app: 'web' }
   */
  readonly selector?: { [key: string]: string };
  /**
   * Stop adding and removing VMIs.
   * @default false
   */
  readonly paused?: boolean;
}

export class VirtualMachineInstanceReplicaSet extends VmiTemplateOwner {
  /** Labels of the selector (also on the VMI template). */
  public readonly selector: { [key: string]: string };
  private readonly replicas?: number;
  private readonly paused?: boolean;

  public constructor(scope: Construct, id: string, props: VirtualMachineInstanceReplicaSetProps = {}) {
    super(scope, id, VirtualMachineInstanceReplicaSetKind, props, props);
    this.selector = { ...(props.selector ?? { [REPLICA_SET_LABEL]: this.name }) };
    for (const [k, v] of Object.entries(this.selector)) this.addTemplateLabel(k, v);
    this.replicas = props.replicas;
    this.paused = props.paused;
  }

  public get vmiSpecPath(): string {
    return 'spec.template.spec';
  }

  /** The rendered spec. */
  private renderSpec(): VirtualMachineInstanceReplicaSetSpec {
    const { template } = renderVmiTemplate(this._template, this.name);
    return compact({
      replicas: this.replicas,
      paused: this.paused,
      selector: { matchLabels: { ...this.selector } },
      template,
    });
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: this.renderSpec() };
  }

  protected override extraIssues(): string[] {
    return ownedDataVolumeIssues(this._template.disks, 'VirtualMachineInstanceReplicaSet');
  }
}
