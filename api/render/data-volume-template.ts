/**
 * DataVolume templates: storage a VirtualMachine (or each member of a pool) owns, filled
 * by CDI from an http(s) URL, a container registry, a clone of a PVC, a DataSource, or left blank.
 */
import type { DataVolumeSpec } from '../cdi/v1beta1';
import type { DataVolumeTemplateSpec } from '../kubevirt/v1';
import { compact } from './compact';

/** Storage settings of a DataVolume template. */
export interface DataVolumeStorageOptions {
  /**
   * Size of the volume to provision.
   * @example '20Gi'
   */
  readonly size: string;
  /**
   * Name of the DataVolume (and of its PVC).
   * @default - `<owner name>-<disk name>`
   * @example 'db-data'
   */
  readonly name?: string;
  /**
   * StorageClass that provisions the volume.
   * @default - the cluster default StorageClass
   * @example 'fast-ssd'
   */
  readonly storageClassName?: string;
  /**
   * Access modes of the claim.
   * @default - taken by CDI from the StorageProfile
   * @example ['ReadWriteMany']
   */
  readonly accessModes?: string[];
  /**
   * Filesystem or Block.
   * @default - taken by CDI from the StorageProfile
   * @example 'Block'
   */
  readonly volumeMode?: string;
}

/** Options of a DataSource-populated disk. */
export interface DataSourceTemplateOptions extends DataVolumeStorageOptions {
  /**
   * Namespace of the DataSource.
   * @default - the VM's own namespace
   * @example 'kubevirt-os-images'
   */
  readonly sourceNamespace?: string;
}

/** Options of an http(s) import. */
export interface HttpImportOptions extends DataVolumeStorageOptions {
  /**
   * Secret with accessKeyId and secretKey for basic authentication.
   * @default - no authentication
   * @example 'mirror-credentials'
   */
  readonly secretRef?: string;
  /**
   * ConfigMap with the CA bundle that signs the server certificate.
   * @default - the system trust store
   * @example 'mirror-ca'
   */
  readonly certConfigMap?: string;
}

/** Options of a registry import. */
export interface RegistryImportOptions extends DataVolumeStorageOptions {
  /**
   * Secret with registry credentials.
   * @default - anonymous pull
   * @example 'quay-pull'
   */
  readonly secretRef?: string;
  /**
   * `pod` (importer pod pulls) or `node` (the node's container runtime pulls).
   * @default - pod
   * @example 'node'
   */
  readonly pullMethod?: string;
}

/** Where a DataVolume template's data comes from, and how much storage it gets. */
export class DataVolumeTemplate {
  /**
   * Import a disk image from an http(s) URL.
   * @example DataVolumeTemplate.http('https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2', { size: '10Gi' })
   */
  public static http(url: string, options: HttpImportOptions): DataVolumeTemplate {
    return new DataVolumeTemplate(
      { http: { url, secretRef: options.secretRef, certConfigMap: options.certConfigMap } },
      options,
    );
  }

  /**
   * Import a disk image shipped in a container image (`docker://` is added when no scheme is given).
   * @example DataVolumeTemplate.registry('quay.io/containerdisks/fedora:40', { size: '10Gi' })
   */
  public static registry(image: string, options: RegistryImportOptions): DataVolumeTemplate {
    const url = /^[a-z-]+:\/\//.test(image) ? image : `docker://${image}`;
    return new DataVolumeTemplate(
      {
        registry: {
          url,
          secretRef: options.secretRef,
          pullMethod: options.pullMethod as 'pod' | 'node' | undefined,
        },
      },
      options,
    );
  }

  /**
   * Clone an existing PersistentVolumeClaim.
   * @example DataVolumeTemplate.pvcClone('golden-images', 'debian-12', { size: '20Gi' })
   */
  public static pvcClone(
    sourceNamespace: string,
    sourceName: string,
    options: DataVolumeStorageOptions,
  ): DataVolumeTemplate {
    return new DataVolumeTemplate({ pvc: { namespace: sourceNamespace, name: sourceName } }, options);
  }

  /**
   * An empty disk.
   * @example DataVolumeTemplate.blank({ size: '100Gi' })
   */
  public static blank(options: DataVolumeStorageOptions): DataVolumeTemplate {
    return new DataVolumeTemplate({ blank: {} }, options);
  }

  /**
   * Populate from a CDI DataSource (a boot source image kept up to date by the cluster).
   * @param dataSourceName the DataSource's name
   * @example DataVolumeTemplate.dataSource('fedora', { sourceNamespace: 'kubevirt-os-images', size: '30Gi' })
   */
  public static dataSource(dataSourceName: string, options: DataSourceTemplateOptions): DataVolumeTemplate {
    const { sourceNamespace, ...storage } = options;
    return new DataVolumeTemplate(undefined, storage, {
      kind: 'DataSource',
      name: dataSourceName,
      ...(sourceNamespace ? { namespace: sourceNamespace } : {}),
    });
  }

  private constructor(
    private readonly source: DataVolumeSpec['source'] | undefined,
    private readonly options: DataVolumeStorageOptions,
    private readonly sourceRef?: DataVolumeSpec['sourceRef'],
  ) {}

  /** Explicit DataVolume name, if one was given. */
  public get explicitName(): string | undefined {
    return this.options.name;
  }

  /**
   * The dataVolumeTemplates entry, named `name`.
   * @internal
   */
  public _render(name: string): DataVolumeTemplateSpec {
    const o = this.options;
    const spec: DataVolumeSpec = {
      ...(this.source ? { source: compact(this.source) } : {}),
      ...(this.sourceRef ? { sourceRef: this.sourceRef } : {}),
      storage: compact({
        accessModes: o.accessModes ? [...o.accessModes] : undefined,
        storageClassName: o.storageClassName,
        volumeMode: o.volumeMode,
        resources: { requests: { storage: o.size } },
      }),
    };
    return { metadata: { name }, spec };
  }
}
