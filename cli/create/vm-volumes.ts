/**
 * The volume flags of `virtkit create vm`, with virtctl's params: --volume-containerdisk,
 * --volume-pvc, --volume-import (a DataVolume template from blank, gcs, http, imageio, pvc,
 * registry, s3, vddk, snapshot or a DataSource), --volume-sysprep, and the deprecated
 * --volume-datasource, --volume-clone-pvc and --volume-blank (spellings of --volume-import).
 * Volumes come in virtctl's fixed order (containerdisk > PVC > DataSource > clone PVC > blank >
 * imported), which is the boot order unless `bootorder:N` says otherwise. Every volume gets a
 * disk of its own name: virtkit's admission, unlike KubeVirt's defaulting, adds none.
 */
import type { DataVolumeSpec } from '../../api/cdi/v1beta1';
import type { DataVolumeTemplateSpec, Disk, Volume } from '../../api/kubevirt/v1';
import { dns1123LabelProblems, dns1123SubdomainProblems } from '../../api/validation/dns-names';
import {
  bootOrderParam,
  checkParamKeys,
  ParamError,
  parseParams,
  positiveQuantity,
  printableOneLine,
  type Problems,
  type RandomSuffix,
  requiredParam,
  splitParams,
  splitPrefixedName,
} from './params';

/** The volumes (each with its disk) and the DataVolume templates of the VM being made. */
export class VolumeSet {
  readonly volumes: Volume[] = [];
  readonly disks: Disk[] = [];
  readonly dataVolumeTemplates: DataVolumeTemplateSpec[] = [];
  private readonly bootOrders = new Map<number, string>();

  find(name: string): Volume | undefined {
    return this.volumes.find((v) => v.name === name);
  }

  /** Adds a volume and its disk; throws ParamError when the name or the boot order is taken. */
  add(volume: Volume, disk: Omit<Disk, 'name'>, bootOrder?: number, template?: DataVolumeSpec): void {
    if (this.find(volume.name))
      throw new ParamError(
        `there is already a volume with name '${volume.name}'; give this one another name with name:...`,
      );
    if (bootOrder !== undefined && this.bootOrders.has(bootOrder))
      throw new ParamError(
        `bootorder ${bootOrder} was specified multiple times (volume '${this.bootOrders.get(bootOrder)}' has it); give each boot volume its own number`,
      );
    if (bootOrder !== undefined) this.bootOrders.set(bootOrder, volume.name);
    this.volumes.push(volume);
    this.disks.push({ name: volume.name, ...disk, ...(bootOrder !== undefined ? { bootOrder } : {}) });
    if (template) this.dataVolumeTemplates.push({ metadata: { name: volume.name }, spec: template });
  }

  /** The volume with the lowest boot order, else the first one: what inference reads by default. */
  firstBootVolume(): string | undefined {
    const orders = [...this.bootOrders.keys()].sort((a, b) => a - b);
    return orders.length ? this.bootOrders.get(orders[0]) : this.volumes[0]?.name;
  }

  /** The DataVolume template behind a dataVolume volume. */
  templateOf(volume: Volume): DataVolumeTemplateSpec | undefined {
    const dv = volume.dataVolume?.name;
    return dv === undefined ? undefined : this.dataVolumeTemplates.find((t) => t.metadata?.name === dv);
  }
}

export interface VolumeFlags {
  readonly volumeContainerdisk?: readonly string[];
  readonly volumePvc?: readonly string[];
  readonly volumeDatasource?: readonly string[];
  readonly volumeClonePvc?: readonly string[];
  readonly volumeBlank?: readonly string[];
  readonly volumeImport?: readonly string[];
  readonly volumeSysprep?: string;
}

function volumeName(name: string): string {
  const found = dns1123LabelProblems(name);
  if (found.length)
    throw new ParamError(
      `volume name ${JSON.stringify(name)} ${found.join('; ')}; give the volume a name with name:...`,
    );
  return name;
}

function objectName(what: string, name: string): string {
  const found = dns1123SubdomainProblems(name);
  if (found.length) throw new ParamError(`${what} name ${JSON.stringify(name)} ${found.join('; ')}`);
  return name;
}

function namespaceName(what: string, ns: string): string {
  const found = dns1123LabelProblems(ns);
  if (found.length)
    throw new ParamError(`namespace ${JSON.stringify(ns)} of the ${what} ${found.join('; ')}`);
  return ns;
}

/** `src:NAME` of an object in the VM's own namespace (a PVC, a Secret, a ConfigMap). */
function localSource(params: Map<string, string>, what: string, example: string): string {
  const ref = splitPrefixedName(requiredParam(params, 'src', example), 'src');
  if (ref.prefix !== undefined)
    throw new ParamError(
      `not allowed to specify namespace of ${what} '${ref.name}': it must be in the VM's namespace; write src:${ref.name}`,
    );
  return objectName(what, ref.name);
}

/** `src:NAMESPACE/NAME` of an object to clone from; the namespace is required unless `optional`. */
function namespacedSource(
  params: Map<string, string>,
  what: string,
  namespaceOptional = false,
): { namespace?: string; name: string } {
  const ref = splitPrefixedName(requiredParam(params, 'src', `my-namespace/my-${what.toLowerCase()}`), 'src');
  if (ref.prefix === undefined && !namespaceOptional)
    throw new ParamError(
      `namespace of ${what} '${ref.name}' must be specified; write src:NAMESPACE/${ref.name}`,
    );
  return {
    ...(ref.prefix !== undefined ? { namespace: namespaceName(what, ref.prefix) } : {}),
    name: objectName(what, ref.name),
  };
}

function printableId(value: string): string {
  if (!printableOneLine(value) || /\s/.test(value))
    throw new ParamError(`diskid ${JSON.stringify(value)} is not a disk ID`);
  return value;
}

function url(
  params: Map<string, string>,
  what: string,
  example: string,
  required = true,
): string | undefined {
  const value = params.get('url');
  if (!value && required)
    throw new ParamError(`URL is required with ${what} volume source; add url:${example}`);
  if (value !== undefined && (!value || /\s/.test(value)))
    throw new ParamError(`url ${JSON.stringify(value)} is not a URL; write it like url:${example}`);
  return value || undefined;
}

/** Optional string params copied as they are (secret and ConfigMap names). */
function copy<K extends string>(
  params: Map<string, string>,
  pairs: Record<K, string>,
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [key, param] of Object.entries(pairs) as [K, string][]) {
    const value = params.get(param);
    if (value !== undefined) out[key] = objectName(param, value);
  }
  return out;
}

interface ImportType {
  /** Params besides type, name, size and bootorder. */
  readonly keys: readonly string[];
  /** pvc, snapshot and ds may leave the size to the source. */
  readonly sizeOptional?: boolean;
  build(params: Map<string, string>): DataVolumeSpec;
}

/** virtctl's --volume-import types. */
const IMPORT_TYPES: Readonly<Record<string, ImportType>> = {
  blank: { keys: [], build: () => ({ source: { blank: {} } }) },
  gcs: {
    keys: ['url', 'secretref'],
    build: (p) => ({
      source: {
        gcs: { url: url(p, 'GCS', 'gs://bucket/disk.img')!, ...copy(p, { secretRef: 'secretref' }) },
      },
    }),
  },
  http: {
    keys: ['url', 'secretref', 'certconfigmap', 'extraheaders', 'secretextraheaders'],
    build: (p) => {
      const list = (key: string) => p.get(key)?.split(';');
      const extraHeaders = list('extraheaders');
      const secretExtraHeaders = list('secretextraheaders');
      if (extraHeaders?.some((h) => !printableOneLine(h)))
        throw new ParamError('extraheaders must be printable "Name: value" headers separated by ;');
      return {
        source: {
          http: {
            url: url(p, 'http', 'https://example.com/disk.qcow2')!,
            ...copy(p, { secretRef: 'secretref', certConfigMap: 'certconfigmap' }),
            ...(extraHeaders ? { extraHeaders } : {}),
            ...(secretExtraHeaders
              ? { secretExtraHeaders: secretExtraHeaders.map((s) => objectName('secretextraheaders', s)) }
              : {}),
          },
        },
      };
    },
  },
  imageio: {
    keys: ['url', 'diskid', 'secretref', 'certconfigmap'],
    build: (p) => {
      if (!p.get('url') || !p.get('diskid'))
        throw new ParamError(
          'URL and diskid are both required with imageIO volume source; add url:https://engine/ovirt-engine/api,diskid:ID',
        );
      return {
        source: {
          imageio: {
            url: url(p, 'imageIO', 'https://engine/ovirt-engine/api')!,
            diskId: printableId(p.get('diskid')!),
            ...copy(p, { secretRef: 'secretref', certConfigMap: 'certconfigmap' }),
          },
        },
      };
    },
  },
  pvc: {
    keys: ['src'],
    sizeOptional: true,
    build: (p) => {
      const src = namespacedSource(p, 'pvc');
      return { source: { pvc: { namespace: src.namespace!, name: src.name } } };
    },
  },
  registry: {
    keys: ['url', 'imagestream', 'pullmethod', 'secretref', 'certconfigmap'],
    build: (p) => {
      const pullMethod = p.get('pullmethod');
      if (pullMethod !== undefined && pullMethod !== 'pod' && pullMethod !== 'node')
        throw new ParamError('pullmethod must be set to pod or node');
      const imageStream = p.get('imagestream');
      const image = url(p, 'registry', 'docker://quay.io/containerdisks/fedora:latest', false);
      if (!image === !imageStream)
        throw new ParamError(
          'exactly one of url or imagestream must be defined; for example url:docker://quay.io/containerdisks/fedora:latest',
        );
      return {
        source: {
          registry: {
            ...(image ? { url: image } : {}),
            ...(imageStream ? { imageStream: objectName('imagestream', imageStream) } : {}),
            ...(pullMethod ? { pullMethod: pullMethod as 'pod' | 'node' } : {}),
            ...copy(p, { secretRef: 'secretref', certConfigMap: 'certconfigmap' }),
          },
        },
      };
    },
  },
  s3: {
    keys: ['url', 'secretref', 'certconfigmap'],
    build: (p) => ({
      source: {
        s3: {
          url: url(p, 'S3', 'https://s3.example.com/bucket/disk.img')!,
          ...copy(p, { secretRef: 'secretref', certConfigMap: 'certconfigmap' }),
        },
      },
    }),
  },
  vddk: {
    keys: ['url', 'uuid', 'thumbprint', 'secretref', 'backingfile', 'initimageurl'],
    build: (p) => {
      const need = (key: string, what: string, example: string): string => {
        const value = p.get(key);
        if (!value)
          throw new ParamError(`${what} is required with VDDK volume source; add ${key}:${example}`);
        if (!printableOneLine(value)) throw new ParamError(`${key} must be printable text on one line`);
        return value;
      };
      const initImageURL = p.get('initimageurl');
      return {
        source: {
          vddk: {
            url: url(p, 'VDDK', 'https://vcenter.example.com')!,
            uuid: need('uuid', 'UUID', '52260566-b032-36cb-55b1-79bf29e30490'),
            thumbprint: need(
              'thumbprint',
              'ThumbPrint',
              '20:6C:8A:5D:44:40:B3:79:4B:28:EA:76:13:60:90:6E:49:D9:D9:A3',
            ),
            secretRef: objectName('secretref', need('secretref', 'SecretRef', 'vddk-credentials')),
            backingFile: need('backingfile', 'BackingFile', '[datastore1] vm/vm.vmdk'),
            ...(initImageURL ? { initImageURL } : {}),
          },
        },
      };
    },
  },
  snapshot: {
    keys: ['src'],
    sizeOptional: true,
    build: (p) => {
      const src = namespacedSource(p, 'snapshot');
      return { source: { snapshot: { namespace: src.namespace!, name: src.name } } };
    },
  },
  ds: {
    keys: ['src'],
    sizeOptional: true,
    build: (p) => {
      const src = namespacedSource(p, 'DataSource', true);
      return {
        sourceRef: {
          kind: 'DataSource',
          name: src.name,
          ...(src.namespace ? { namespace: src.namespace } : {}),
        },
      };
    },
  },
};

export const IMPORT_TYPE_NAMES = Object.keys(IMPORT_TYPES);

/** The params each --volume-import type takes besides name, size and bootorder, for the help. */
export function importTypesHelp(): string {
  return IMPORT_TYPE_NAMES.map((t) =>
    IMPORT_TYPES[t].keys.length ? `${t}(${IMPORT_TYPES[t].keys.join(',')})` : t,
  ).join(', ');
}

/** One --volume-import value: a DataVolume template and its volume. */
function addImport(set: VolumeSet, text: string, random: RandomSuffix): void {
  const params = splitParams(text, ['type', 'name', 'size', 'bootorder']);
  const type = params.get('type');
  if (type === undefined)
    throw new ParamError(
      `type must be specified; add type:T where T is one of ${IMPORT_TYPE_NAMES.join(', ')}`,
    );
  const spec = Object.hasOwn(IMPORT_TYPES, type) ? IMPORT_TYPES[type] : undefined;
  if (!spec)
    throw new ParamError(`unknown source type used - ${type}; use one of ${IMPORT_TYPE_NAMES.join(', ')}`);
  checkParamKeys(params, ['type', 'name', 'size', 'bootorder', ...spec.keys]);
  const template = spec.build(params);
  const size = params.get('size');
  if (size === undefined && !spec.sizeOptional)
    throw new ParamError(`size must be specified for a ${type} volume; add size:10Gi`);
  template.storage =
    size === undefined ? {} : { resources: { requests: { storage: positiveQuantity(size, 'size') } } };
  const name = volumeName(params.get('name') ?? `imported-volume-${random(5)}`);
  set.add({ name, dataVolume: { name } }, {}, bootOrderParam(params), template);
}

/** Adds every volume the flags ask for, in virtctl's order; bad values go to `problems`. */
export function addVolumes(
  set: VolumeSet,
  flags: VolumeFlags,
  vmName: string,
  problems: Problems,
  warnings: string[],
  random: RandomSuffix,
): void {
  const each = (
    flag: string,
    values: readonly string[] | undefined,
    add: (text: string, i: number) => void,
  ) =>
    values?.forEach((text, i) => {
      try {
        add(text, i);
      } catch (err) {
        if (!(err instanceof ParamError)) throw err;
        problems.add(flag, text, err.message);
      }
    });

  each('volume-containerdisk', flags.volumeContainerdisk, (text, i) => {
    const params = parseParams(text, ['name', 'src', 'bootorder']);
    const image = requiredParam(params, 'src', 'quay.io/containerdisks/fedora:latest');
    if (!printableOneLine(image) || /\s/.test(image))
      throw new ParamError(
        `src ${JSON.stringify(image)} is not an image reference; write it like src:quay.io/containerdisks/fedora:latest`,
      );
    const name = volumeName(params.get('name') ?? `${vmName}-containerdisk-${i}`);
    set.add({ name, containerDisk: { image } }, {}, bootOrderParam(params));
  });
  each('volume-pvc', flags.volumePvc, (text) => {
    const params = parseParams(text, ['name', 'src', 'bootorder']);
    const claimName = localSource(params, 'pvc', 'my-pvc');
    const name = volumeName(params.get('name') ?? claimName);
    set.add({ name, persistentVolumeClaim: { claimName } }, {}, bootOrderParam(params));
  });
  const deprecated: [string, readonly string[] | undefined, string][] = [
    ['volume-datasource', flags.volumeDatasource, 'ds'],
    ['volume-clone-pvc', flags.volumeClonePvc, 'pvc'],
    ['volume-blank', flags.volumeBlank, 'blank'],
  ];
  for (const [flag, values, type] of deprecated) {
    if (!values?.length) continue;
    warnings.push(
      `Flag --${flag} has been deprecated, use flag --volume-import with type:${type} and the same params instead`,
    );
    each(flag, values, (text) => {
      if (text === '') throw new ParamError('params may not be empty');
      if (splitParams(text, ['name', 'src', 'size', 'bootorder']).has('type'))
        throw new ParamError(`unknown param(s) type; --${flag} is --volume-import type:${type}`);
      addImport(set, `type:${type},${text}`, random);
    });
  }
  each('volume-import', flags.volumeImport, (text) => addImport(set, text, random));
  if (flags.volumeSysprep !== undefined)
    each('volume-sysprep', [flags.volumeSysprep], (text) => {
      const params = parseParams(text, ['src', 'type']);
      const source = localSource(params, 'ConfigMap or Secret', 'my-answers');
      const type = params.get('type') ?? 'configMap';
      if (type !== 'configMap' && type !== 'secret')
        throw new ParamError(`invalid source type "${type}", supported values are: configMap, secret`);
      // Windows reads its answer file from a CD-ROM, as KubeVirt's sysprep examples attach it.
      set.add({ name: 'sysprepdisk', sysprep: { [type]: { name: source } } }, { cdrom: { bus: 'sata' } });
    });
}
