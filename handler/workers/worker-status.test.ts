/** A worker pod's status as kubelet reports it through a run, a failure, the back-off and success. */
import { PROGRESS_CONDITION } from '../../api/cdi/worker-pod';
import type { PodJson } from '../pods/pod-types';
import { workerPhase, workerPodStatus, workerStatusDiffers, type WorkerObservation } from './worker-status';

const pod: PodJson = {
  metadata: { name: 'importer-disk', namespace: 'ns', uid: 'u' },
  spec: {
    nodeName: 'n1',
    restartPolicy: 'OnFailure',
    containers: [{ name: 'importer', image: 'virtkit:dev' }],
  },
};
const T = '2026-01-01T00:00:00Z';
const base = { hostIP: '10.0.0.1', now: T, restartCount: 0 };
const failure = { exitCode: 1, reason: 'Error', message: 'expected status code 200, got 404', finishedAt: T };

it('running: phase Running, ready, with the progress condition', () => {
  const s = workerPodStatus(pod, {
    ...base,
    container: { kind: 'running', startedAt: T, ready: true, pid: 7 },
    progress: '45.20%',
  });
  expect(s.phase).toBe('Running');
  expect(s.containerStatuses?.[0]).toMatchObject({
    name: 'importer',
    ready: true,
    restartCount: 0,
    state: { running: { startedAt: T } },
  });
  expect(s.conditions?.find((c) => c.type === PROGRESS_CONDITION)).toMatchObject({
    status: 'True',
    message: '45.20%',
  });
});

it('a failure shows terminated, then CrashLoopBackOff with the count up and the failure in lastState; phase stays Running', () => {
  const failed: WorkerObservation = { ...base, container: { kind: 'terminated', ...failure } };
  expect(workerPhase(failed)).toBe('Running');
  expect(workerPodStatus(pod, failed).containerStatuses?.[0].state).toEqual({ terminated: failure });
  const backoff = workerPodStatus(pod, {
    ...base,
    restartCount: 1,
    lastTerminated: failure,
    container: { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s' },
  });
  expect(backoff.phase).toBe('Running');
  expect(backoff.containerStatuses?.[0]).toMatchObject({
    restartCount: 1,
    state: { waiting: { reason: 'CrashLoopBackOff' } },
    lastState: { terminated: failure },
  });
});

it('success is Succeeded with exit 0; a refused pod is Failed; a pod not started yet is Pending', () => {
  expect(
    workerPhase({
      ...base,
      container: { kind: 'terminated', exitCode: 0, reason: 'Completed', finishedAt: T },
    }),
  ).toBe('Succeeded');
  expect(workerPhase({ ...base, final: true, container: { kind: 'terminated', ...failure } })).toBe('Failed');
  expect(workerPhase({ ...base, container: { kind: 'waiting', reason: 'ContainerCreating' } })).toBe(
    'Pending',
  );
});

it('asks for a write only when something it reports changed (conditions others wrote are not compared)', () => {
  const obs: WorkerObservation = {
    ...base,
    container: { kind: 'running', startedAt: T, ready: true, pid: 7 },
    progress: '1.00%',
  };
  const s = workerPodStatus(pod, obs);
  const withOthers = {
    ...s,
    conditions: [...(s.conditions ?? []), { type: 'DisruptionTarget', status: 'True' }],
  };
  expect(workerStatusDiffers(withOthers, workerPodStatus({ ...pod, status: s }, obs))).toBe(false);
  expect(workerStatusDiffers(s, workerPodStatus({ ...pod, status: s }, { ...obs, progress: '2.00%' }))).toBe(
    true,
  );
  expect(workerStatusDiffers(s, workerPodStatus({ ...pod, status: s }, { ...obs, restartCount: 1 }))).toBe(
    true,
  );
});
