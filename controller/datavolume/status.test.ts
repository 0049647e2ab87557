import type { DataVolume } from '../../api/cdi/v1beta1';
import { Ann } from './cdi-names';
import { claimOf, dataVolume, httpSpec, podWith } from './fixtures.test-helper';
import { dataVolumeStatus, type StatusInputs } from './status';

const now = new Date('2024-01-01T00:00:00Z');
const http = { type: 'import', kind: 'http' } as const;
const cond = (dv: { conditions?: { type: string }[] }, type: string) =>
  dv.conditions?.find((c) => c.type === type);

/** Run one round and feed the status back, as the controller would after writing it. */
function round(
  dv: DataVolume,
  i: Omit<StatusInputs, 'dv' | 'now' | 'source'> & { source?: StatusInputs['source'] },
) {
  const r = dataVolumeStatus({ dv, now, source: http, ...i });
  dv.status = r.status;
  return r;
}

describe('dataVolumeStatus', () => {
  test('no claim yet: Pending, Bound=False NotFound "No PVC found", progress N/A', () => {
    const r = round(dataVolume(httpSpec()), { waitForFirstConsumer: false });
    expect(r.status.phase).toBe('Pending');
    expect(r.status.progress).toBe('N/A');
    expect(cond(r.status, 'Bound')).toMatchObject({
      status: 'False',
      reason: 'NotFound',
      message: 'No PVC found',
    });
    expect(r.events).toEqual([]);
  });

  test('a refusal: Running=False with its reason and message, and one Warning Event', () => {
    const dv = dataVolume({ source: { upload: {} } });
    const problem = { reason: 'NotSupported', message: 'upload sources are not supported by virtkit yet' };
    const r = round(dv, { waitForFirstConsumer: false, problem });
    expect(cond(r.status, 'Running')).toMatchObject({ status: 'False', ...problem });
    expect(cond(r.status, 'Ready')).toMatchObject({ status: 'False', reason: 'NotSupported' });
    expect(r.events).toEqual([{ type: 'Warning', ...problem }]);
    expect(round(dv, { waitForFirstConsumer: false, problem }).events).toEqual([]);
  });

  test('CloneWithoutSource: Bound=Unknown, as CDI reports it', () => {
    const r = round(dataVolume({ source: { pvc: { namespace: 'ns', name: 'g' } } }), {
      waitForFirstConsumer: false,
      problem: { reason: 'CloneWithoutSource', message: "The source pvc g doesn't exist" },
    });
    expect(cond(r.status, 'Bound')).toMatchObject({ status: 'Unknown', reason: 'CloneWithoutSource' });
  });

  test('the import life cycle: WFFC, bound, scheduled, running with progress, a failed run, success', () => {
    const dv = dataVolume(httpSpec());
    let r = round(dv, { claim: claimOf(dv, 'Pending'), waitForFirstConsumer: true });
    expect(r.status.phase).toBe('WaitForFirstConsumer');
    expect(r.status.claimName).toBe('disk');
    expect(cond(r.status, 'Bound')).toMatchObject({
      status: 'False',
      reason: 'Pending',
      message: 'PVC disk Pending',
    });
    expect(r.events).toEqual([{ type: 'Normal', reason: 'Pending', message: 'PVC disk Pending' }]);

    r = round(dv, { claim: claimOf(dv, 'Bound'), waitForFirstConsumer: false });
    expect(r.status.phase).toBe('PVCBound');
    expect(r.events).toEqual([{ type: 'Normal', reason: 'Bound', message: 'PVC disk Bound' }]);

    r = round(dv, {
      claim: claimOf(dv, 'Bound'),
      pod: podWith({ phase: 'Pending' }),
      waitForFirstConsumer: false,
    });
    expect(r.status.phase).toBe('ImportScheduled');
    expect(r.events).toEqual([
      { type: 'Normal', reason: 'ImportScheduled', message: 'Import into disk scheduled' },
    ]);

    const running = podWith({
      phase: 'Running',
      conditions: [{ type: 'virtkit.io/Progress', status: 'True', message: '45.20%' }],
      containerStatuses: [{ name: 'importer', restartCount: 0, state: { running: {} } }],
    });
    r = round(dv, { claim: claimOf(dv, 'Bound'), pod: running, waitForFirstConsumer: false });
    expect(r.status).toMatchObject({ phase: 'ImportInProgress', progress: '45.20%', restartCount: 0 });
    expect(cond(r.status, 'Running')).toMatchObject({ status: 'True', reason: 'Pod is running' });
    expect(cond(r.status, 'Ready')).toMatchObject({ status: 'False', reason: 'TransferRunning' });
    expect(r.events).toEqual([
      { type: 'Normal', reason: 'ImportInProgress', message: 'Import into disk in progress' },
    ]);

    const crashed = podWith({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'importer',
          restartCount: 1,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
          lastState: {
            terminated: {
              exitCode: 1,
              reason: 'Error',
              message: 'Unable to connect to http data source: 404',
            },
          },
        },
      ],
    });
    r = round(dv, { claim: claimOf(dv, 'Bound'), pod: crashed, waitForFirstConsumer: false });
    expect(r.status.phase).toBe('ImportInProgress');
    expect(r.status.restartCount).toBe(1);
    expect(cond(r.status, 'Running')).toMatchObject({
      status: 'False',
      reason: 'Error',
      message: 'Unable to connect to http data source: 404',
    });
    expect(r.events).toEqual([
      { type: 'Warning', reason: 'Error', message: 'Unable to connect to http data source: 404' },
    ]);
    expect(r.status.phase).not.toBe('Failed');

    const done = podWith({
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'importer',
          restartCount: 1,
          state: { terminated: { exitCode: 0, reason: 'Completed', message: 'Import Complete' } },
        },
      ],
    });
    r = round(dv, { claim: claimOf(dv, 'Bound'), pod: done, waitForFirstConsumer: false });
    expect(r.succeeded).toBe(true);
    expect(r.status).toMatchObject({ phase: 'Succeeded', progress: '100.0%', restartCount: 1 });
    expect(cond(r.status, 'Ready')).toMatchObject({ status: 'True' });
    expect(cond(r.status, 'Running')).toMatchObject({
      status: 'False',
      reason: 'Completed',
      message: 'Import Complete',
    });
    expect(r.events).toEqual([
      { type: 'Normal', reason: 'ImportSucceeded', message: 'Successfully imported into PVC disk' },
    ]);

    // The pod is gone: the claim's record keeps it Succeeded.
    r = round(dv, {
      claim: claimOf(dv, 'Bound', { [Ann.podPhase]: 'Succeeded' }),
      waitForFirstConsumer: false,
    });
    expect(r.status.phase).toBe('Succeeded');
    expect(r.events).toEqual([]);
  });

  test('a pod already running when first seen still gets the scheduled Event first', () => {
    const dv = dataVolume(httpSpec());
    round(dv, { claim: claimOf(dv, 'Bound'), waitForFirstConsumer: false });
    const running = podWith({
      phase: 'Running',
      containerStatuses: [{ name: 'importer', restartCount: 0, state: { running: {} } }],
    });
    const r = round(dv, { claim: claimOf(dv, 'Bound'), pod: running, waitForFirstConsumer: false });
    expect(r.status.phase).toBe('ImportInProgress');
    expect(r.events.map((e) => e.reason)).toEqual(['ImportScheduled', 'ImportInProgress']);
  });

  test('conditions keep their transition time while the status stays; a lost claim fails the DataVolume', () => {
    const dv = dataVolume(httpSpec());
    round(dv, { claim: claimOf(dv, 'Bound'), waitForFirstConsumer: false });
    const t = cond(dv.status ?? {}, 'Bound');
    const later = dataVolumeStatus({
      dv,
      now: new Date('2024-01-01T01:00:00Z'),
      source: http,
      claim: claimOf(dv, 'Bound'),
      waitForFirstConsumer: false,
    });
    expect(cond(later.status, 'Bound')).toEqual(t);
    const lost = round(dv, { claim: claimOf(dv, 'Lost'), waitForFirstConsumer: false });
    expect(lost.status.phase).toBe('Failed');
    expect(lost.events).toContainEqual({ type: 'Warning', reason: 'ErrClaimLost', message: 'PVC disk lost' });
  });

  test('a clone reports the clone phases and messages', () => {
    const dv = dataVolume({ source: { pvc: { namespace: 'ns', name: 'golden' } } });
    const source = { type: 'clone', namespace: 'ns', name: 'golden' } as const;
    const r = round(dv, {
      source,
      claim: claimOf(dv, 'Bound'),
      pod: podWith({ phase: 'Pending' }),
      waitForFirstConsumer: false,
    });
    expect(r.status.phase).toBe('CloneScheduled');
    expect(r.events).toContainEqual({
      type: 'Normal',
      reason: 'CloneScheduled',
      message: 'Cloning from ns/golden into ns/disk scheduled',
    });
    const ok = round(dv, {
      source,
      claim: claimOf(dv, 'Bound'),
      pod: podWith({ phase: 'Succeeded' }),
      waitForFirstConsumer: false,
    });
    expect(cond(ok.status, 'Running')).toMatchObject({ reason: 'Completed', message: 'Clone Complete' });
    expect(ok.events).toContainEqual({
      type: 'Normal',
      reason: 'CloneSucceeded',
      message: 'Successfully cloned from ns/golden into ns/disk',
    });
  });

  test('an upload: UploadScheduled, UploadReady once the upload server is Ready, then Succeeded, with CDI Events', () => {
    const dv = dataVolume({ source: { upload: {} } });
    const source = { type: 'upload' } as const;
    const claim = claimOf(dv, 'Bound');
    const scheduled = round(dv, {
      source,
      claim,
      pod: podWith({ phase: 'Running' }),
      waitForFirstConsumer: false,
    });
    expect(scheduled.status.phase).toBe('UploadScheduled');
    expect(scheduled.events).toContainEqual({
      type: 'Normal',
      reason: 'UploadScheduled',
      message: 'Upload Scheduled',
    });
    const ready = round(dv, {
      source,
      claim,
      pod: podWith({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }),
      waitForFirstConsumer: false,
    });
    expect(ready.status.phase).toBe('UploadReady');
    expect(ready.events).toContainEqual({ type: 'Normal', reason: 'UploadReady', message: 'Upload Ready' });
    const ok = round(dv, {
      source,
      claim,
      pod: podWith({ phase: 'Succeeded' }),
      waitForFirstConsumer: false,
    });
    expect(ok.status.phase).toBe('Succeeded');
    expect(cond(ok.status, 'Running')).toMatchObject({ reason: 'Completed', message: 'Upload Complete' });
    expect(ok.events).toContainEqual({
      type: 'Normal',
      reason: 'UploadSucceeded',
      message: 'Upload Successful',
    });
  });

  test('an adopted claim populated for this DataVolume is Succeeded once bound', () => {
    const dv = dataVolume(httpSpec());
    const claim = claimOf(dv, 'Bound', { [Ann.populatedFor]: 'disk' });
    expect(round(dv, { claim, waitForFirstConsumer: false }).status.phase).toBe('Succeeded');
  });

  test('a pre-populated DataVolume (a VM restore made its claim) is Succeeded once the claim is bound, not before', () => {
    const dv = dataVolume(httpSpec());
    dv.metadata = { ...dv.metadata, annotations: { [Ann.prePopulated]: 'true' } };
    expect(round(dv, { claim: claimOf(dv, 'Bound'), waitForFirstConsumer: false }).status.phase).toBe(
      'Succeeded',
    );
    expect(round(dv, { claim: claimOf(dv, 'Pending'), waitForFirstConsumer: true }).status.phase).toBe(
      'WaitForFirstConsumer',
    );
    // Without the annotation the same bound claim waits for its import.
    expect(
      round(dataVolume(httpSpec()), { claim: claimOf(dv, 'Bound'), waitForFirstConsumer: false }).status
        .phase,
    ).not.toBe('Succeeded');
  });
});
