/**
 * Pulumi mocks for the components' unit tests: every resource registration is recorded and
 * echoes its inputs back as its state, so tests read what a component would send.
 */
import * as pulumi from '@pulumi/pulumi';

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/** Install the mocks and return the list that fills with every registered resource. */
export function recordRegistrations(): Registered[] {
  const registered: Registered[] = [];
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs as Record<string, unknown>;
      },
    },
    'virtkit-test',
    'unit',
    false,
  );
  return registered;
}

/** The value of an output (rejects when the output failed, for instance on bad input). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  // Output#promise is public at run time but left out of the typings.
  return (output as unknown as { promise(): Promise<T> }).promise();
}

/** The URN's parent chain is not in the mock args; the type token and name are. */
export function byType(registered: readonly Registered[], type: string): Registered[] {
  return registered.filter((r) => r.type === type);
}

/**
 * The error an output failed with (undefined when it resolved). Observes every promise the
 * output holds (value, isKnown, isSecret), so a failed output does not also surface as an
 * unhandled rejection.
 */
export async function failureOf(output: pulumi.Output<unknown>): Promise<unknown> {
  const o = output as unknown as {
    promise(): Promise<unknown>;
    isKnown: Promise<boolean>;
    isSecret: Promise<boolean>;
  };
  let failure: unknown;
  const note = (e: unknown): void => {
    failure ??= e;
  };
  await Promise.all([o.promise().catch(note), o.isKnown.catch(note), o.isSecret.catch(note)]);
  return failure;
}
