/**
 * VirtualMachineInstancetype and VirtualMachineClusterInstancetype: a named size (vCPUs,
 * memory and resource-related hardware) that VMs reference instead of sizing themselves.
 */
import type { Construct } from 'constructs';
import { instancetypeV1beta1 } from '../../api';
import type { KindReference } from '../core/kubevirt-object';
import { KubeVirtObject, type ObjectMetaProps } from '../core';
import type { IInstancetype } from '../../api/render/instancetype-ref';
import { renderInstancetypeSpec, type InstancetypeSettings } from '../../api/templates/instancetype-spec';
import {
  instancetypeLabelsFor,
  instancetypeSettingsFor,
  parseInstancetypeName,
} from '../../api/templates/series';

/** Props of an instancetype: its metadata and its settings. */
export interface InstancetypeProps extends ObjectMetaProps, InstancetypeSettings {}

/** Metadata for an instancetype taken from the library (its name defaults to the library name). */
export type LibraryInstancetypeProps = ObjectMetaProps;

/** Shared body of the two instancetype kinds. */
abstract class InstancetypeBase extends KubeVirtObject implements IInstancetype {
  /** The settings this instancetype renders. */
  public readonly settings: InstancetypeSettings;

  protected constructor(scope: Construct, id: string, kind: KindReference, props: InstancetypeProps) {
    super(scope, id, kind, props);
    this.settings = withoutMeta(props);
  }

  /** `VirtualMachineInstancetype` or `VirtualMachineClusterInstancetype` (what a VM's InstancetypeRef needs). */
  public get kind(): string {
    return this._kindDefinition.kind;
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: renderInstancetypeSpec(this.settings) };
  }
}

/** The non-metadata part of props. */
function withoutMeta(props: InstancetypeProps): InstancetypeSettings {
  const copy: Record<string, unknown> = { ...props };
  for (const key of ['name', 'namespace', 'labels', 'annotations']) delete copy[key];
  return copy as unknown as InstancetypeSettings;
}

function libraryProps(libraryName: string, meta: LibraryInstancetypeProps): InstancetypeProps {
  const { series, size } = parseInstancetypeName(libraryName);
  return {
    ...instancetypeSettingsFor(series, size),
    ...meta,
    name: meta.name ?? libraryName,
    labels: { ...instancetypeLabelsFor(series, size), ...meta.labels },
  };
}

/**
 * A namespaced instancetype.
 *
 * @example new VirtualMachineInstancetype(chart, 'small', { cpus: 1, memory: '2Gi' })
 */
export class VirtualMachineInstancetype extends InstancetypeBase {
  /**
   * A copy of a library size in this namespace.
   * @example VirtualMachineInstancetype.fromLibrary(chart, 'web', 'u1.medium')
   */
  public static fromLibrary(
    scope: Construct,
    id: string,
    libraryName: string,
    meta: LibraryInstancetypeProps = {},
  ): VirtualMachineInstancetype {
    return new VirtualMachineInstancetype(scope, id, libraryProps(libraryName, meta));
  }

  public constructor(scope: Construct, id: string, props: InstancetypeProps) {
    super(scope, id, instancetypeV1beta1.VirtualMachineInstancetypeKind, props);
  }
}

/**
 * A cluster-wide instancetype.
 *
 * @example new VirtualMachineClusterInstancetype(chart, 'big', { name: 'big', cpus: 16, memory: '64Gi' })
 */
export class VirtualMachineClusterInstancetype extends InstancetypeBase {
  /**
   * A library size as a cluster-wide instancetype named like upstream (`u1.medium`).
   * @example VirtualMachineClusterInstancetype.fromLibrary(chart, 'u1-medium', 'u1.medium')
   */
  public static fromLibrary(
    scope: Construct,
    id: string,
    libraryName: string,
    meta: LibraryInstancetypeProps = {},
  ): VirtualMachineClusterInstancetype {
    return new VirtualMachineClusterInstancetype(scope, id, libraryProps(libraryName, meta));
  }

  public constructor(scope: Construct, id: string, props: InstancetypeProps) {
    super(scope, id, instancetypeV1beta1.VirtualMachineClusterInstancetypeKind, props);
  }
}
