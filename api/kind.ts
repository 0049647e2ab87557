/**
 * A kind's single definition: identity (group, version, names, scope), schema (spec,
 * status and any other top-level fields), CRD presentation (printer columns,
 * subresources) and its semantic validation rules. Everything else derives from it.
 */
import type { TSchema, Static } from './schema/dsl';
import type { ObjectMeta } from './k8s/meta';
import type { Rule } from './validation/rule';

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
  readonly format?: string;
}

export interface ScaleSubresource {
  readonly specReplicasPath: string;
  readonly statusReplicasPath: string;
  readonly labelSelectorPath?: string;
}

/** A kind's top-level field map (name -> schema), the widest form any definition fits. */
export type KindFields = Record<string, TSchema>;

export interface KindDefinition<Fields extends KindFields = KindFields> {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly scope: 'Namespaced' | 'Cluster';
  /** What the kind is, for `kubectl explain KIND`. */
  readonly description: string;
  /** Top-level fields other than apiVersion, kind and metadata (usually spec and status). */
  readonly fields: Fields;
  /**
   * Top-level fields that must be present. A plain string list keeps KindDefinition
   * covariant in its field map, so any definition fits `KindDefinition[]`; defineKind
   * still checks that each name is one of the fields.
   */
  readonly requiredFields?: readonly string[];
  readonly printerColumns?: readonly PrinterColumn[];
  readonly subresources?: { readonly status?: boolean; readonly scale?: ScaleSubresource };
  /** Semantic rules (KubeVirt's admission checks) run after the schema check. */
  readonly rules?: readonly Rule[];
  /** Marks kinds KubeVirt keeps only for compatibility; the CRD says so. */
  readonly deprecated?: string;
}

export function apiVersionOf(def: Pick<KindDefinition, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The TypeScript type of an object of a kind. */
export type ObjectOf<D extends KindDefinition> = {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
} & { [K in keyof D['fields']]?: Static<D['fields'][K]> };

/**
 * Declare a kind; the identity function keeps literal types for ObjectOf and refuses a
 * required field that is not among the fields.
 */
export function defineKind<F extends KindFields>(
  def: KindDefinition<F> & { readonly requiredFields?: readonly (keyof F & string)[] },
): KindDefinition<F> {
  return def;
}
