/**
 * Base class of every construct that renders a VMI (VirtualMachine, VirtualMachineInstance,
 * VirtualMachineInstanceReplicaSet, VirtualMachinePool): the methods that add disks,
 * networks, tolerations and template metadata after construction, written once.
 */
import type { Construct, IConstruct } from 'constructs';
import type { KindReference } from '../core/kubevirt-object';
import { AppValidation } from '../core/app-validation';
import { KubeVirtObject, type ObjectMetaProps } from '../core/kubevirt-object';
import type { Disk, DiskProps } from '../../api/render/disk';
import { InterfaceBinding, NetworkSource, type InterfaceProps } from '../../api/render/network';
import { stateFromProps, type VmiTemplateState } from '../../api/render/template-render';
import type { VmiTemplateProps } from '../../api/render/template-props';
import type { TolerationSpec } from '../../api/render/structs';
import { multusNamespaceCheck } from './multus-namespace-check';
import type { AttachNetworkOptions, INetworkAttachment } from './network';

const OWNER_SYMBOL = Symbol.for('virtkit.VmiTemplateOwner');

/** A Multus network this construct attaches to, with the construct it came from (if any). */
export interface MultusReference {
  /** Name of the VM network. */
  readonly networkName: string;
  /** Value of multus.networkName. */
  readonly multusNetworkName: string;
  /** The network construct, when attached by reference. */
  readonly attachment?: INetworkAttachment;
}

export abstract class VmiTemplateOwner extends KubeVirtObject {
  /** Whether `x` renders a VMI (VM, VMI, replica set or pool). */
  public static isVmiTemplateOwner(x: unknown): x is VmiTemplateOwner {
    return typeof x === 'object' && x !== null && OWNER_SYMBOL in x;
  }

  /** Every VMI-rendering construct in the app that `scope` belongs to. */
  public static allIn(scope: IConstruct): VmiTemplateOwner[] {
    return scope.node.root.node.findAll().filter((c) => VmiTemplateOwner.isVmiTemplateOwner(c));
  }

  /**
   * The template state; the renderer reads it at synth.
   * @internal
   */
  protected readonly _template: VmiTemplateState;
  private readonly attachments = new Map<string, INetworkAttachment>();

  protected constructor(
    scope: Construct,
    id: string,
    kind: KindReference,
    meta: ObjectMetaProps,
    props: VmiTemplateProps,
  ) {
    super(scope, id, kind, meta);
    Object.defineProperty(this, OWNER_SYMBOL, { value: true });
    this._template = stateFromProps(props);
    AppValidation.of(this).addCheck(multusNamespaceCheck);
  }

  /** Add a disk (and its volume; owned DataVolumes go into dataVolumeTemplates). */
  public addDisk(disk: DiskProps): void {
    this._template.disks.push(disk);
    this.changed();
  }

  /** Add a volume without a disk (for example one a filesystem or an ACPI table refers to). */
  public addVolume(name: string, source: Disk): void {
    this._template.volumes.push({ name, source });
    this.changed();
  }

  /** Add a guest interface; pair it with a network of the same name. */
  public addInterface(props: InterfaceProps): void {
    this._template.interfaces.push(props);
    this.changed();
  }

  /** Add a network; pair it with an interface of the same name. */
  public addNetwork(name: string, source: NetworkSource): void {
    this._template.networks.push({ name, source });
    this.changed();
  }

  /**
   * Connect to the pod network: an interface and a network, both named `name`.
   * @param binding how the interface connects; masquerade when left out
   */
  public addPodNetwork(name = 'default', binding: InterfaceBinding = InterfaceBinding.masquerade()): void {
    this.addInterface({ name, binding });
    this.addNetwork(name, NetworkSource.pod());
  }

  /**
   * Attach to a network construct: adds the interface and the Multus network. A network in
   * another namespace than this object's is referred to as `namespace/name`.
   */
  public attachNetwork(name: string, network: INetworkAttachment, options: AttachNetworkOptions = {}): void {
    this.addInterface({
      name,
      binding: options.binding ?? InterfaceBinding.bridge(),
      macAddress: options.macAddress,
    });
    const qualify =
      network.namespace !== undefined &&
      network.namespace !== this.namespace &&
      !network.multusNetworkName.includes('/');
    const networkName = qualify
      ? `${network.namespace}/${network.multusNetworkName}`
      : network.multusNetworkName;
    this.addNetwork(name, NetworkSource.multus(networkName));
    this.attachments.set(name, network);
  }

  /** The Multus networks of this object, for app-level checks. */
  public get multusReferences(): MultusReference[] {
    const out: MultusReference[] = [];
    for (const n of this._template.networks) {
      const multusNetworkName = n.source.multusNetworkName;
      if (multusNetworkName === undefined) continue;
      out.push({ networkName: n.name, multusNetworkName, attachment: this.attachments.get(n.name) });
    }
    return out;
  }

  /** Index of a network in spec...networks, for messages. */
  public networkIndex(name: string): number {
    return this._template.networks.findIndex((n) => n.name === name);
  }

  /** JSON path of the VMI spec inside this object's manifest, for messages. */
  public abstract get vmiSpecPath(): string;

  /** Tolerate a taint. */
  public addToleration(toleration: TolerationSpec): void {
    this._template.tolerations.push(toleration);
    this.changed();
  }

  /** Require a node label. */
  public addNodeSelector(key: string, value: string): void {
    this._template.nodeSelector[key] = value;
    this.changed();
  }

  /** Add a label to the VMI (the template's metadata). */
  public addTemplateLabel(key: string, value: string): void {
    this._template.templateLabels[key] = value;
    this.changed();
  }

  /** Add an annotation to the VMI (the template's metadata), for example Kube-OVN's. */
  public addTemplateAnnotation(key: string, value: string): void {
    this._template.templateAnnotations[key] = value;
    this.changed();
  }

  /** Names of the networks, in order. */
  public get networkNames(): string[] {
    return this._template.networks.map((n) => n.name);
  }

  /** Names of the disks, in order. */
  public get diskNames(): string[] {
    return this._template.disks.map((d) => d.name);
  }
}
