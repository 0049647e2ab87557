/**
 * The component provider's dispatch: a Construct request's token picks the component in
 * provider/, its inputs (plain values, or outputs where they depend on other resources) become
 * the component's args, its options pass through, and the outputs the schema declares become
 * the ConstructResult's state. `VirtkitProvider` is what `pulumi.provider.main` serves
 * (provider/plugin/main.ts); the engine calls `construct` for every `virtkit:index:*` resource a
 * Pulumi YAML (or Python, Go, .NET) program declares.
 *
 * Inputs the components read as plain values when they are constructed (`await`,
 * `objectOptions`, `cluster`, every input of Install and the VirtualMachine's typed props) must not
 * depend on other resources: such an input is refused, naming the component and the field,
 * rather than read as an unresolved output. `spec`, `config` and the object's identity take
 * outputs at any depth, as they do in TypeScript.
 */
import * as pulumi from '@pulumi/pulumi';
import type * as provider from '@pulumi/pulumi/provider';
import { formatIssues, type Issue } from '../../api';
import { INSTALL_OPTION_NAMES } from '../../api/install';
import { componentToken, TOKEN_PREFIX, type VirtkitComponent } from '../core/component';
import { isPlain } from '../core/inputs';
import { DataVolume } from '../data-volume';
import { Install } from '../install';
import { Instancetype } from '../instancetype';
import { InstancetypeLibrary, PreferenceLibrary } from '../library';
import { KubeOvnSubnet } from '../kubeovn-subnet';
import { MultusNetwork } from '../multus-network';
import { Preference } from '../preference';
import { VirtualMachineRestore, VirtualMachineSnapshot } from '../snapshot';
import { VirtualMachine } from '../virtual-machine';
import { VirtualMachineFleet } from '../virtual-machine-fleet';
import { packageSchema, schemaText, VM_TYPED_INPUT_NAMES, type PackageSchema } from './package-schema';

/** How the provider builds one component from a Construct request. */
interface Served {
  /** The component's constructor, with the args the inputs became. */
  readonly create: (
    name: string,
    args: Record<string, unknown>,
    opts: pulumi.ComponentResourceOptions,
  ) => VirtkitComponent;
  /** Inputs the component reads as plain values when constructed: an output there is refused. */
  readonly plainInputs: readonly string[];
  /**
   * For a map input of several objects (a fleet's `vms`): each entry's inputs that must be
   * plain, as `plainInputs` are for the component's own.
   */
  readonly plainInEntriesOf?: { readonly input: string; readonly plain: readonly string[] };
}

/** A component class, whatever its args (the schema, checked by schema.test.ts, types them). */
type ComponentClass = new (
  name: string,
  args: never,
  opts?: pulumi.ComponentResourceOptions,
) => VirtkitComponent;

function served(
  component: ComponentClass,
  plainInputs: readonly string[],
  plainInEntriesOf?: Served['plainInEntriesOf'],
): Served {
  return {
    create: (name, args, opts) => new component(name, args as never, opts),
    plainInputs,
    ...(plainInEntriesOf ? { plainInEntriesOf } : {}),
  };
}

/** Inputs every object component reads as plain values. */
const OBJECT_PLAIN = ['objectOptions'];
const AWAITED_PLAIN = [...OBJECT_PLAIN, 'await'];

/**
 * Every component the provider serves, keyed by its token's last part; schema.test.ts checks
 * that this table, the schema and provider/index.ts list the same components.
 */
const SERVED: Readonly<Record<string, Served>> = {
  VirtualMachine: served(VirtualMachine, [...AWAITED_PLAIN, ...VM_TYPED_INPUT_NAMES]),
  VirtualMachineFleet: served(VirtualMachineFleet, ['vms', 'labels', 'await'], {
    input: 'vms',
    plain: [...AWAITED_PLAIN, ...VM_TYPED_INPUT_NAMES],
  }),
  Instancetype: served(Instancetype, [...OBJECT_PLAIN, 'cluster']),
  Preference: served(Preference, [...OBJECT_PLAIN, 'cluster']),
  InstancetypeLibrary: served(InstancetypeLibrary, ['series', 'sizes', 'upstreamSizesOnly', 'namespace']),
  PreferenceLibrary: served(PreferenceLibrary, ['os', 'namespace']),
  MultusNetwork: served(MultusNetwork, OBJECT_PLAIN),
  KubeOvnSubnet: served(KubeOvnSubnet, AWAITED_PLAIN),
  VirtualMachineSnapshot: served(VirtualMachineSnapshot, AWAITED_PLAIN),
  VirtualMachineRestore: served(VirtualMachineRestore, AWAITED_PLAIN),
  DataVolume: served(DataVolume, AWAITED_PLAIN),
  // The install is rendered when the component is constructed: every input must be plain.
  Install: served(Install, [...INSTALL_OPTION_NAMES, 'crdsOnly']),
};

/** The last parts of the tokens the dispatcher serves, in table order. */
export const SERVED_COMPONENTS: readonly string[] = Object.keys(SERVED);

/** A Construct request for a token this provider does not serve. */
export class UnknownComponentError extends Error {
  constructor(
    readonly token: string,
    readonly known: readonly string[],
  ) {
    super(
      `pulumi-resource-virtkit has no component ${JSON.stringify(token)}; it serves ${known.join(', ')}. ` +
        'Check the type token in the program (and that the plugin version matches the SDK or schema it was written against).',
    );
    this.name = 'UnknownComponentError';
  }
}

/**
 * Inputs a component cannot take as they came (an unknown property, an output where the
 * component needs a plain value), listed the way the components list their own bad input.
 */
export class ConstructInputError extends Error {
  constructor(
    readonly token: string,
    readonly componentName: string,
    readonly issues: readonly Issue[],
  ) {
    super(formatIssues(`${token} "${componentName}"`, issues));
    this.name = 'ConstructInputError';
  }
}

/**
 * The component's args from a Construct request's inputs: every input the schema declares,
 * unset ones (undefined or null) left out. Problems are gathered into one ConstructInputError.
 */
export function argsFromInputs(
  schema: PackageSchema,
  typeName: string,
  name: string,
  inputs: pulumi.Inputs,
): Record<string, unknown> {
  const token = componentToken(typeName);
  const declared = schema.resources[token].inputProperties;
  const plain = new Set(SERVED[typeName].plainInputs);
  const args: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(inputs)) {
    if (value === undefined || value === null) continue;
    if (!(key in declared)) {
      issues.push({
        path: key,
        message: `is not an input of ${token}; its inputs are ${Object.keys(declared).join(', ')}`,
        severity: 'error',
        rule: 'schema',
      });
      continue;
    }
    const entries = SERVED[typeName].plainInEntriesOf;
    if (
      entries?.input === key &&
      value !== null &&
      typeof value === 'object' &&
      !pulumi.Output.isInstance(value)
    ) {
      // A map of objects: its structure must be plain, and so must each entry's plain inputs.
      const before = issues.length;
      for (const [entry, fields] of Object.entries(value as Record<string, unknown>)) {
        if (pulumi.Output.isInstance(fields) || fields instanceof Promise) {
          issues.push(plainIssue(typeName, `${key}.${entry}`, key));
          continue;
        }
        for (const [field, v] of Object.entries((fields ?? {}) as Record<string, unknown>))
          if (entries.plain.includes(field) && !isPlain(v))
            issues.push(plainIssue(typeName, `${key}.${entry}.${field}`, field));
      }
      if (issues.length > before) continue;
    } else if (plain.has(key) && !isPlain(value)) {
      issues.push(plainIssue(typeName, key, key));
      continue;
    }
    args[key] = value;
  }
  for (const key of schema.resources[token].requiredInputs)
    if (!(key in args) && !issues.some((i) => i.path === key))
      issues.push({ path: key, message: 'is required', severity: 'error', rule: 'schema' });
  if (issues.length) throw new ConstructInputError(token, name, issues);
  return args;
}

/** An output where the component needs a plain value, at `path` (the input `field`). */
function plainIssue(typeName: string, path: string, field: string): Issue {
  const vm = typeName === 'VirtualMachine' || typeName === 'VirtualMachineFleet';
  return {
    path,
    message:
      'must be a plain value: the component reads it when it is constructed, so it cannot depend on ' +
      (vm && VM_TYPED_INPUT_NAMES.includes(field)
        ? "another resource's outputs; give the whole spec as `spec` (any field of which may come from another resource) instead of the typed props"
        : "another resource's outputs or be a secret; write the value itself"),
    severity: 'error',
    rule: 'plain-input',
  };
}

/** The outputs the schema declares for the component, read from it, as the Construct state. */
export function stateOf(schema: PackageSchema, typeName: string, component: VirtkitComponent): pulumi.Inputs {
  const fields = component as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(schema.resources[componentToken(typeName)].properties).map((key) => [key, fields[key]]),
  );
}

/** The token's last part when it is one of the served components, else undefined. */
function servedTypeName(token: string): string | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const typeName = token.slice(TOKEN_PREFIX.length);
  return Object.prototype.hasOwnProperty.call(SERVED, typeName) ? typeName : undefined;
}

/**
 * Build the component `token` named `name` from a Construct request: the component registers
 * itself and its children with the engine; its URN and declared outputs are the result.
 */
export function constructComponent(
  schema: PackageSchema,
  name: string,
  token: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): provider.ConstructResult {
  return buildComponent(schema, name, token, inputs, options).result;
}

function buildComponent(
  schema: PackageSchema,
  name: string,
  token: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): { result: provider.ConstructResult; component: VirtkitComponent } {
  const typeName = servedTypeName(token);
  if (typeName === undefined)
    throw new UnknownComponentError(
      token,
      SERVED_COMPONENTS.map((t) => componentToken(t)),
    );
  const args = argsFromInputs(schema, typeName, name, inputs);
  const component = SERVED[typeName].create(name, args, options);
  return { component, result: { urn: component.urn, state: stateOf(schema, typeName, component) } };
}

/**
 * The provider `pulumi.provider.main` serves: the schema (the same JSON as schema.json), the
 * package version, and `construct` for every component. It has no custom resources of its own:
 * the components' children are @pulumi/kubernetes resources, which the Kubernetes provider
 * creates with the program's kubeconfig.
 */
export class VirtkitProvider implements provider.Provider {
  readonly version: string;
  readonly schema: string;
  private readonly parsed: PackageSchema;

  constructor(version?: string) {
    this.parsed = packageSchema(version);
    this.version = this.parsed.version;
    this.schema = schemaText(this.version);
  }

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    const { result, component } = buildComponent(this.parsed, name, type, inputs, options);
    // Input that held outputs is validated once they resolve; its ResourceError is the answer
    // to this request, rather than a failure of whichever child output the engine awaits first,
    // and the outputs derived from it fail with it quietly instead of as unhandled rejections.
    for (const value of Object.values(result.state)) observeFailure(value);
    const failure = await renderFailure(component);
    if (failure !== undefined) throw failure;
    return result;
  }
}

/** Mark an output's promises as observed, so that its failure is not an unhandled rejection. */
function observeFailure(value: unknown): void {
  if (!pulumi.Output.isInstance(value)) return;
  const o = value as unknown as {
    promise(): Promise<unknown>;
    isKnown: Promise<boolean>;
    isSecret: Promise<boolean>;
  };
  for (const p of [o.promise(), o.isKnown, o.isSecret]) p.catch(() => undefined);
}

/**
 * The error the component's manifest failed with (bad input that arrived as outputs), or
 * undefined when it rendered, or is unknown (a preview of values not computed yet), or the
 * component has no manifest of its own (Install, the libraries). A fleet's are its members'
 * manifests: the first that failed, in member order.
 */
export async function renderFailure(component: VirtkitComponent): Promise<unknown> {
  const own = component as unknown as {
    manifest?: unknown;
    members?: Record<string, { manifest?: unknown }>;
  };
  const manifests = [own.manifest, ...Object.values(own.members ?? {}).map((m) => m.manifest)].filter((m) =>
    pulumi.Output.isInstance(m),
  );
  const failures = await Promise.all(
    manifests.map((manifest) => {
      observeFailure(manifest);
      // Output#promise is public at run time but left out of the typings.
      return (manifest as unknown as { promise(): Promise<unknown> }).promise().then(
        () => undefined,
        (e: unknown) => e,
      );
    }),
  );
  return failures.find((f) => f !== undefined);
}
