import { exitReason, podStatus, statusDiffers } from './pod-status';
import { inferExitCode } from './pod-dir';
import { vmiOfPod, type PodJson } from './pod-types';

const pod: PodJson = {
  metadata: {
    name: 'virt-launcher-a-x',
    namespace: 'ns',
    uid: 'p1',
    labels: { 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': 'v1' },
    annotations: { 'kubevirt.io/domain': 'a' },
  },
  spec: { nodeName: 'n1', containers: [{ name: 'compute', image: 'virtkit/launcher' }] },
};
const base = { hostIP: '10.0.0.1', podIPs: ['10.244.3.7'], startTime: 't0', now: 't1' };

describe('launcher pod status', () => {
  it('is Pending with the waiting reason while the pod cannot start', () => {
    const s = podStatus(pod, {
      ...base,
      podIPs: [],
      container: { kind: 'waiting', reason: 'ClaimNotFound', message: 'claim x missing' },
    });
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0].state).toEqual({
      waiting: { reason: 'ClaimNotFound', message: 'claim x missing' },
    });
    expect(s.podIP).toBeUndefined();
  });

  it('is Running and Ready once the launcher answers, with the pod IP', () => {
    const s = podStatus(pod, {
      ...base,
      container: { kind: 'running', startedAt: 't0', ready: true, pid: 42 },
    });
    expect(s.phase).toBe('Running');
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(s.containerStatuses?.[0]).toMatchObject({
      name: 'compute',
      ready: true,
      containerID: 'virtkit://42',
      restartCount: 0,
    });
    expect(s.podIP).toBe('10.244.3.7');
    expect(s.podIPs).toEqual([{ ip: '10.244.3.7' }]);
    expect(s.hostIP).toBe('10.0.0.1');
    expect(s.conditions?.find((c) => c.type === 'PodReadyToStartContainers')?.status).toBe('True');
  });

  it("is not Ready while a readiness gate is not True, in kubelet's words; Ready again (no stale words) once it is", () => {
    const gated: PodJson = {
      ...pod,
      spec: { ...pod.spec, readinessGates: [{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }] },
    };
    const running = { kind: 'running' as const, startedAt: 't0', ready: true, pid: 42 };
    const missing = podStatus(gated, { ...base, container: running });
    expect(missing.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message:
        'corresponding condition of pod readiness gate "kubevirt.io/virtual-machine-unpaused" does not exist.',
    });
    // The containers are ready: only the gate holds the pod back.
    expect(missing.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    expect(missing.containerStatuses?.[0].ready).toBe(true);
    const gate = (status: string) => ({ type: 'kubevirt.io/virtual-machine-unpaused', status });
    const paused = podStatus(
      { ...gated, status: { conditions: [...(missing.conditions ?? []), gate('False')] } },
      { ...base, container: running },
    );
    expect(paused.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      message:
        'the status of pod readiness gate "kubevirt.io/virtual-machine-unpaused" is not "True", but False',
    });
    const unpaused = { ...gated, status: { conditions: [...(paused.conditions ?? []), gate('True')] } };
    const ready = podStatus(unpaused, { ...base, container: running });
    expect(ready.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: null,
      message: null,
    });
    expect(statusDiffers(paused, ready)).toBe(true);
  });

  it("a pod in the host's network shows the node's address once its container left waiting", () => {
    const host = { hostIP: '10.0.0.1', podIP: '10.0.0.1', startTime: 't0', now: 't1' };
    const waiting = podStatus(pod, { ...host, container: { kind: 'waiting', reason: 'ContainerCreating' } });
    expect(waiting.podIP).toBeUndefined();
    const running = podStatus(pod, {
      ...host,
      container: { kind: 'running', startedAt: 't0', ready: true, pid: 1 },
    });
    expect(running.podIPs).toEqual([{ ip: '10.0.0.1' }]);
  });

  it('reports every address of a dual-stack pod, the first as podIP', () => {
    const s = podStatus(pod, {
      ...base,
      podIPs: ['10.244.3.7', 'fd00:10:244:3::7'],
      container: { kind: 'running', startedAt: 't0', ready: false, pid: 42 },
    });
    expect(s.podIP).toBe('10.244.3.7');
    expect(s.podIPs).toEqual([{ ip: '10.244.3.7' }, { ip: 'fd00:10:244:3::7' }]);
  });

  it('waits in ContainerCreating with PodReadyToStartContainers=False and no IP while the sandbox fails', () => {
    const s = podStatus(pod, {
      ...base,
      podIPs: [],
      sandboxReady: false,
      container: {
        kind: 'waiting',
        reason: 'ContainerCreating',
        message: 'Failed to create pod sandbox: no IP addresses available',
      },
    });
    expect(s.phase).toBe('Pending');
    expect(s.podIP).toBeUndefined();
    expect(s.conditions?.find((c) => c.type === 'PodReadyToStartContainers')?.status).toBe('False');
    expect(s.containerStatuses?.[0].state.waiting).toEqual({
      reason: 'ContainerCreating',
      message: 'Failed to create pod sandbox: no IP addresses available',
    });
  });

  it("carries the failure's reason and message on PodReadyToStartContainers, and drops them once the sandbox is up", () => {
    const message =
      'Failed to create pod sandbox: pod ns/virt-launcher-a-x (uid p1): network set-up failed: ' +
      'network-attachment-definitions.k8s.cni.cncf.io "nope" not found in namespace "ns": create it';
    const failed = podStatus(pod, {
      ...base,
      podIPs: [],
      sandboxFailure: { reason: 'NetworkAttachmentDefinitionNotFound', message },
      container: { kind: 'waiting', reason: 'ContainerCreating', message },
    });
    expect(failed.conditions?.find((c) => c.type === 'PodReadyToStartContainers')).toEqual({
      type: 'PodReadyToStartContainers',
      status: 'False',
      reason: 'NetworkAttachmentDefinitionNotFound',
      message,
      lastProbeTime: null,
      lastTransitionTime: 't1',
    });
    // Another failure with the same waiting state is still a write (the VMI shows the reason).
    const other = podStatus(pod, {
      ...base,
      podIPs: [],
      sandboxFailure: { reason: 'InvalidNetworkConfig', message },
      container: { kind: 'waiting', reason: 'ContainerCreating', message },
    });
    expect(statusDiffers(failed, other)).toBe(true);
    const up = podStatus(
      { ...pod, status: failed },
      { ...base, container: { kind: 'running', startedAt: 't2', ready: false, pid: 42 } },
    );
    // A strategic merge patch keeps fields it does not mention: null removes them.
    expect(up.conditions?.find((c) => c.type === 'PodReadyToStartContainers')).toMatchObject({
      status: 'True',
      reason: null,
      message: null,
    });
    const after = podStatus(
      { ...pod, status: { ...up, conditions: [{ type: 'PodReadyToStartContainers', status: 'True' }] } },
      { ...base, container: { kind: 'running', startedAt: 't2', ready: false, pid: 42 } },
    );
    expect(after.conditions?.find((c) => c.type === 'PodReadyToStartContainers')).not.toHaveProperty(
      'reason',
    );
  });

  it('ends Succeeded on exit 0 and Failed otherwise, with the exit code', () => {
    const done = (exitCode: number) =>
      podStatus(pod, {
        ...base,
        container: { kind: 'terminated', finishedAt: 't2', exitCode, ...exitReason(exitCode) },
      });
    expect(done(0).phase).toBe('Succeeded');
    expect(done(1).phase).toBe('Failed');
    expect(done(137).containerStatuses?.[0].state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error',
    });
  });

  it('needs no write when nothing a reader sees changed', () => {
    const s = podStatus(pod, {
      ...base,
      container: { kind: 'running', startedAt: 't0', ready: true, pid: 42 },
    });
    expect(
      statusDiffers(
        s,
        podStatus(
          { ...pod, status: s },
          { ...base, now: 't9', container: { kind: 'running', startedAt: 't0', ready: true, pid: 42 } },
        ),
      ),
    ).toBe(false);
    expect(
      statusDiffers(
        s,
        podStatus(
          { ...pod, status: s },
          { ...base, container: { kind: 'running', startedAt: 't0', ready: false, pid: 42 } },
        ),
      ),
    ).toBe(true);
  });

  it('names its VMI from the domain annotation and created-by label', () => {
    expect(vmiOfPod(pod)).toEqual({ namespace: 'ns', name: 'a', uid: 'v1' });
    expect(vmiOfPod({ metadata: { namespace: 'ns' } })).toBeUndefined();
  });

  it('infers an exit code from the launcher final status when it did not see the exit', () => {
    expect(inferExitCode(undefined)).toBe(137);
    expect(inferExitCode({ error: 'bad disk' })).toBe(2);
    expect(inferExitCode({ state: 'Shutoff', reason: 'Shutdown' })).toBe(0);
    expect(inferExitCode({ state: 'Crashed', reason: 'Crashed' })).toBe(1);
  });
});
