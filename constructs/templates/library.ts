/**
 * The template library as constructs: every size of every instancetype series, and the
 * OS preferences, generated from the series and OS definitions (nothing typed per size).
 */
import { Construct } from 'constructs';
import { INSTANCETYPE_SERIES, INSTANCETYPE_SIZES } from '../../api/templates/series';
import { VirtualMachineClusterInstancetype, VirtualMachineInstancetype } from './instancetype';
import type { IInstancetype, IPreference } from '../../api/render/instancetype-ref';
import { OS_PREFERENCES, osPreference } from '../../api/templates/os-preferences';
import { PreferencePreset, VirtualMachineClusterPreference, VirtualMachinePreference } from './preference';

/** Which instancetypes to generate, and where. */
export interface InstancetypeLibraryProps {
  /**
   * Series to generate.
   * @default - all: u1, o1, cx1, m1
   * @example ['u1', 'cx1']
   */
  readonly series?: string[];
  /**
   * Sizes to generate.
   * @default - all nine, nano to 8xlarge
   * @example ['small', 'medium', 'large']
   */
  readonly sizes?: string[];
  /**
   * Generate only the sizes upstream's catalogue publishes for each series
   * (cx1 starts at medium, m1 at large).
   * @default false
   * @example true
   */
  readonly upstreamSizesOnly?: boolean;
  /**
   * Create namespaced VirtualMachineInstancetypes in this namespace instead of cluster-wide ones.
   * @default - cluster-wide VirtualMachineClusterInstancetypes
   * @example 'team-a'
   */
  readonly namespace?: string;
}

/**
 * The u1 / o1 / cx1 / m1 instancetypes, named `<series>.<size>` as upstream names them.
 *
 * @example new InstancetypeLibrary(chart, 'instancetypes', { series: ['u1'] })
 */
export class InstancetypeLibrary extends Construct {
  private readonly byName = new Map<string, IInstancetype>();

  public constructor(scope: Construct, id: string, props: InstancetypeLibraryProps = {}) {
    super(scope, id);
    const wanted = props.series ?? INSTANCETYPE_SERIES.map((s) => s.name);
    for (const name of wanted) {
      const series = INSTANCETYPE_SERIES.find((s) => s.name === name);
      if (!series) {
        throw new Error(
          `${this.node.path}: series "${name}" is not in the library; use some of: ${INSTANCETYPE_SERIES.map((s) => s.name).join(', ')}`,
        );
      }
      const sizes = props.sizes ?? [...INSTANCETYPE_SIZES];
      for (const size of sizes) {
        if (props.upstreamSizesOnly && !series.upstreamSizes.includes(size)) continue;
        const full = `${series.name}.${size}`;
        const created =
          props.namespace !== undefined
            ? VirtualMachineInstancetype.fromLibrary(this, full, full, { namespace: props.namespace })
            : VirtualMachineClusterInstancetype.fromLibrary(this, full, full);
        this.byName.set(full, created);
      }
    }
  }

  /** Names of the generated instancetypes, in catalogue order. */
  public get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The generated instancetype `u1.medium`, to reference from a VM. */
  public get(name: string): IInstancetype {
    const found = this.byName.get(name);
    if (!found) {
      throw new Error(
        `${this.node.path}: instancetype "${name}" was not generated; generated: ${this.names.join(', ')}`,
      );
    }
    return found;
  }
}

/** Which OS preferences to generate, and where. */
export interface PreferenceLibraryProps {
  /**
   * OS preferences to generate.
   * @default - all of the library
   * @example ['fedora', 'windows.11']
   */
  readonly os?: string[];
  /**
   * Create namespaced VirtualMachinePreferences in this namespace instead of cluster-wide ones.
   * @default - cluster-wide VirtualMachineClusterPreferences
   * @example 'team-a'
   */
  readonly namespace?: string;
}

/**
 * The OS preferences of the library, named as upstream names them (`fedora`, `windows.11`...).
 *
 * @example new PreferenceLibrary(chart, 'preferences')
 */
export class PreferenceLibrary extends Construct {
  private readonly byName = new Map<string, IPreference>();

  public constructor(scope: Construct, id: string, props: PreferenceLibraryProps = {}) {
    super(scope, id);
    for (const name of props.os ?? OS_PREFERENCES.map((p) => p.name)) {
      const def = osPreference(name);
      const common = {
        name: def.name,
        annotations: { 'virtkit.io/display-name': def.displayName },
        preset: PreferencePreset.os(def.name),
      };
      const created =
        props.namespace !== undefined
          ? new VirtualMachinePreference(this, def.name, { ...common, namespace: props.namespace })
          : new VirtualMachineClusterPreference(this, def.name, common);
      this.byName.set(def.name, created);
    }
  }

  /** Names of the generated preferences. */
  public get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The generated preference `fedora`, to reference from a VM. */
  public get(name: string): IPreference {
    const found = this.byName.get(name);
    if (!found) {
      throw new Error(
        `${this.node.path}: preference "${name}" was not generated; generated: ${this.names.join(', ')}`,
      );
    }
    return found;
  }
}
