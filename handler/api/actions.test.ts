import { LauncherApiError } from '../../launcher/api/client';
import { launcherFailure, performAction, type ActionLauncher } from './actions';

const err = (code: number): LauncherApiError => new LauncherApiError('/s', '/v1/x', code, 'T', 'why');

describe("the node API's answer to a launcher failure (pure)", () => {
  it('unreachable 503, refused for its state 409, freeze refused 400 (virt-handler), else 500', () => {
    expect(launcherFailure('pause', err(0)).status).toBe(503);
    expect(launcherFailure('pause', err(409)).status).toBe(409);
    expect(launcherFailure('freeze', err(500)).status).toBe(400);
    expect(launcherFailure('unfreeze', err(500)).status).toBe(400);
    expect(launcherFailure('guestosinfo', err(500)).status).toBe(500);
    expect(launcherFailure('reset', new Error('boom'))).toEqual({
      status: 500,
      body: expect.objectContaining({ kind: 'Status', code: 500, message: 'boom', reason: 'InternalError' }),
    });
  });

  it('never throws: a failing launcher is an answer', async () => {
    const failing = new Proxy({}, { get: () => () => Promise.reject(err(409)) }) as ActionLauncher;
    expect((await performAction('softreboot', undefined, failing)).status).toBe(409);
    expect((await performAction('freeze', { unfreezeTimeout: 'x' }, failing)).status).toBe(400);
  });
});
