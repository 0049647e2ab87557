/**
 * A component that stands for one Kubernetes object of a kind virtkit knows: it renders the
 * manifest from its inputs, validates it through api/, writes the await annotations and
 * creates the object as a `@pulumi/kubernetes` CustomResource child.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { apiVersionOf, type Issue, type KindDefinition } from '../../api';
import { VirtkitComponent } from './component';
import { isPlain, type DeepInput, type ObjectArgs } from './inputs';
import { awaitAnnotations, type AwaitOptions, type Readiness } from './readiness';

/** The object a component creates, as sent to the API server. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

type PlainMeta = {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};

/** What a subclass hands to ObjectComponent. */
export interface ObjectSpec<F extends object> {
  readonly def: KindDefinition;
  readonly object: ObjectArgs;
  /** The kind's top-level fields other than metadata (usually `{ spec }`). */
  readonly fields: DeepInput<F>;
  /** How `pulumi up` waits for the object; leave out for kinds with no ready state. */
  readonly await?: ObjectAwait<F>;
  /**
   * Problems the subclass found in its arguments before it could hand over the fields (for
   * example two ways of giving the spec at once); reported with the component's other
   * argument problems as one ResourceError.
   */
  readonly argumentIssues?: readonly Issue[];
  /**
   * A check of the rendered, validated manifest against what lies beyond the component's own
   * input (the cluster, the program's other components), run before the object is registered,
   * at preview as at up. Its errors fail the component with the same ResourceError as the
   * validation's; its warnings are logged against the component.
   */
  readonly beforeRegister?: (manifest: Manifest) => Promise<readonly Issue[]> | readonly Issue[];
}

/** A kind's readiness, the caller's options, and the kind's default timeout. */
export interface ObjectAwait<F> {
  readonly readiness: (fields: F) => Readiness;
  readonly options: AwaitOptions | undefined;
  readonly defaultTimeoutSeconds: number;
}

/** Render a manifest: identity from the kind, metadata from the object args, then the fields. */
export function renderManifest<F extends object>(
  def: KindDefinition,
  defaultName: string,
  meta: PlainMeta,
  fields: F,
  extraAnnotations: Record<string, string>,
): Manifest {
  const annotations = { ...(meta.annotations ?? {}), ...extraAnnotations };
  return {
    apiVersion: apiVersionOf(def),
    kind: def.kind,
    metadata: {
      name: meta.name ?? defaultName,
      ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      ...(meta.labels && Object.keys(meta.labels).length ? { labels: meta.labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    ...fields,
  };
}

function annotationsFor<F>(wait: ObjectAwait<F> | undefined, fields: F): Record<string, string> {
  if (!wait) return {};
  return awaitAnnotations(wait.readiness(fields), wait.options ?? {}, wait.defaultTimeoutSeconds);
}

/** Where one object of a component goes: its resource name, default object name and issue paths. */
export interface ObjectPlacement {
  /** The child resource's name (the component's own name for its only object). */
  readonly childName: string;
  /** metadata.name when the args name none. */
  readonly defaultObjectName: string;
  /** Prefix of the issues' paths, for a component with several objects (`vms.web`). Default: none. */
  readonly at?: string;
}

/** One Kubernetes object of a component, as createObject made it. */
export interface ObjectChild {
  /** The validated manifest; fails with the owner's ResourceError when the inputs are invalid. */
  readonly manifest: pulumi.Output<Manifest>;
  readonly resource: k8s.apiextensions.CustomResource;
  readonly objectName: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string | undefined>;
}

/**
 * Render, validate and create one object of `owner` as a `@pulumi/kubernetes` CustomResource
 * child: argument problems throw now, rendering and checks happen once the inputs are known
 * (ObjectComponent's one object; a fleet's every member).
 */
export function createObject<F extends object>(
  owner: VirtkitComponent,
  spec: ObjectSpec<F>,
  place: ObjectPlacement,
): ObjectChild {
  const { def, object } = spec;
  const at = place.at ?? '';
  // Problems with the arguments themselves, gathered into one report before anything renders.
  const argumentIssues = [...owner.awaitIssues(spec.await?.options), ...(spec.argumentIssues ?? [])];
  if (def.scope === 'Cluster' && object.namespace !== undefined)
    argumentIssues.push({
      path: 'namespace',
      message: `${def.kind} is cluster-scoped and has no namespace; remove namespace`,
      severity: 'error',
      rule: 'scope',
    });
  if (argumentIssues.length) throw owner.invalidInput(argumentIssues, at);
  const inputs = {
    meta: {
      name: object.name,
      namespace: object.namespace,
      labels: object.labels,
      annotations: object.annotations,
    },
    fields: spec.fields,
  } as DeepInput<{ meta: PlainMeta; fields: F }>;
  const render = ({ meta, fields }: { meta: PlainMeta; fields: F }): Manifest =>
    renderManifest(def, place.defaultObjectName, meta, fields, annotationsFor(spec.await, fields));
  let manifest: pulumi.Output<Manifest>;
  const args: k8s.apiextensions.CustomResourceArgs = { apiVersion: apiVersionOf(def), kind: def.kind };
  if (isPlain(inputs) && !spec.beforeRegister) {
    // Nothing to wait for: the object's inputs are plain values, as a raw CustomResource's are
    // (a fleet of hundreds then costs the engine no more than the raw objects would).
    const plain = owner.renderValidated(def, inputs as { meta: PlainMeta; fields: F }, render, at);
    manifest = pulumi.output(plain) as unknown as pulumi.Output<Manifest>;
    args.metadata = plain.metadata;
    // status is the server's: leave it out of the inputs but keep the output property.
    for (const field of Object.keys(def.fields)) args[field] = field === 'status' ? undefined : plain[field];
  } else {
    const rendered = owner.renderChecked<{ meta: PlainMeta; fields: F }, Manifest>(def, inputs, render, at);
    manifest = spec.beforeRegister ? owner.checkedBy(rendered, spec.beforeRegister, at) : rendered;
    args.metadata = manifest.apply((m) => m.metadata);
    for (const field of Object.keys(def.fields))
      args[field] = field === 'status' ? undefined : manifest.apply((m) => m[field]);
  }
  const resource = new k8s.apiextensions.CustomResource(
    place.childName,
    args,
    owner.childOptions(object.objectOptions),
  );
  return { manifest, resource, objectName: resource.metadata.name, namespace: resource.metadata.namespace };
}

/** The object's status as the API server reports it (unknown until the object exists). */
export function statusOf<S>(resource: k8s.apiextensions.CustomResource): pulumi.Output<S | undefined> {
  const withStatus = resource as unknown as { status?: pulumi.Output<S | undefined> };
  return withStatus.status ?? pulumi.output(undefined);
}

export abstract class ObjectComponent<F extends object> extends VirtkitComponent {
  /** The validated manifest; fails with a ResourceError when the inputs are invalid. */
  readonly manifest: pulumi.Output<Manifest>;
  /** The Kubernetes object. */
  readonly resource: k8s.apiextensions.CustomResource;
  /** metadata.name of the object, for references from other resources. */
  readonly objectName: pulumi.Output<string>;
  /** metadata.namespace of the object (undefined for cluster-scoped kinds). */
  readonly namespace: pulumi.Output<string | undefined>;

  protected constructor(
    typeName: string,
    name: string,
    spec: ObjectSpec<F>,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(typeName, name, opts);
    const object = createObject(this, spec, { childName: this.childName(), defaultObjectName: name });
    this.manifest = object.manifest;
    this.resource = object.resource;
    this.objectName = object.objectName;
    this.namespace = object.namespace;
  }

  /** The object's status as the API server reports it (unknown until the object exists). */
  protected statusOutput<S>(): pulumi.Output<S | undefined> {
    return statusOf<S>(this.resource);
  }

  /** The standard outputs every object component registers, plus the subclass's own. */
  protected doneWith(extra: pulumi.Inputs = {}): void {
    this.done({ objectName: this.objectName, namespace: this.namespace, ...extra });
  }
}
