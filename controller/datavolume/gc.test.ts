import { Ann } from './cdi-names';
import { claimOf, dataVolume, httpSpec } from './fixtures.test-helper';
import { DEFAULT_DATA_VOLUME_TTL_SECONDS, gcDecision } from './gc';

const now = new Date('2024-01-01T00:10:00Z');
function succeeded(annotations: Record<string, string> = { [Ann.deleteAfterCompletion]: 'true' }) {
  const dv = dataVolume(httpSpec(), {
    annotations,
    ownerReferences: [
      { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'vm', uid: 'vm-uid', controller: true },
    ],
  });
  dv.status = {
    phase: 'Succeeded',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }],
  };
  return dv;
}

describe('gcDecision', () => {
  test("CDI's default (-1) keeps every DataVolume", () => {
    expect(DEFAULT_DATA_VOLUME_TTL_SECONDS).toBe(-1);
    const dv = succeeded();
    expect(gcDecision(dv, claimOf(dv, 'Bound'), -1, now)).toEqual({ action: 'keep' });
  });
  test('enabled: only annotated succeeded DataVolumes, after the TTL since Ready; the claim goes to the owners', () => {
    const dv = succeeded();
    const claim = claimOf(dv, 'Bound');
    expect(gcDecision(dv, claim, 3600, now)).toEqual({ action: 'wait', afterMs: 3000_000 });
    expect(gcDecision(dv, claim, 0, now)).toEqual({
      action: 'collect',
      claimOwners: [
        { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'vm', uid: 'vm-uid', controller: true },
      ],
    });
    expect(gcDecision(succeeded({}), claim, 0, now)).toEqual({ action: 'keep' });
    const running = succeeded();
    running.status = { phase: 'ImportInProgress' };
    expect(gcDecision(running, claim, 0, now)).toEqual({ action: 'keep' });
  });
});
