/**
 * Input types of virtkit's components. Every field of a spec may be a plain value, a promise
 * or a Pulumi output, at any depth, so a component composes with anything a program computes.
 */
import * as pulumi from '@pulumi/pulumi';
import type { AwaitOptions } from './readiness';

type Scalar = string | number | boolean | null | undefined;

/** `T` where every property, element and the whole may be a `pulumi.Input`. */
export type DeepInput<T> = unknown extends T
  ? T
  : [T] extends [Scalar]
    ? pulumi.Input<T>
    : T extends readonly (infer U)[]
      ? pulumi.Input<readonly DeepInput<U>[]>
      : pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>;

/**
 * Resource options passed through to the Kubernetes object a component creates (its child), for
 * what Pulumi decides per resource: which input changes to ignore (paths in the object's own
 * inputs, e.g. `spec.template.spec.domain.memory`), how long create/update/delete may take, and
 * replacement and deletion behaviour, and the `aliases` of an object that moved between
 * components (a VirtualMachine into a VirtualMachineFleet). `parent` is always the component.
 */
export type ObjectResourceOptions = Pick<
  pulumi.CustomResourceOptions,
  | 'ignoreChanges'
  | 'customTimeouts'
  | 'deleteBeforeReplace'
  | 'replaceOnChanges'
  | 'retainOnDelete'
  | 'protect'
  | 'aliases'
>;

/** Identity of the Kubernetes object a component creates. */
export interface ObjectArgs {
  /** metadata.name. Default: the component's name, so object names are predictable in GitOps. */
  readonly name?: pulumi.Input<string>;
  /** metadata.namespace of namespaced kinds. Default: the provider's namespace (usually `default`). */
  readonly namespace?: pulumi.Input<string>;
  /** metadata.labels. */
  readonly labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** metadata.annotations. The await annotations (`pulumi.com/*`) are written by the component. */
  readonly annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Options for the object's resource (ignoreChanges, customTimeouts...). Default: none. */
  readonly objectOptions?: ObjectResourceOptions;
}

/** The say over readiness that components whose kind has a ready state accept. */
export interface AwaitArgs {
  /** How `pulumi up` waits for the object. Default: wait for the kind's ready state. */
  readonly await?: AwaitOptions;
}

/** Resolve a deep input to one output of its plain value. */
export function resolve<T>(value: DeepInput<T>): pulumi.Output<T> {
  return pulumi.output(value as unknown as pulumi.Input<T>) as unknown as pulumi.Output<T>;
}

/** True when `value` holds no output or promise anywhere, so it can be checked right away. */
export function isPlain(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
  if (Array.isArray(value)) return value.every(isPlain);
  return Object.values(value as Record<string, unknown>).every(isPlain);
}
