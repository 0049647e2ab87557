/**
 * References from a VM to an instance type and a preference, by name (cluster-wide or
 * namespaced) or by construct (anything with a name and a kind, such as the template
 * library's instancetype and preference constructs).
 */
import type { InstancetypeMatcher, PreferenceMatcher } from '../kubevirt/v1';

/** An instance type construct (namespaced or cluster-wide). */
export interface IInstancetype {
  /** Its object name. */
  readonly name: string;
  /** VirtualMachineInstancetype or VirtualMachineClusterInstancetype. */
  readonly kind: string;
}

/** A preference construct (namespaced or cluster-wide). */
export interface IPreference {
  /** Its object name. */
  readonly name: string;
  /** VirtualMachinePreference or VirtualMachineClusterPreference. */
  readonly kind: string;
}

/** Which instance type sizes the VM. */
export class InstancetypeRef {
  /**
   * A VirtualMachineClusterInstancetype by name.
   * @example InstancetypeRef.cluster('u1.medium')
   */
  public static cluster(name: string): InstancetypeRef {
    return new InstancetypeRef(name, 'VirtualMachineClusterInstancetype');
  }

  /** A VirtualMachineInstancetype in the VM's namespace, by name. */
  public static namespaced(name: string): InstancetypeRef {
    return new InstancetypeRef(name, 'VirtualMachineInstancetype');
  }

  /** An instance type construct of this app. */
  public static fromInstancetype(instancetype: IInstancetype): InstancetypeRef {
    return new InstancetypeRef(instancetype.name, instancetype.kind);
  }

  private constructor(
    public readonly name: string,
    public readonly kind: string,
  ) {}

  /**
   * The api/ matcher.
   * @internal
   */
  public _render(): InstancetypeMatcher {
    return { name: this.name, kind: this.kind };
  }
}

/** Which preference fills in the VM's defaults. */
export class PreferenceRef {
  /**
   * A VirtualMachineClusterPreference by name.
   * @example PreferenceRef.cluster('fedora')
   */
  public static cluster(name: string): PreferenceRef {
    return new PreferenceRef(name, 'VirtualMachineClusterPreference');
  }

  /** A VirtualMachinePreference in the VM's namespace, by name. */
  public static namespaced(name: string): PreferenceRef {
    return new PreferenceRef(name, 'VirtualMachinePreference');
  }

  /** A preference construct of this app. */
  public static fromPreference(preference: IPreference): PreferenceRef {
    return new PreferenceRef(preference.name, preference.kind);
  }

  private constructor(
    public readonly name: string,
    public readonly kind: string,
  ) {}

  /**
   * The api/ matcher.
   * @internal
   */
  public _render(): PreferenceMatcher {
    return { name: this.name, kind: this.kind };
  }
}
