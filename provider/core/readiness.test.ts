import {
  awaitAnnotations,
  checkAwaitOptions,
  dataVolumeReadiness,
  effectiveRunStrategy,
  restoreReadiness,
  snapshotReadiness,
  subnetReadiness,
  NO_WAIT,
} from './readiness';

describe('effectiveRunStrategy', () => {
  it('prefers runStrategy and maps the deprecated running flag', () => {
    expect(effectiveRunStrategy({ runStrategy: 'Manual', running: true })).toBe('Manual');
    expect(effectiveRunStrategy({ running: true })).toBe('Always');
    expect(effectiveRunStrategy({ running: false })).toBe('Halted');
    expect(effectiveRunStrategy({})).toBeUndefined();
  });
});

describe('awaitAnnotations', () => {
  it('writes one expression as is, with the default timeout', () => {
    expect(awaitAnnotations(snapshotReadiness, {}, 600)).toEqual({
      'pulumi.com/waitFor': 'jsonpath={.status.readyToUse}=true',
      'pulumi.com/timeoutSeconds': '600',
    });
  });

  it('writes several expressions as a JSON list, all of which must hold', () => {
    const both = { waitFor: ['condition=Ready', 'jsonpath={.status.phase}=Running'], describe: 'both' };
    expect(awaitAnnotations(both, { timeoutSeconds: 30 }, 600)).toEqual({
      'pulumi.com/waitFor': '["condition=Ready","jsonpath={.status.phase}=Running"]',
      'pulumi.com/timeoutSeconds': '30',
    });
  });

  it('skips awaiting on opt-out and when there is nothing to wait for', () => {
    expect(awaitAnnotations(restoreReadiness, { skipAwait: true }, 600)).toEqual({
      'pulumi.com/skipAwait': 'true',
    });
    expect(awaitAnnotations(NO_WAIT, {}, 600)).toEqual({ 'pulumi.com/skipAwait': 'true' });
  });

  it('knows each kind', () => {
    expect(dataVolumeReadiness.waitFor).toEqual(['jsonpath={.status.phase}=Succeeded']);
    expect(restoreReadiness.waitFor).toEqual(['jsonpath={.status.complete}=true']);
    expect(subnetReadiness.waitFor).toEqual(['condition=Ready']);
  });
});

describe('checkAwaitOptions', () => {
  it('accepts a positive whole timeout and refuses others, naming the field', () => {
    expect(checkAwaitOptions({ timeoutSeconds: 60 })).toEqual([]);
    expect(checkAwaitOptions({ timeoutSeconds: 0 })).toEqual([
      ['await.timeoutSeconds', 'must be a whole number of seconds above 0, got 0'],
    ]);
    expect(checkAwaitOptions({ timeoutSeconds: 1.5 })[0][0]).toBe('await.timeoutSeconds');
  });
});
