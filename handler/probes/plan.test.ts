import { initialProbeState, nextProbeState, probePlan, ProbePlanError, type ProbePlan } from './plan';

describe('a VMI probe read into what the prober runs', () => {
  test("kubelet's defaults: timeout 1 s, period 10 s, success 1, failure 3, no delay", () => {
    expect(probePlan('readiness', { tcpSocket: { port: 22 } })).toEqual({
      kind: 'readiness',
      action: { type: 'tcpSocket', port: 22 },
      initialDelayMs: 0,
      timeoutMs: 1000,
      periodMs: 10_000,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  test('httpGet: path / by default, HTTP, headers kept; a numeric string port is a port', () => {
    const p = probePlan('liveness', {
      httpGet: { port: '8080', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
      initialDelaySeconds: 60,
      periodSeconds: 2,
      failureThreshold: 1,
    });
    expect(p.action).toEqual({
      type: 'httpGet',
      port: 8080,
      path: '/',
      scheme: 'HTTP',
      headers: [{ name: 'X-Probe', value: 'yes' }],
    });
    expect([p.initialDelayMs, p.periodMs, p.failureThreshold]).toEqual([60_000, 2000, 1]);
    expect(probePlan('readiness', { guestAgentPing: {} }).action).toEqual({ type: 'guestAgentPing' });
  });

  test.each([
    [{}, /spec\.readinessProbe has no action; set exactly one of tcpSocket, httpGet or guestAgentPing/],
    [{ tcpSocket: { port: 1 }, guestAgentPing: {} }, /has guestAgentPing and tcpSocket; set exactly one/],
    [{ exec: { command: ['true'] } }, /spec\.readinessProbe\.exec is not supported by virtkit yet/],
    [
      { tcpSocket: { port: 'http' } },
      /tcpSocket\.port is the port name "http"; a VMI probe names its guest port by number/,
    ],
    [{ tcpSocket: { port: 70000 } }, /tcpSocket\.port is 70000; use a port number from 1 to 65535/],
    [
      { tcpSocket: { port: 22, host: '10.0.0.9' } },
      /tcpSocket\.host is "10\.0\.0\.9": probing another host is not supported/,
    ],
    [{ httpGet: { port: 80, path: 'healthz' } }, /httpGet\.path is "healthz"; use an absolute path/],
    [{ httpGet: { port: 80, path: '/a b' } }, /httpGet\.path is "\/a b"/],
    [{ httpGet: { port: 80, scheme: 'FTP' } }, /httpGet\.scheme is "FTP"; use HTTP or HTTPS/],
    [
      { httpGet: { port: 80, httpHeaders: [{ name: 'X-A', value: 'a\r\nInjected: 1' }] } },
      /httpHeaders\[0\]\.value of X-A must be text without control characters/,
    ],
    [{ tcpSocket: { port: 22 }, periodSeconds: 0 }, /periodSeconds is 0; use a whole number from 1 to 86400/],
  ])('refuses %j naming the field and the fix', (probe, message) => {
    expect(() => probePlan('readiness', probe)).toThrow(ProbePlanError);
    expect(() => probePlan('readiness', probe)).toThrow(message);
  });

  test('a liveness probe must use successThreshold 1', () => {
    expect(() => probePlan('liveness', { tcpSocket: { port: 22 }, successThreshold: 2 })).toThrow(
      /spec\.livenessProbe\.successThreshold is 2; a liveness probe must use 1/,
    );
  });
});

describe('counting results as kubelet does', () => {
  const plan = (over: Partial<ProbePlan> = {}): ProbePlan => ({
    ...probePlan('readiness', { tcpSocket: { port: 22 } }),
    ...over,
  });
  const run = (p: ProbePlan, results: boolean[], start = initialProbeState(p.kind)) =>
    results.reduce((s, ok) => nextProbeState(s, ok ? { ok } : { ok, message: 'refused' }, p), start);

  test('readiness starts not ready and is ready after successThreshold successes in a row', () => {
    const p = plan({ successThreshold: 2 });
    expect(initialProbeState('readiness').passing).toBe(false);
    expect(run(p, [true]).passing).toBe(false);
    expect(run(p, [true, false, true]).passing).toBe(false);
    expect(run(p, [true, true]).passing).toBe(true);
  });

  test('a passing probe fails after failureThreshold failures in a row, with the last message', () => {
    const p = plan({ failureThreshold: 3 });
    const ready = run(p, [true]);
    expect(run(p, [false, false], ready).passing).toBe(true);
    expect(run(p, [false, false, true, false], ready).passing).toBe(true);
    expect(run(p, [false, false, false], ready)).toMatchObject({ passing: false, message: 'refused' });
  });

  test('liveness counts as alive until it fails', () => {
    const p = probePlan('liveness', { tcpSocket: { port: 22 }, failureThreshold: 1 });
    expect(initialProbeState('liveness').passing).toBe(true);
    expect(run(p, [false]).passing).toBe(false);
  });
});
