/**
 * Hostile names through the handler's volume resolution, with a fake client that only
 * answers getIfExists: a volume name or a ConfigMap/Secret key that would leave the pod's volume
 * directory is refused, naming the field, and a canary tree next to the pod is untouched.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KubeClient } from '../../kube';
import { plantCanary, snapshotTree } from '../../common/canary.test-helper';
import { VolumePrepareError, type VolumeSource } from './plan';
import { resolveLaunchResources } from './resolve';

function fakeClient(objects: Record<string, unknown>): KubeClient {
  return {
    getIfExists: async (rt: { plural: string }, _ns: string, name: string) => objects[`${rt.plural}/${name}`],
  } as unknown as KubeClient;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('resolveLaunchResources with hostile names', () => {
  let root: string;
  let podDir: string;
  let canary: string;
  let before: ReturnType<typeof snapshotTree>;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-resolve-'));
    podDir = path.join(root, 'pods', 'uid-1');
    canary = path.join(root, 'canary');
    fs.mkdirSync(podDir, { recursive: true });
    plantCanary(canary);
    before = snapshotTree(canary);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const client = (data: Record<string, string> = { 'app.conf': 'x=1' }) =>
    fakeClient({
      'configmaps/cfg': { data },
      'secrets/sek': { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) },
    });

  async function refusal(volumes: VolumeSource[], c = client()): Promise<VolumePrepareError> {
    let err: unknown;
    try {
      await resolveLaunchResources(c, 'default', volumes, podDir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VolumePrepareError);
    expect(snapshotTree(canary)).toEqual(before);
    // eslint-disable-next-line no-control-regex
    expect((err as Error).message).not.toMatch(/[\x00-\x1f]/);
    return err as VolumePrepareError;
  }

  it('writes ConfigMap files for a plain volume name', async () => {
    const out = await resolveLaunchResources(
      client(),
      'default',
      [{ name: 'cfg', configMap: { name: 'cfg' } }],
      podDir,
    );
    expect(out.volumeDirs).toEqual({ cfg: path.join(podDir, 'volumes', 'cfg') });
    expect(fs.readFileSync(path.join(podDir, 'volumes', 'cfg', 'app.conf'), 'utf8')).toBe('x=1');
  });

  it.each([
    '../../../canary/victim-dir',
    '../../../canary',
    'a/b',
    '/etc/passwd',
    '/tmp/canary/victim-dir',
    'x\u0000y',
    '.',
    '..',
    'x'.repeat(300),
    'a\nb',
  ])('refuses the volume name %j, naming the field, before touching anything', async (name) => {
    const err = await refusal([
      { name: 'ok', configMap: { name: 'cfg' } },
      { name, configMap: { name: 'cfg' } },
    ]);
    expect(err.reason).toBe('InvalidVolumeName');
    expect(err.message).toContain('spec.volumes[1].name');
    // Nothing was written, not even for the good volume.
    expect(fs.existsSync(path.join(podDir, 'volumes'))).toBe(false);
  });

  it.each(['../../../../canary/victim', '../x', 'a/b', '.', '..', '..data', 'k\ny', '/etc/passwd'])(
    'refuses the ConfigMap / Secret key %j, naming the object',
    async (key) => {
      for (const vol of [
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'sek', secret: { secretName: 'sek' } },
      ]) {
        const err = await refusal([vol], client({ [key]: 'pwned' }));
        expect(err.message).toMatch(/(ConfigMap|Secret) default\/(cfg|sek) key/);
      }
    },
  );

  it('refuses a volume directory that is a symlink pointing out', async () => {
    fs.mkdirSync(path.join(podDir, 'volumes'));
    fs.symlinkSync(path.join(canary, 'victim-dir'), path.join(podDir, 'volumes', 'cfg'));
    const err = await refusal([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    expect(err.message).toContain('spec.volumes[0].name');
    expect(err.message).toContain('outside');
  });
});
