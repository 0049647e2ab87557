/**
 * The parameterised VM template pattern: a construct that turns a few typed parameters
 * (size, OS, image, replicas) into a VirtualMachine or, with replicas, a VirtualMachinePool
 * sized by a library instancetype and tuned by a library preference. Teams subclass it,
 * add their own parameters and defaults, and publish the subclass as an npm package.
 */
import { Construct } from 'constructs';
import { Disk } from '../../api/render/disk';
import { InstancetypeRef, PreferenceRef } from '../../api/render/instancetype-ref';
import { RunStrategy } from '../../api/render/vm-props';
import { VirtualMachine } from '../vm/virtual-machine';
import { VirtualMachinePool } from '../vm/virtual-machine-pool';
import type { VmiTemplateOwner } from '../vm/vmi-owner';
import { osPreference } from '../../api/templates/os-preferences';
import { parseInstancetypeName } from '../../api/templates/series';

/** Parameters every VM template accepts. */
export interface VmTemplateProps {
  /**
   * Container disk image with the root filesystem.
   * @example 'quay.io/containerdisks/fedora:40'
   */
  readonly image: string;
  /**
   * Library instancetype that sizes the VM, `<series>.<size>`.
   * @default 'u1.small'
   * @example 'u1.medium'
   */
  readonly size?: string;
  /**
   * Library OS preference.
   * @default 'fedora'
   * @example 'ubuntu'
   */
  readonly os?: string;
  /**
   * Number of identical VMs; when set, a VirtualMachinePool is created instead of one VM.
   * @default - a single VirtualMachine
   * @example 3
   */
  readonly replicas?: number;
  /**
   * Name of the VM (or pool).
   * @default - derived from the construct path
   * @example 'web'
   */
  readonly name?: string;
  /**
   * Namespace.
   * @default - the chart's namespace
   * @example 'web'
   */
  readonly namespace?: string;
  /**
   * Labels of the VM (or pool) and of its VMIs.
   * @default - only `app: <name>`
   * @example { team: 'storefront' }
   */
  readonly labels?: { [key: string]: string };
  /**
   * Cloud-init user-data, inline.
   * @default - no cloud-init disk unless userDataSecret is set
   * @example '#cloud-config\npackages: [nginx]'
   */
  readonly userData?: string;
  /**
   * Secret holding the cloud-init user-data (key `userdata`), for data that must not be in Git.
   * @default - none
   * @example 'web-cloud-init'
   */
  readonly userDataSecret?: string;
  /**
   * When the VM runs.
   * @default RunStrategy.ALWAYS
   * @example RunStrategy.HALTED
   */
  readonly runStrategy?: RunStrategy;
  /**
   * Connect the VM to the pod network (masquerade).
   * @default true
   * @example false
   */
  readonly podNetwork?: boolean;
}

/** Library references the template resolved. */
export interface ResolvedTemplate {
  /** Instancetype name, for example `u1.medium`. */
  readonly size: string;
  /** Preference name, for example `fedora`. */
  readonly os: string;
}

/**
 * A VM (or pool of VMs) built from a few parameters.
 *
 * @example
 * // In a team's package:
 * export class WebServerTemplate extends VmTemplate {
 *   constructor(scope: Construct, id: string, props: WebServerProps) {
 *     super(scope, id, { os: 'fedora', size: 'u1.medium', ...props });
 *     this.workload.addTemplateLabel('tier', 'web');
 *   }
 * }
 * // In an app:
 * new WebServerTemplate(chart, 'web', { image: 'quay.io/containerdisks/fedora:40', replicas: 3 });
 */
export class VmTemplate extends Construct {
  /** The created VM or pool; subclasses customise it further (disks, networks, labels). */
  public readonly workload: VmiTemplateOwner;
  /** The created VirtualMachine, when replicas was not set. */
  public readonly virtualMachine?: VirtualMachine;
  /** The created VirtualMachinePool, when replicas was set. */
  public readonly pool?: VirtualMachinePool;
  /** The library instancetype and preference in use. */
  public readonly resolved: ResolvedTemplate;

  public constructor(scope: Construct, id: string, props: VmTemplateProps) {
    super(scope, id);
    const size = props.size ?? 'u1.small';
    const os = props.os ?? 'fedora';
    try {
      parseInstancetypeName(size);
      osPreference(os);
    } catch (e) {
      throw new Error(`${this.node.path}: ${(e as Error).message}`);
    }
    this.resolved = { size, os };
    const common = {
      name: props.name,
      namespace: props.namespace,
      labels: props.labels,
      runStrategy: props.runStrategy,
      instancetype: InstancetypeRef.cluster(size),
      preference: PreferenceRef.cluster(os),
      disks: [{ name: 'rootdisk', source: Disk.containerDisk(props.image), bootOrder: 1 }],
    };
    if (props.replicas !== undefined) {
      this.pool = new VirtualMachinePool(this, 'Pool', { ...common, replicas: props.replicas });
      this.workload = this.pool;
    } else {
      this.virtualMachine = new VirtualMachine(this, 'VirtualMachine', common);
      this.workload = this.virtualMachine;
    }
    this.workload.addTemplateLabel('app', this.workload.name);
    for (const [key, value] of Object.entries(props.labels ?? {})) this.workload.addTemplateLabel(key, value);
    if (props.userData !== undefined || props.userDataSecret !== undefined) {
      this.workload.addDisk({
        name: 'cloudinitdisk',
        source: Disk.cloudInitNoCloud({ userData: props.userData, userDataSecret: props.userDataSecret }),
      });
    }
    if (props.podNetwork ?? true) this.workload.addPodNetwork();
  }
}
