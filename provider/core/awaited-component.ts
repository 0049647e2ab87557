/**
 * A component for one object of a kind with a ready state (`{ spec, status }` kinds): it
 * writes the await annotations from the kind's readiness and exposes the status.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { Issue, KindDefinition } from '../../api';
import { ObjectComponent } from './object-component';
import type { AwaitArgs, DeepInput, ObjectArgs } from './inputs';
import type { Readiness } from './readiness';

/** What a kind with a ready state tells its component. */
export interface AwaitedKind<Spec> {
  /** The token's last part: `DataVolume` for `virtkit:index:DataVolume`. */
  readonly typeName: string;
  readonly def: KindDefinition;
  readonly readiness: (spec: Spec) => Readiness;
  readonly defaultTimeoutSeconds: number;
}

export interface AwaitedArgs<Spec> extends ObjectArgs, AwaitArgs {
  /** The object's spec, in the kind's own shape. */
  readonly spec: DeepInput<Spec>;
}

export abstract class AwaitedComponent<Spec, Status> extends ObjectComponent<{ spec: Spec }> {
  /** The object's status as its controller reports it (unknown until the object exists). */
  readonly status: pulumi.Output<Status | undefined>;

  protected constructor(
    kind: AwaitedKind<Spec>,
    name: string,
    args: AwaitedArgs<Spec>,
    opts?: pulumi.ComponentResourceOptions,
    argumentIssues: readonly Issue[] = [],
  ) {
    super(
      kind.typeName,
      name,
      {
        def: kind.def,
        object: args,
        fields: { spec: args.spec },
        await: {
          readiness: ({ spec }) => kind.readiness(spec),
          options: args.await,
          defaultTimeoutSeconds: kind.defaultTimeoutSeconds,
        },
        argumentIssues,
      },
      opts,
    );
    this.status = this.statusOutput<Status>();
  }
}
