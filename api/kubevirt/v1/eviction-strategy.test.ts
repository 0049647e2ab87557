import {
  clusterEvictionStrategy,
  effectiveEvictionStrategy,
  isEvictionStrategy,
  vmiEvictionStrategy,
} from './eviction-strategy';

const kubevirt = (name: string, evictionStrategy: unknown, creationTimestamp = '2024-01-01T00:00:00Z') => ({
  metadata: { name, namespace: 'virtkit', creationTimestamp },
  spec: { configuration: evictionStrategy === undefined ? {} : { evictionStrategy } },
});
const vmi = (evictionStrategy?: unknown) => ({
  metadata: { name: 'web', namespace: 'prod' },
  spec: evictionStrategy === undefined ? {} : { evictionStrategy },
});

describe('the eviction strategy of a VMI', () => {
  test("the VMI's own wins over the cluster's, naming the field it came from", () => {
    const cluster = clusterEvictionStrategy([kubevirt('kubevirt', 'None')]);
    expect(effectiveEvictionStrategy(vmi('LiveMigrate'), cluster)).toEqual({
      value: 'LiveMigrate',
      field: 'spec.evictionStrategy of VMI prod/web',
    });
    expect(effectiveEvictionStrategy(vmi(), cluster)).toEqual({
      value: 'None',
      field: 'spec.configuration.evictionStrategy of KubeVirt virtkit/kubevirt',
    });
  });

  test("none when neither sets one (KubeVirt's own default); an empty value counts as unset", () => {
    expect(effectiveEvictionStrategy(vmi(), undefined)).toBeUndefined();
    expect(vmiEvictionStrategy(vmi(''))).toBeUndefined();
    expect(clusterEvictionStrategy([])).toBeUndefined();
    expect(clusterEvictionStrategy([kubevirt('kubevirt', undefined), kubevirt('x', null)])).toBeUndefined();
  });

  test('of several KubeVirt objects the oldest counts, whatever the list order', () => {
    const older = kubevirt('older', 'LiveMigrate', '2024-01-01T00:00:00Z');
    const newer = kubevirt('newer', 'None', '2024-06-01T00:00:00Z');
    for (const list of [
      [older, newer],
      [newer, older],
    ])
      expect(clusterEvictionStrategy(list)?.value).toBe('LiveMigrate');
  });

  test("only KubeVirt's four values are strategies; a typo in the unchecked KubeVirt object is not", () => {
    for (const v of ['None', 'LiveMigrate', 'LiveMigrateIfPossible', 'External'])
      expect(isEvictionStrategy(v)).toBe(true);
    for (const v of ['Livemigrate', '', 3, undefined, { LiveMigrate: true }])
      expect(isEvictionStrategy(v)).toBe(false);
    // Kept as found, so the message can quote it.
    expect(clusterEvictionStrategy([kubevirt('kubevirt', 'Livemigrate')])?.value).toBe('Livemigrate');
  });
});
