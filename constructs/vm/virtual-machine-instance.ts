/** The VirtualMachineInstance construct (kubevirt.io/v1): one running guest, no VM around it. */
import type { Construct } from 'constructs';
import type { VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import { VirtualMachineInstanceKind } from '../../api/kubevirt/v1/vmi-kind';
import { renderVmiSpec } from '../../api/render/template-render';
import type { VmiOwnerProps } from './template-props';
import { VmiTemplateOwner } from './vmi-owner';

/** Props of a VirtualMachineInstance; `templateLabels`/`templateAnnotations` land on the VMI itself. */
export type VirtualMachineInstanceProps = VmiOwnerProps;

/**
 * A bare VirtualMachineInstance. Disks built with `Disk.dataVolume(...)` need a VM or a
 * pool to own the DataVolume; on a VMI, synth reports them (use `Disk.existingDataVolume`).
 */
export class VirtualMachineInstance extends VmiTemplateOwner {
  public constructor(scope: Construct, id: string, props: VirtualMachineInstanceProps = {}) {
    super(scope, id, VirtualMachineInstanceKind, props, props);
    for (const [k, v] of Object.entries(props.templateLabels ?? {})) this.addLabel(k, v);
    for (const [k, v] of Object.entries(props.templateAnnotations ?? {})) this.addAnnotation(k, v);
    this._template.templateLabels = {};
    this._template.templateAnnotations = {};
  }

  public get vmiSpecPath(): string {
    return 'spec';
  }

  /** On a VMI the template metadata is the object's own: adds a label to the VMI. */
  public override addTemplateLabel(key: string, value: string): void {
    this.addLabel(key, value);
  }

  /** On a VMI the template metadata is the object's own: adds an annotation to the VMI. */
  public override addTemplateAnnotation(key: string, value: string): void {
    this.addAnnotation(key, value);
  }

  /** The rendered spec. */
  private renderSpec(): VirtualMachineInstanceSpec {
    return renderVmiSpec(this._template, this.name).spec;
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: this.renderSpec() };
  }

  protected override extraIssues(): string[] {
    return ownedDataVolumeIssues(this._template.disks, 'VirtualMachineInstance');
  }
}

/** Kinds without dataVolumeTemplates cannot own DataVolumes: one message per such disk. */
export function ownedDataVolumeIssues(
  disks: readonly { readonly name: string; readonly source: { readonly needsDataVolumeTemplate: boolean } }[],
  kind: string,
): string[] {
  return disks
    .filter((d) => d.source.needsDataVolumeTemplate)
    .map(
      (d) =>
        `disk "${d.name}" uses Disk.dataVolume(...), but a ${kind} cannot own DataVolume templates; ` +
        'use a VirtualMachine or VirtualMachinePool, or create the DataVolume separately and use Disk.existingDataVolume(name)',
    );
}
