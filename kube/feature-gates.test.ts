import { featureGatesOf } from './feature-gates';

describe('featureGatesOf', () => {
  it('reads spec.configuration.developerConfiguration.featureGates', () => {
    expect(
      featureGatesOf({
        spec: {
          configuration: { developerConfiguration: { featureGates: ['HostDisk', 'LocalContainerDisk'] } },
        },
      }),
    ).toEqual(['HostDisk', 'LocalContainerDisk']);
  });

  it('is empty for an object without gates, and skips what is not a name', () => {
    expect(featureGatesOf(undefined)).toEqual([]);
    expect(featureGatesOf({ spec: {} })).toEqual([]);
    expect(
      featureGatesOf({ spec: { configuration: { developerConfiguration: { featureGates: 'HostDisk' } } } }),
    ).toEqual([]);
    expect(
      featureGatesOf({
        spec: { configuration: { developerConfiguration: { featureGates: ['GPU', 7, null] } } },
      }),
    ).toEqual(['GPU']);
  });
});
