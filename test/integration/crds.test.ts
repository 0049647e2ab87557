/**
 * Every CRD virtkit installs (with the network CRDs) is accepted by the real kube-apiserver —
 * which enforces the structural-schema rules — becomes Established and is served.
 */
import { discoverResource } from '../../kube';
import { crds } from '../../api/crd/generate';
import { applyCrds } from '../../cli/local/crds';
import { sharedClient } from './support/api';
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
