/**
 * A component for one object of a kind with a ready state (`{ spec, status }` kinds): it
 * writes the await annotations from the kind's readiness and exposes the status.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { KindDefinition } from '../../api';
import { ObjectComponent, type ObjectSpec } from './object-component';
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
  private statusValue: pulumi.Output<Status | undefined>;

  /** The object's status as its controller reports it (unknown until the object exists). */
  get status(): pulumi.Output<Status | undefined> {
    return this.statusValue;
  }

  protected constructor(
    kind: AwaitedKind<Spec>,
    name: string,
    args: AwaitedArgs<Spec>,
    opts?: pulumi.ComponentResourceOptions,
    extra: Pick<ObjectSpec<{ spec: Spec }>, 'argumentIssues' | 'beforeRegister'> = {},
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
        ...extra,
      },
      opts,
    );
    this.statusValue = this.statusOutput<Status>();
  }

  /**
   * For a component that reads its object's status itself (the VirtualMachine's own wait):
   * `status` is then that, rather than the status the provider returned when it wrote the object.
   */
  protected replaceStatus(status: pulumi.Output<Status | undefined>): void {
    this.statusValue = status;
  }
}
