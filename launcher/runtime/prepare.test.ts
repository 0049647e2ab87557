/**
 * The launcher's prepare steps with a work directory whose disks/ is a symlink out (the
 * planner confines paths lexically; the 'confine' step catches links): nothing outside the
 * work directory is written, and the error names the field.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { plantCanary, snapshotTree } from '../../common/canary.test-helper';
import { buildLaunchPlan, type PlannableVmi } from '../plan/build';
import { LaunchSpecError } from '../plan/errors';
import { prepareAll } from './prepare';

function vmi(volumeName: string): PlannableVmi {
  return {
    metadata: { name: 'web', namespace: 'prod' },
    spec: {
      domain: {
        resources: { requests: { memory: '64Mi' } },
        devices: { disks: [{ name: volumeName, disk: { bus: 'virtio' } }] },
      },
      volumes: [{ name: volumeName, emptyDisk: { capacity: '1Mi' } }],
    },
  } as PlannableVmi;
}

describe('prepare steps stay in the work directory', () => {
  let root: string;
  let workDir: string;
  let canary: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-prepare-'));
    workDir = path.join(root, 'work');
    canary = path.join(root, 'canary');
    fs.mkdirSync(workDir);
    plantCanary(canary);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const ctx = () => ({ workDir, accelerator: 'tcg' as const, firmware: {}, exists: () => true });

  it.each(['../../canary/victim', '../victim', '/etc/passwd', 'a/b', '.', '..', 'x\u0000y', 'v'.repeat(300)])(
    'refuses the volume name %j before any file is written',
    (name) => {
      const before = snapshotTree(root);
      expect(() => buildLaunchPlan(vmi(name), ctx())).toThrow(LaunchSpecError);
      expect(() => buildLaunchPlan(vmi(name), ctx())).toThrow(/spec\.volumes\[0\]\.name/);
      expect(snapshotTree(root)).toEqual(before);
    },
  );

  it('refuses to write through a disks/ symlink that points out of the work directory', async () => {
    fs.writeFileSync(path.join(canary, 'victim.qcow2'), 'precious');
    fs.symlinkSync(canary, path.join(workDir, 'disks'));
    const before = snapshotTree(canary);
    const plan = buildLaunchPlan(vmi('victim'), ctx());
    await expect(prepareAll(plan.prepare)).rejects.toThrow(/spec\.volumes\[0\]\.name.*outside/);
    expect(snapshotTree(canary)).toEqual(before);
  });
});
