import type { DomainStatus } from '../../launcher/runtime/domain-types';
import { PAUSED_ANNOTATION, type PauseInputs, pauseAction, pausedByUser, wantsPaused } from './pause';

type D = Pick<DomainStatus, 'state' | 'reason'>;
const running: D = { state: 'Running', reason: 'Booted' };
const userPaused: D = { state: 'Paused', reason: 'PausedUser' };
const startPaused: D = { state: 'Paused', reason: 'PausedStartingUp' };
const ioPaused: D = { state: 'Paused', reason: 'PausedIOError' };
const stopping: D = { state: 'ShuttingDown', reason: 'Shutdown' };

const vmi = (value?: string, startStrategy?: string): PauseInputs => ({
  metadata: {
    annotations: value === undefined ? {} : ({ [PAUSED_ANNOTATION]: value } as Record<string, string>),
  },
  spec: startStrategy ? { startStrategy } : {},
});

describe('pause as desired state', () => {
  it('only "true" asks for a paused guest; no annotation means run', () => {
    expect(wantsPaused(vmi('true'))).toBe(true);
    expect(wantsPaused(vmi())).toBe(false);
    expect(wantsPaused({})).toBe(false);
    for (const other of ['false', 'True', 'yes', '']) expect(wantsPaused(vmi(other))).toBe(false);
  });

  it('startStrategy Paused keeps the guest paused until the annotation says otherwise', () => {
    expect(wantsPaused(vmi(undefined, 'Paused'))).toBe(true);
    expect(wantsPaused(vmi('false', 'Paused'))).toBe(false);
    expect(pauseAction(vmi(undefined, 'Paused'), startPaused)).toBe('none');
    expect(pauseAction(vmi('false', 'Paused'), startPaused)).toBe('unpause');
  });

  it('pauses a running domain the user wants paused, and unpauses a user-paused one', () => {
    expect(pauseAction(vmi('true'), running)).toBe('pause');
    expect(pauseAction(vmi('true'), userPaused)).toBe('none');
    expect(pauseAction(vmi(), userPaused)).toBe('unpause');
    expect(pauseAction(vmi('false'), userPaused)).toBe('unpause');
    expect(pauseAction(vmi(), running)).toBe('none');
  });

  it('leaves alone a domain paused by an I/O error or on its way down', () => {
    expect(pausedByUser(ioPaused)).toBe(false);
    expect(pauseAction(vmi(), ioPaused)).toBe('none');
    expect(pauseAction(vmi('true'), stopping)).toBe('none');
    expect(pauseAction(vmi(), stopping)).toBe('none');
  });
});
