import {
  checkDurations,
  clientRenewal,
  DEFAULT_ROTATION,
  nextBundle,
  RotationDurationError,
  rotationPlan,
  type CertificateFacts,
} from './rotation-plan';

const H = 3_600_000;
const T0 = new Date('2026-12-01T00:00:00Z');
const at = (hours: number): Date => new Date(T0.getTime() + hours * H);
const NAMES = ['virtkit-api.virtkit.svc', 'virtkit-api.virtkit.svc.cluster.local'];
const ca = (fromH: number, hours = 168): CertificateFacts => ({
  notBefore: at(fromH),
  notAfter: at(fromH + hours),
  dnsNames: [],
});
const server = (fromH: number, o: Partial<CertificateFacts> = {}): CertificateFacts => ({
  notBefore: at(fromH),
  notAfter: at(fromH + 24),
  dnsNames: NAMES,
  signedByCa: true,
  ...o,
});

test("KubeVirt's defaults: the CA lasts 168h renewed 33.6h early, a serving certificate 24h renewed 4.8h early", () => {
  expect(DEFAULT_ROTATION).toEqual({
    caMs: 168 * H,
    caRenewBeforeMs: 33.6 * H,
    serverMs: 24 * H,
    serverRenewBeforeMs: 4.8 * H,
  });
  expect(() => checkDurations(DEFAULT_ROTATION)).not.toThrow();
});

test('nothing stored: both are made', () => {
  const plan = rotationPlan(T0, {}, NAMES);
  expect(plan).toMatchObject({ renewCa: true, renewServer: true, reason: 'there is no CA yet' });
  expect(plan.nextCheck).toEqual(at(24 - 4.8));
});

test('valid certificates are kept, and looked at again when the first is due', () => {
  const plan = rotationPlan(at(10), { ca: ca(0), server: server(5) }, NAMES);
  expect(plan).toMatchObject({ renewCa: false, renewServer: false });
  expect(plan.reason).toMatch(/^valid: the CA until .* the serving certificate until /);
  expect(plan.nextCheck).toEqual(at(5 + 24 - 4.8));
});

test('a serving certificate is renewed 4.8h before it expires, the CA stays', () => {
  expect(rotationPlan(at(5 + 19.1), { ca: ca(0), server: server(5) }, NAMES)).toMatchObject({
    renewCa: false,
    renewServer: false,
  });
  const plan = rotationPlan(at(5 + 19.2), { ca: ca(0), server: server(5) }, NAMES);
  expect(plan).toMatchObject({ renewCa: false, renewServer: true });
  expect(plan.reason).toBe(`the serving certificate expires at ${at(29).toISOString()}`);
});

test('the CA is renewed 33.6h before it expires, and the serving certificate with it', () => {
  const plan = rotationPlan(at(168 - 33.6), { ca: ca(0), server: server(130) }, NAMES);
  expect(plan).toMatchObject({
    renewCa: true,
    renewServer: true,
    reason: `the CA expires at ${at(168).toISOString()}`,
  });
});

test('a serving certificate of another CA, for other names, or from the future is replaced', () => {
  const stored = (s: CertificateFacts) => ({ ca: ca(0), server: s });
  expect(rotationPlan(at(6), stored(server(5, { signedByCa: false })), NAMES).reason).toBe(
    'the serving certificate was not signed by the current CA',
  );
  expect(rotationPlan(at(6), stored(server(5, { dnsNames: ['old.virtkit.svc'] })), NAMES).reason).toBe(
    'the serving certificate is for old.virtkit.svc, not virtkit-api.virtkit.svc, virtkit-api.virtkit.svc.cluster.local',
  );
  // The same names in another order are the same certificate.
  expect(rotationPlan(at(6), stored(server(5, { dnsNames: [...NAMES].reverse() })), NAMES).renewServer).toBe(
    false,
  );
  expect(rotationPlan(at(4), stored(server(5)), NAMES).reason).toMatch(/not valid yet/);
});

test('the bundle after a CA renewal: the new CA first, then the old ones still valid', () => {
  const entry = (name: string, facts: CertificateFacts) => ({ name, facts });
  const bundle = nextBundle(at(140), entry('new', ca(140)), [entry('old', ca(0)), entry('older', ca(-100))]);
  expect(bundle.map((b) => b.name)).toEqual(['new', 'old']);
});

test('durations that would renew constantly or outlive the CA are refused', () => {
  expect(() => checkDurations({ ...DEFAULT_ROTATION, serverRenewBeforeMs: 24 * H })).toThrow(
    RotationDurationError,
  );
  expect(() => checkDurations({ ...DEFAULT_ROTATION, caRenewBeforeMs: 0 })).toThrow(
    /0 < renewBefore < duration/,
  );
  expect(() =>
    checkDurations({ ...DEFAULT_ROTATION, serverMs: 150 * H, serverRenewBeforeMs: 10 * H }),
  ).toThrow(/must not last longer than its CA is used/);
});

describe('clientRenewal', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const facts = (from: number, to: number, signedByCa = true) => ({
    notBefore: new Date(now.getTime() + from * H),
    notAfter: new Date(now.getTime() + to * H),
    dnsNames: [],
    signedByCa,
  });
  it('renews a missing, foreign, not-yet-valid or ending client certificate, and keeps a good one', () => {
    expect(clientRenewal(now, undefined).reason).toBe('there is no client certificate yet');
    expect(clientRenewal(now, facts(-1, 23, false)).reason).toBe(
      'the client certificate was not signed by the current CA',
    );
    expect(clientRenewal(now, facts(1, 23)).reason).toMatch(/not valid yet/);
    expect(clientRenewal(now, facts(-20, 4)).reason).toMatch(/^the client certificate expires at /);
    const good = clientRenewal(now, facts(-1, 23));
    expect(good.reason).toBeUndefined();
    expect(good.nextCheck.getTime()).toBe(now.getTime() + (23 - 4.8) * H);
  });
});
