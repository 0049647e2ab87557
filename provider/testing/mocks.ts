/**
 * Pulumi mocks for the components' unit tests: every resource registration is recorded and
 * echoes its inputs back as its state, so tests read what a component would send.
 */
import * as pulumi from '@pulumi/pulumi';
import { useNetworkReader, type ClusterNetworks } from '../core/network-check';
import { useVmSettler, type SettleRequest, type VmObservation } from '../core/vm-settle';

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/** Install the mocks and return the list that fills with every registered resource. */
export function recordRegistrations(): Registered[] {
  const registered: Registered[] = [];
  // No cluster here: a VirtualMachine's wait is answered as its controller would answer once
  // the VM got where its run strategy promises (a test may install its own stand-in).
  useVmSettler(settledAsPromised);
  // Likewise every Multus network a VM names exists in the cluster (a test may say otherwise).
  useNetworkReader(() => clusterWithNetworks('*'));
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs });
        return { id: `${args.name}-id`, state: inputs };
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

/**
 * Run `body` as under `pulumi preview` (pulumi.runtime.isDryRun() true), then switch back. It
 * flips the flag the mocks installed, through `_setIsDryRun`, which Pulumi's settings document
 * for unit tests (installing the mocks again would drop the resources they already know).
 */
export async function inPreview<T>(body: () => Promise<T>): Promise<T> {
  const runtime = pulumi.runtime as unknown as { _setIsDryRun(dryRun: boolean): void };
  runtime._setIsDryRun(true);
  try {
    return await body();
  } finally {
    runtime._setIsDryRun(false);
  }
}

/** The VM as its controller would leave it once its wait is over: Ready and Running, Stopped, or untouched. */
export function settledAsPromised(req: SettleRequest): Promise<VmObservation> {
  if (req.target === 'none') return Promise.resolve({ vm: { metadata: { generation: 1 } } });
  if (req.target === 'stopped')
    return Promise.resolve({ vm: { metadata: { generation: 1 }, status: { printableStatus: 'Stopped' } } });
  return Promise.resolve({
    vm: {
      metadata: { generation: 1 },
      status: { printableStatus: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    } as VmObservation['vm'],
  });
}

/**
 * A stand-in cluster (for useNetworkReader) whose NetworkAttachmentDefinitions are `present`
 * (`namespace/name` each), or all of them for `*`; its default namespace is `default`. Every read
 * is recorded in `reads`.
 */
export function clusterWithNetworks(present: '*' | readonly string[], reads: string[] = []): ClusterNetworks {
  return {
    defaultNamespace: 'default',
    lookup: ({ namespace, name }) => {
      reads.push(`${namespace}/${name}`);
      const found = present === '*' || present.includes(`${namespace}/${name}`);
      return Promise.resolve(found ? { kind: 'exists' } : { kind: 'missing', kindServed: true });
    },
    close: () => undefined,
  };
}
