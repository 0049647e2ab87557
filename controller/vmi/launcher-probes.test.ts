import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { containerProbe, launcherProbes } from './launcher-probes';
import { renderLauncherPod } from './launcher-pod';

describe('the compute container carries the VMI probes kubelet runs', () => {
  it('copies tcpSocket and httpGet probes with their timing', () => {
    expect(
      containerProbe({
        tcpSocket: { port: 5432 },
        initialDelaySeconds: 90,
        periodSeconds: 5,
        failureThreshold: 4,
      }),
    ).toEqual({ tcpSocket: { port: 5432 }, initialDelaySeconds: 90, periodSeconds: 5, failureThreshold: 4 });
    expect(
      containerProbe({
        httpGet: { port: 80, path: '/healthz', scheme: 'HTTPS', httpHeaders: [{ name: 'X-A', value: 'b' }] },
        timeoutSeconds: 3,
        successThreshold: 1,
      }),
    ).toEqual({
      httpGet: { port: 80, path: '/healthz', scheme: 'HTTPS', httpHeaders: [{ name: 'X-A', value: 'b' }] },
      timeoutSeconds: 3,
      successThreshold: 1,
    });
  });

  it("turns guestAgentPing into an exec of virtkit probe on the launcher's socket, with one second more", () => {
    expect(containerProbe({ guestAgentPing: {}, timeoutSeconds: 4, periodSeconds: 7 })).toEqual({
      exec: {
        command: [
          'virtkit',
          'probe',
          '--socket',
          '/var/run/kubevirt/sockets/launcher.sock',
          '--timeout-seconds',
          '4',
          '--guest-agent-ping',
        ],
      },
      timeoutSeconds: 5,
      periodSeconds: 7,
    });
    // kubelet's default timeout (1 s) is the ping's; the container probe gets 2.
    const defaults = containerProbe({ guestAgentPing: {} });
    expect(defaults?.exec?.command).toContain('1');
    expect(defaults?.timeoutSeconds).toBe(2);
  });

  it('renders nothing for an exec probe (refused at admission) or no probe', () => {
    expect(containerProbe({ exec: { command: ['true'] } })).toBeUndefined();
    expect(containerProbe(undefined)).toBeUndefined();
    expect(launcherProbes({})).toEqual({});
  });

  it("puts both probes on the launcher pod's compute container, and none on a VMI without", () => {
    const vmi: VirtualMachineInstance = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'web', namespace: 'ns', uid: 'u-1' },
      spec: {
        domain: { devices: {} },
        readinessProbe: { httpGet: { port: 80, path: '/healthz' }, initialDelaySeconds: 60 },
        livenessProbe: { guestAgentPing: {}, failureThreshold: 3 },
      },
    };
    const compute = (v: VirtualMachineInstance): Record<string, unknown> =>
      (
        renderLauncherPod(v, { overheadBytes: 1, useEmulation: false }).spec as {
          containers: Record<string, unknown>[];
        }
      ).containers[0]!;
    expect(compute(vmi).readinessProbe).toEqual({
      httpGet: { port: 80, path: '/healthz' },
      initialDelaySeconds: 60,
    });
    expect(compute(vmi).livenessProbe).toMatchObject({
      exec: { command: expect.arrayContaining(['--guest-agent-ping']) as unknown },
      failureThreshold: 3,
      timeoutSeconds: 2,
    });
    const plain = { ...vmi, spec: { domain: { devices: {} } } };
    expect(compute(plain)).not.toHaveProperty('readinessProbe');
    expect(compute(plain)).not.toHaveProperty('livenessProbe');
  });
});
