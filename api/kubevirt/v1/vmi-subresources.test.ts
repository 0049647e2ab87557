import {
  formatGuestTimezone,
  parseGoDuration,
  readDryRunOptions,
  readUnfreezeTimeout,
} from './vmi-subresources';

describe("KubeVirt's VMI subresource bodies", () => {
  it('reads durations as Go does', () => {
    expect(parseGoDuration('5m0s')).toBe(300e9);
    expect(parseGoDuration('1h30m')).toBe(5400e9);
    expect(parseGoDuration('1.5h')).toBe(5400e9);
    expect(parseGoDuration('250ms')).toBe(250e6);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('-2s')).toBe(-2e9);
    for (const bad of ['', '5', 'm', '5 m', '5mm', '1d', 'soon', '-'])
      expect([bad, parseGoDuration(bad)]).toEqual([bad, undefined]);
  });

  it("reads FreezeUnfreezeTimeout with KubeVirt's words for what is missing", () => {
    expect(readUnfreezeTimeout({ unfreezeTimeout: '5m0s' })).toEqual({
      value: { unfreezeTimeoutSeconds: 300 },
    });
    expect(readUnfreezeTimeout({ unfreezeTimeout: '1500ms' })).toEqual({
      value: { unfreezeTimeoutSeconds: 1 },
    });
    expect(readUnfreezeTimeout({ unfreezeTimeout: '0s' })).toEqual({ value: { unfreezeTimeoutSeconds: 0 } });
    expect(readUnfreezeTimeout(undefined)).toEqual({ problem: 'failed to retrieve unfreeze timeout' });
    expect(readUnfreezeTimeout({})).toEqual({ problem: 'Unfreeze timeout in freeze request is not set' });
    expect(readUnfreezeTimeout({ unfreezeTimeout: 300 })).toEqual({
      problem: 'failed to unmarshal unfreeze timeout',
    });
    expect(readUnfreezeTimeout([])).toEqual({ problem: 'failed to unmarshal unfreeze timeout' });
    expect(readUnfreezeTimeout({ unfreezeTimeout: '-1s' })).toMatchObject({
      problem: expect.stringContaining('negative'),
    });
  });

  it('reads PauseOptions dryRun', () => {
    expect(readDryRunOptions(undefined)).toEqual({ value: { dryRun: false } });
    expect(readDryRunOptions({})).toEqual({ value: { dryRun: false } });
    expect(readDryRunOptions({ dryRun: [] })).toEqual({ value: { dryRun: false } });
    expect(readDryRunOptions({ dryRun: ['All'] })).toEqual({ value: { dryRun: true } });
    expect(readDryRunOptions({ dryRun: 'All' })).toMatchObject({
      problem: expect.stringContaining('dryRun'),
    });
    expect(readDryRunOptions('x')).toMatchObject({ problem: expect.stringContaining('JSON object') });
  });

  it('writes the time zone as KubeVirt does', () => {
    expect(formatGuestTimezone('UTC', 0)).toBe('UTC, 0');
    expect(formatGuestTimezone('CEST', 7200)).toBe('CEST, 7200');
    expect(formatGuestTimezone(undefined, -3600)).toBe(', -3600');
  });
});
