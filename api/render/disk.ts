/**
 * Disks: a typed volume source (Disk, with static factories) and how the guest sees it
 * (DiskProps: device type, bus, boot order, read-only).
 */
import type { Volume, DataVolumeTemplateSpec } from '../kubevirt/v1';
import { compact } from './compact';
import type { DataVolumeTemplate } from './data-volume-template';

/** Bus a disk sits on in the guest. */
export enum DiskBus {
  VIRTIO = 'virtio',
  SATA = 'sata',
  SCSI = 'scsi',
  USB = 'usb',
}

/** How the guest sees a volume. */
export enum DiskDevice {
  /** A plain disk (the default). */
  DISK = 'disk',
  /** A CD-ROM drive (read-only by default). */
  CDROM = 'cdrom',
  /** A SCSI LUN with SCSI command passthrough. */
  LUN = 'lun',
}

/** Whether a host disk image must exist. */
export enum HostDiskType {
  /** The image must exist on the node. */
  DISK = 'Disk',
  /** A sparse image is created when missing (needs a capacity). */
  DISK_OR_CREATE = 'DiskOrCreate',
}

/** Image pull policy of a container disk. */
export enum ImagePullPolicy {
  ALWAYS = 'Always',
  IF_NOT_PRESENT = 'IfNotPresent',
  NEVER = 'Never',
}

/** Options of a container disk. */
export interface ContainerDiskOptions {
  /**
   * When to pull the image.
   * @default - Always for :latest, IfNotPresent otherwise
   * @example ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /**
   * Registry secret used to pull the image.
   * @default - anonymous pull
   * @example 'quay-pull'
   */
  readonly imagePullSecret?: string;
  /**
   * Path of the disk file in the image.
   * @default - the single file under /disk
   * @example '/disk/fedora.qcow2'
   */
  readonly path?: string;
}

/** Options of a claim-backed disk. */
export interface ClaimOptions {
  /**
   * Mount the claim read-only.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Whether the volume may be hot-plugged and unplugged.
   * @default false
   */
  readonly hotpluggable?: boolean;
}

/** Cloud-init data: each of user data and network data inline, base64 or from a Secret. */
export interface CloudInitOptions {
  /**
   * User data, inline (a `#cloud-config` document or a script).
   * @default - no inline user data
   * @example '#cloud-config\npassword: fedora\nchpasswd: { expire: False }'
   */
  readonly userData?: string;
  /**
   * User data, base64-encoded.
   * @default - no base64 user data
   */
  readonly userDataBase64?: string;
  /**
   * Secret whose `userdata` (or `userData`) key holds the user data.
   * @default - no Secret
   * @example 'db-cloud-init'
   */
  readonly userDataSecret?: string;
  /**
   * Network configuration, inline.
   * @default - no network data (the guest uses DHCP)
   * @example 'version: 2\nethernets:\n  eth1: { dhcp4: true }'
   */
  readonly networkData?: string;
  /**
   * Network configuration, base64-encoded.
   * @default - none
   */
  readonly networkDataBase64?: string;
  /**
   * Secret whose `networkdata` (or `networkData`) key holds the network configuration.
   * @default - none
   * @example 'db-network-data'
   */
  readonly networkDataSecret?: string;
}

/** Options of a DataVolume disk. */
export interface DataVolumeDiskOptions {
  /**
   * Whether the volume may be hot-plugged and unplugged.
   * @default false
   */
  readonly hotpluggable?: boolean;
}

/** Options of ConfigMap and Secret disks. */
export interface ObjectDiskOptions {
  /**
   * Start even when the object or its keys are missing.
   * @default false
   */
  readonly optional?: boolean;
  /**
   * Filesystem label the guest sees.
   * @default - none
   * @example 'cfgdata'
   */
  readonly volumeLabel?: string;
}

type VolumeSource = Omit<Volume, 'name'>;

/** What a rendered disk contributes to the owner's manifest (api/ types: not part of the jsii API). */
interface RenderedDiskSource {
  readonly volume: Volume;
  readonly dataVolumeTemplate?: DataVolumeTemplateSpec;
}

/** A typed volume source. Build one with the static factories. */
export class Disk {
  /**
   * A disk image inside a container image (ephemeral: writes are lost at restart).
   * @example Disk.containerDisk('quay.io/containerdisks/fedora:40')
   */
  public static containerDisk(image: string, options: ContainerDiskOptions = {}): Disk {
    return new Disk('containerDisk', () => ({ containerDisk: compact({ image, ...options }) }));
  }

  /**
   * An existing PersistentVolumeClaim.
   * @example Disk.persistentVolumeClaim('db-data')
   */
  public static persistentVolumeClaim(claimName: string, options: ClaimOptions = {}): Disk {
    return new Disk('persistentVolumeClaim', () => ({
      persistentVolumeClaim: compact({ claimName, ...options }),
    }));
  }

  /**
   * A DataVolume the VM owns (rendered into spec.dataVolumeTemplates); VMs and pools only.
   * @example Disk.dataVolume(DataVolumeTemplate.blank({ size: '50Gi' }))
   */
  public static dataVolume(template: DataVolumeTemplate, options: DataVolumeDiskOptions = {}): Disk {
    return new Disk(
      'dataVolume',
      (name) => ({ dataVolume: compact({ name, hotpluggable: options.hotpluggable }) }),
      template,
    );
  }

  /**
   * A DataVolume that exists outside this VM (for example a DataVolume construct's name).
   * @example Disk.existingDataVolume('golden-debian')
   */
  public static existingDataVolume(name: string, options: DataVolumeDiskOptions = {}): Disk {
    return new Disk('dataVolume', () => ({
      dataVolume: compact({ name, hotpluggable: options.hotpluggable }),
    }));
  }

  /**
   * A blank disk that lives and dies with the VMI.
   * @example Disk.emptyDisk('2Gi')
   */
  public static emptyDisk(capacity: string): Disk {
    return new Disk('emptyDisk', () => ({ emptyDisk: { capacity } }));
  }

  /**
   * A copy-on-write layer over a claim; writes are dropped when the VMI stops.
   * @example Disk.ephemeral('golden-image')
   */
  public static ephemeral(claimName: string): Disk {
    return new Disk('ephemeral', () => ({ ephemeral: { persistentVolumeClaim: { claimName } } }));
  }

  /**
   * A disk image file on the node.
   * @param capacity size of the image DiskOrCreate creates
   * @example Disk.hostDisk('/var/lib/images/scratch.img', HostDiskType.DISK_OR_CREATE, '1Gi')
   */
  public static hostDisk(path: string, type: HostDiskType, capacity?: string): Disk {
    return new Disk('hostDisk', () => ({ hostDisk: compact({ path, type, capacity }) }));
  }

  /**
   * Cloud-init NoCloud data.
   * @example Disk.cloudInitNoCloud({ userDataSecret: 'db-cloud-init' })
   */
  public static cloudInitNoCloud(options: CloudInitOptions): Disk {
    return new Disk('cloudInitNoCloud', () => ({ cloudInitNoCloud: renderCloudInit(options) }));
  }

  /**
   * Cloud-init data on an OpenStack config drive.
   * @example Disk.cloudInitConfigDrive({ userData: '#cloud-config\n...' })
   */
  public static cloudInitConfigDrive(options: CloudInitOptions): Disk {
    return new Disk('cloudInitConfigDrive', () => ({ cloudInitConfigDrive: renderCloudInit(options) }));
  }

  /**
   * A ConfigMap as a disk.
   * @example Disk.configMap('app-config', { volumeLabel: 'cfgdata' })
   */
  public static configMap(name: string, options: ObjectDiskOptions = {}): Disk {
    return new Disk('configMap', () => ({ configMap: compact({ name, ...options }) }));
  }

  /**
   * A Secret as a disk.
   * @example Disk.secret('app-tls')
   */
  public static secret(secretName: string, options: ObjectDiskOptions = {}): Disk {
    return new Disk('secret', () => ({ secret: compact({ secretName, ...options }) }));
  }

  /**
   * The token and CA of a service account as a disk (at most one per VMI).
   * @example Disk.serviceAccount('backup-agent')
   */
  public static serviceAccount(serviceAccountName: string): Disk {
    return new Disk('serviceAccount', () => ({ serviceAccount: { serviceAccountName } }));
  }

  private constructor(
    /** The volume source field this disk renders, for example containerDisk. */
    public readonly sourceType: string,
    private readonly source: (dataVolumeName: string) => VolumeSource,
    /** The DataVolume template this disk owns, if any. */
    public readonly dataVolumeTemplate?: DataVolumeTemplate,
  ) {}

  /** Whether the source needs a VM or pool to own a DataVolume template. */
  public get needsDataVolumeTemplate(): boolean {
    return this.dataVolumeTemplate !== undefined;
  }

  /**
   * The volume named `volumeName` and, for owned DataVolumes, its template.
   * @internal
   */
  public _render(volumeName: string, ownerName: string): RenderedDiskSource {
    const template = this.dataVolumeTemplate;
    if (!template) return { volume: { name: volumeName, ...this.source('') } };
    const dvName = template.explicitName ?? `${ownerName}-${volumeName}`;
    return {
      volume: { name: volumeName, ...this.source(dvName) },
      dataVolumeTemplate: template._render(dvName),
    };
  }
}

function renderCloudInit(o: CloudInitOptions): Volume['cloudInitNoCloud'] {
  return compact({
    userData: o.userData,
    userDataBase64: o.userDataBase64,
    secretRef: o.userDataSecret !== undefined ? { name: o.userDataSecret } : undefined,
    networkData: o.networkData,
    networkDataBase64: o.networkDataBase64,
    networkDataSecretRef: o.networkDataSecret !== undefined ? { name: o.networkDataSecret } : undefined,
  });
}

/** A disk of the guest: a source plus how the guest sees it. */
export interface DiskProps {
  /**
   * Name of the disk and its volume, a DNS label unique in the VM.
   * @example 'rootdisk'
   */
  readonly name: string;
  /**
   * Where the data comes from.
   * @example Disk.containerDisk('quay.io/containerdisks/fedora:40')
   */
  readonly source: Disk;
  /**
   * Device type.
   * @default DiskDevice.DISK
   */
  readonly device?: DiskDevice;
  /**
   * Bus in the guest.
   * @default - virtio (KubeVirt's default; not written)
   * @example DiskBus.SATA
   */
  readonly bus?: DiskBus;
  /**
   * Boot priority, 1 or more; lower boots first.
   * @default - boot order left to the firmware
   * @example 1
   */
  readonly bootOrder?: number;
  /**
   * Attach read-only.
   * @default - false for disks and LUNs, true for CD-ROMs
   */
  readonly readOnly?: boolean;
  /**
   * Serial number the guest reads.
   * @default - none
   * @example 'DB-DATA-01'
   */
  readonly serial?: string;
  /**
   * Host cache mode: none, writethrough or writeback.
   * @default - none when the storage supports direct IO
   * @example 'writeback'
   */
  readonly cache?: string;
}
