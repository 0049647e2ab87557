/**
 * Every CRD virtkit installs (with the network CRDs) is accepted by the real kube-apiserver —
 * which enforces the structural-schema rules and the cost budget of CEL rules — becomes
 * Established and is served; and the CEL rules the CRDs publish are enforced by the API server
 * itself, in a namespace no admission webhook covers.
 */
import { randomBytes } from 'crypto';
import { discoverResource, KubeApiError, VIRTUAL_MACHINES } from '../../kube';
import { crds } from '../../api/crd/generate';
import { applyCrds } from '../../cli/local/crds';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { readShared } from './support/shared-controlplane';

const all = crds({ withNetworkCrds: true });

describe('virtkit CRDs on a real kube-apiserver', () => {
  test('the registry yields CRDs to install', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  test('the global setup installed every CRD', () => {
    // Each entry names the CRD and quotes the API server's reason.
    expect(readShared().crdFailures).toEqual([]);
  });

  test.each(all.map((crd) => [crd.metadata.name, crd] as const))(
    '%s is accepted, Established and served',
    async (name, crd) => {
      const client = await sharedClient();
      // Re-applying replaces the CRD: the update path is validated too.
      expect(await applyCrds(client, [crd])).toEqual([]);
      const spec = crd.spec as {
        group: string;
        versions: { name: string }[];
        names: { kind: string; plural: string };
      };
      const served = await discoverResource(
        client,
        `${spec.group}/${spec.versions[0].name}`,
        spec.names.kind,
      );
      expect({ crd: name, served: served.plural }).toEqual({ crd: name, served: spec.names.plural });
    },
  );
});

describe('CEL rules of the CRDs, on the API server alone (no webhook covers the namespace)', () => {
  const NS = `crd-cel-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    await createNamespace(await sharedClient(), NS);
  });

  afterAll(async () => {
    await deleteNamespace(await sharedClient(), NS);
  });

  function vm(name: string, spec: Json, bootloader?: Json): Json {
    return {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name, namespace: NS },
      spec: {
        ...spec,
        template: {
          spec: {
            domain: { devices: {}, ...(bootloader ? { firmware: { bootloader } } : {}) },
          },
        },
      },
    };
  }

  async function refusal(p: Promise<unknown>): Promise<KubeApiError> {
    try {
      await p;
    } catch (err) {
      if (err instanceof KubeApiError) return err;
      throw err;
    }
    throw new Error('the API server stored an object its CRD should have refused');
  }

  test("a VirtualMachine with both running and runStrategy is refused, with KubeVirt's message", async () => {
    const client = await sharedClient();
    const err = await refusal(
      client.create(VIRTUAL_MACHINES, NS, vm('both', { running: true, runStrategy: 'Always' })),
    );
    expect(err.status).toBe(422);
    expect(err.message).toMatch(
      /spec\.running: Invalid value: .*Running and RunStrategy are mutually exclusive/,
    );
    expect(await client.getIfExists(VIRTUAL_MACHINES, NS, 'both')).toBeUndefined();
    // Either one alone is stored.
    await client.create(VIRTUAL_MACHINES, NS, vm('strategy', { runStrategy: 'Halted' }), { dryRun: true });
    await client.create(VIRTUAL_MACHINES, NS, vm('running', { running: false }), { dryRun: true });
  });

  test('a bootloader with both bios and efi is refused', async () => {
    const client = await sharedClient();
    const err = await refusal(
      client.create(VIRTUAL_MACHINES, NS, vm('firmware', { runStrategy: 'Halted' }, { bios: {}, efi: {} }), {
        dryRun: true,
      }),
    );
    expect(err.status).toBe(422);
    expect(err.message).toMatch(
      /spec\.template\.spec\.domain\.firmware\.bootloader: Invalid value: .*has both EFI and BIOS configured, but they are mutually exclusive/,
    );
    await client.create(VIRTUAL_MACHINES, NS, vm('efi', { runStrategy: 'Halted' }, { efi: {} }), {
      dryRun: true,
    });
  });
});
