/**
 * Base class of virtkit's L2 constructs: one L1 child named `Resource` whose body is
 * rendered by a pure function of the construct's state, plus a cdk8s validation that
 * runs the api/ model's schema and rules (`validateAs`) over the rendered manifest and
 * reports `<construct path>: <json path>: <message>`.
 */
import { Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { apiVersionOf, type KindDefinition } from '../../api/kind';
import { findKind } from '../../api/registry';
import { validateAs } from '../../api/validation/validate';
import type { Issue } from '../../api/validation/issue';
import { AppValidation, formatFinding } from './app-validation';
import { compact } from './compact';
import { KubeVirtApiObject, type IBodyRenderer } from './resource';

/** Metadata every virtkit construct accepts. */
export interface ObjectMetaProps {
  /**
   * Name of the object.
   * @default - a unique name derived from the construct path by the chart
   * @example 'web-01'
   */
  readonly name?: string;
  /**
   * Namespace of the object (namespaced kinds only).
   * @default - the chart's namespace, or none (the namespace of `kubectl apply`)
   * @example 'prod'
   */
  readonly namespace?: string;
  /**
   * Labels of the object.
   * @default - none
   * @example { app: 'web' }
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations of the object.
   * @default - none
   * @example { 'owner': 'team-a' }
   */
  readonly annotations?: { [key: string]: string };
}

/**
 * The kind a construct renders: API group (empty for the core group), version and kind. A
 * KindDefinition of virtkit/api fits; the construct renders and validates with the definition
 * of that kind in virtkit's registry.
 */
export interface KindReference {
  /**
   * API group.
   * @example 'kubevirt.io'
   */
  readonly group: string;
  /**
   * API version.
   * @example 'v1'
   */
  readonly version: string;
  /**
   * Kind.
   * @example 'VirtualMachine'
   */
  readonly kind: string;
}

/** The registry's definition of a kind, or a clear error naming the construct. */
function kindDefinitionOf(ref: KindReference, id: string): KindDefinition {
  const def = findKind(apiVersionOf(ref), ref.kind);
  if (!def) {
    throw new Error(
      `${id}: ${ref.kind} (${apiVersionOf(ref)}) is not a kind virtkit renders; ` +
        `use one of virtkit/api's kind definitions (allKinds())`,
    );
  }
  return def;
}

const CONSTRUCT_SYMBOL = Symbol.for('virtkit.KubeVirtObject');

export abstract class KubeVirtObject extends Construct implements IBodyRenderer {
  /** Whether `x` is a virtkit construct built on this base class. */
  public static isKubeVirtObject(x: unknown): x is KubeVirtObject {
    return typeof x === 'object' && x !== null && CONSTRUCT_SYMBOL in x;
  }

  /** The L1 object (for JSON-patch escape hatches: `apiObject.addJsonPatch(...)`). */
  public readonly apiObject: KubeVirtApiObject;
  /**
   * The kind definition from api/ that renders and validates this object.
   * @internal
   */
  public readonly _kindDefinition: KindDefinition;
  private version = 0;
  private validatedBody?: { readonly version: number; readonly body: { [key: string]: unknown } };

  protected constructor(scope: Construct, id: string, kindRef: KindReference, meta: ObjectMetaProps = {}) {
    super(scope, id);
    Object.defineProperty(this, CONSTRUCT_SYMBOL, { value: true });
    const kind = kindDefinitionOf(kindRef, id);
    this._kindDefinition = kind;
    const namespaced = kind.scope === 'Namespaced';
    const namespace = namespaced ? (meta.namespace ?? Chart.of(this).namespace) : undefined;
    this.apiObject = new KubeVirtApiObject(
      this,
      'Resource',
      {
        apiVersion: apiVersionOf(kind),
        kind: kind.kind,
        metadata: compact({
          name: meta.name,
          namespace,
          labels: meta.labels,
          annotations: meta.annotations,
        }),
        spec: Lazy.any({ produce: () => this.renderBodyForSynth().spec }),
      },
      this,
    );
    if (!namespaced) {
      // cdk8s gives every object the chart's namespace; a cluster-scoped object has none.
      Object.assign(this.apiObject.metadata, { namespace: undefined });
    }
    this.node.addValidation({ validate: () => this.validateManifest() });
    AppValidation.of(this);
  }

  /** Name of the object in the cluster. */
  public get name(): string {
    return this.apiObject.name;
  }

  /** Namespace of the object, when it has one. */
  public get namespace(): string | undefined {
    return this.apiObject.metadata.namespace;
  }

  /** Add a label to the object's metadata. */
  public addLabel(key: string, value: string): void {
    this.apiObject.metadata.addLabel(key, value);
  }

  /** Add an annotation to the object's metadata. */
  public addAnnotation(key: string, value: string): void {
    this.apiObject.metadata.addAnnotation(key, value);
  }

  /**
   * The body of the object (today: `{ spec }`, as a string map for jsii) as a pure function of the construct's
   * state. Must return plain JSON data without undefined-only noise.
   */
  protected abstract renderBody(): { [key: string]: unknown };

  /** Extra problems only the construct knows of (for example a source that needs a VM). */
  protected extraIssues(): string[] {
    return [];
  }

  /**
   * More api/ checks over the manifest than the kind's own rules (for example embedded specs).
   * @internal
   */
  protected _additionalApiIssues(_manifest: Record<string, unknown>): Issue[] {
    return [];
  }

  /** Mark the state changed: a body rendered for validation is not reused by synth. */
  protected changed(): void {
    this.version++;
  }

  /**
   * The body synth writes. Validation renders it once and synth reuses that rendering
   * (validation always runs right before synth writes); any change in between re-renders.
   */
  public renderBodyForSynth(): { [key: string]: unknown } {
    const cached = this.validatedBody;
    this.validatedBody = undefined;
    if (cached && cached.version === this.version) return cached.body;
    return this.renderBody();
  }

  /** The manifest as synth writes it (without key sorting). */
  public toManifest(): Record<string, unknown> {
    if (this.apiObject.hasPatches) return this.apiObject.toJson() as Record<string, unknown>;
    return this.manifestFrom(this.renderBody());
  }

  private manifestFrom(body: { [key: string]: unknown }): Record<string, unknown> {
    return {
      apiVersion: apiVersionOf(this._kindDefinition),
      kind: this._kindDefinition.kind,
      metadata: this.apiObject.metadata.toJson() as Record<string, unknown>,
      ...body,
    };
  }

  private validateManifest(): string[] {
    const path = this.node.path;
    const errors = this.extraIssues().map((m) => formatFinding(path, '', m));
    let manifest: Record<string, unknown>;
    if (this.apiObject.hasPatches) {
      manifest = this.apiObject.toJson() as Record<string, unknown>;
    } else {
      const body = this.renderBody();
      this.validatedBody = { version: this.version, body };
      manifest = this.manifestFrom(body);
    }
    const issues = [...validateAs(this._kindDefinition, manifest), ...this._additionalApiIssues(manifest)];
    for (const issue of issues) {
      const text = formatFinding(path, issue.path, issue.message);
      if (issue.severity === 'error') errors.push(text);
      else AppValidation.of(this).warn(text);
    }
    return errors;
  }
}
