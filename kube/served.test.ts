import type { KubeClient } from './client';
import { KubeApiError } from './errors';
import { ApiPresence, isServed } from './served';
import { VOLUME_SNAPSHOT_CONTENTS, VOLUME_SNAPSHOTS } from './resources';

/** A client whose discovery answers come from `answer` (only getPath is used). */
function client(answer: (path: string) => unknown): KubeClient {
  return {
    getPath: async (p: string) => {
      const a = answer(p);
      if (a instanceof Error) throw a;
      return a;
    },
  } as unknown as KubeClient;
}

const notFound = new KubeApiError(
  'GET',
  '/apis/x',
  404,
  'NotFound',
  'the server could not find the requested resource',
);

test('a resource is served when its group version lists it; a missing group version is not an error', async () => {
  const served = client(() => ({
    resources: [{ name: 'volumesnapshots' }, { name: 'volumesnapshots/status' }],
  }));
  expect(await isServed(served, VOLUME_SNAPSHOTS)).toBe(true);
  expect(await isServed(served, VOLUME_SNAPSHOT_CONTENTS)).toBe(false);
  expect(
    await isServed(
      client(() => notFound),
      VOLUME_SNAPSHOTS,
    ),
  ).toBe(false);
  await expect(
    isServed(
      client(() => new Error('boom')),
      VOLUME_SNAPSHOTS,
    ),
  ).rejects.toThrow('boom');
});

test('ApiPresence answers absent at once, keeps looking, and calls back once when served', async () => {
  let installed = false;
  let calls = 0;
  const presence = new ApiPresence(
    client(() => (installed ? { resources: [{ name: 'volumesnapshots' }] } : notFound)),
    [VOLUME_SNAPSHOTS],
    () => calls++,
    { pollMs: 20 },
  );
  presence.start();
  await presence.answered();
  expect(presence.known).toBe(true);
  expect(presence.served).toBe(false);
  installed = true;
  for (let i = 0; i < 100 && !presence.served; i++) await new Promise((r) => setTimeout(r, 10));
  expect(presence.served).toBe(true);
  await new Promise((r) => setTimeout(r, 60));
  expect(calls).toBe(1);
  await presence.stop();
});
