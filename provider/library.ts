/**
 * `virtkit:index:InstancetypeLibrary` and `virtkit:index:PreferenceLibrary`: the template
 * library's instancetype sizes (u1 / o1 / cx1 / m1) and OS preferences as Pulumi components,
 * generated from the same data (api/templates) the cdk8s InstancetypeLibrary and
 * PreferenceLibrary constructs generate from, so both front ends create the same objects under
 * upstream's names (`u1.medium`, `fedora`...). Each object is an Instancetype or Preference
 * component, a child of the library; VMs reference them by name (`InstancetypeRef.cluster(...)`).
 */
import type * as pulumi from '@pulumi/pulumi';
import {
  INSTANCETYPE_SERIES,
  INSTANCETYPE_SIZES,
  OS_PREFERENCES,
  instancetypeLabelsFor,
  instancetypeSpecFor,
  osPreference,
  type Issue,
} from '../api';
import { VirtkitComponent } from './core/component';
import { Instancetype } from './instancetype';
import { Preference } from './preference';

/** Which instancetypes to create, and where. */
export interface InstancetypeLibraryArgs {
  /** Series to create. Default: all of u1, o1, cx1, m1. */
  readonly series?: readonly string[];
  /** Sizes to create. Default: all nine, nano to 8xlarge. */
  readonly sizes?: readonly string[];
  /** Only the sizes upstream's catalogue publishes for each series (cx1 from medium, m1 from large). Default false. */
  readonly upstreamSizesOnly?: boolean;
  /** Create namespaced VirtualMachineInstancetypes here instead of cluster-wide ones. Default: cluster-wide. */
  readonly namespace?: string;
}

/** The library's instancetypes, each an Instancetype component named `<library>-<series>.<size>`. */
export class InstancetypeLibrary extends VirtkitComponent {
  /** The object names created, in catalogue order (`u1.small`, `u1.medium`...). */
  readonly names: string[];
  private readonly byName = new Map<string, Instancetype>();

  constructor(name: string, args: InstancetypeLibraryArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('InstancetypeLibrary', name, opts);
    const issues: Issue[] = [];
    const known = INSTANCETYPE_SERIES.map((s) => s.name);
    (args.series ?? []).forEach((s, i) => {
      if (!known.includes(s))
        issues.push(issue(`series[${i}]`, `"${s}" is not in the library; use some of: ${known.join(', ')}`));
    });
    (args.sizes ?? []).forEach((s, i) => {
      if (!(INSTANCETYPE_SIZES as readonly string[]).includes(s))
        issues.push(
          issue(`sizes[${i}]`, `"${s}" is not a size; use some of: ${INSTANCETYPE_SIZES.join(', ')}`),
        );
    });
    if (issues.length) throw this.invalidInput(issues);
    for (const seriesName of args.series ?? known) {
      const series = INSTANCETYPE_SERIES.find((s) => s.name === seriesName)!;
      for (const size of args.sizes ?? INSTANCETYPE_SIZES) {
        if (args.upstreamSizesOnly && !series.upstreamSizes.includes(size)) continue;
        const full = `${series.name}.${size}`;
        const child = new Instancetype(
          this.childName(full),
          {
            name: full,
            ...(args.namespace !== undefined ? { namespace: args.namespace } : { cluster: true }),
            labels: instancetypeLabelsFor(series, size),
            spec: instancetypeSpecFor(series, size),
          },
          { parent: this },
        );
        this.byName.set(full, child);
      }
    }
    this.names = [...this.byName.keys()];
    this.done({ names: this.names });
  }

  /** The Instancetype component of `u1.medium`; its `kind` and `objectName` make a VM's reference. */
  get(name: string): Instancetype {
    const found = this.byName.get(name);
    if (!found)
      throw new Error(
        `${this.subject}: instancetype "${name}" was not created; created: ${this.names.join(', ')}`,
      );
    return found;
  }
}

/** Which OS preferences to create, and where. */
export interface PreferenceLibraryArgs {
  /** OS preferences to create (`fedora`, `windows.11`...). Default: all of the library. */
  readonly os?: readonly string[];
  /** Create namespaced VirtualMachinePreferences here instead of cluster-wide ones. Default: cluster-wide. */
  readonly namespace?: string;
}

/** The library's OS preferences, each a Preference component named `<library>-<os>`. */
export class PreferenceLibrary extends VirtkitComponent {
  /** The object names created (`fedora`, `ubuntu`...). */
  readonly names: string[];
  private readonly byName = new Map<string, Preference>();

  constructor(name: string, args: PreferenceLibraryArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('PreferenceLibrary', name, opts);
    const known = OS_PREFERENCES.map((p) => p.name);
    const issues = (args.os ?? []).flatMap((os, i) =>
      known.includes(os)
        ? []
        : [issue(`os[${i}]`, `"${os}" is not in the library; use some of: ${known.join(', ')}`)],
    );
    if (issues.length) throw this.invalidInput(issues);
    for (const os of args.os ?? known) {
      const def = osPreference(os);
      const child = new Preference(
        this.childName(def.name),
        {
          name: def.name,
          ...(args.namespace !== undefined ? { namespace: args.namespace } : { cluster: true }),
          annotations: { 'virtkit.io/display-name': def.displayName },
          spec: def.spec,
        },
        { parent: this },
      );
      this.byName.set(def.name, child);
    }
    this.names = [...this.byName.keys()];
    this.done({ names: this.names });
  }

  /** The Preference component of `fedora`. */
  get(name: string): Preference {
    const found = this.byName.get(name);
    if (!found)
      throw new Error(
        `${this.subject}: preference "${name}" was not created; created: ${this.names.join(', ')}`,
      );
    return found;
  }
}

function issue(path: string, message: string): Issue {
  return { path, message, severity: 'error', rule: 'args' };
}
