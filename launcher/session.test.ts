import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LaunchSpecError } from './plan/errors';
import type { PlannableVmi } from './plan/build';
import { createDomain } from './session';

describe('createDomain', () => {
  it('refuses a VMI of the wrong shape as a LaunchSpecError that says so, not a crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-session-'));
    try {
      const shapeless = {
        metadata: { name: 'web', namespace: 'prod' },
        spec: { domain: { devices: { disks: 'root' } }, volumes: 'x' },
      } as unknown as PlannableVmi;
      const err = await createDomain(shapeless, {
        workDir: dir,
        accelerator: { accelerator: 'tcg', softwareEmulation: true, reason: 'test' },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LaunchSpecError);
      expect((err as LaunchSpecError).message).toMatch(
        /VirtualMachineInstance prod\/web cannot be launched[\s\S]*spec: is not a well-formed VirtualMachineInstance spec/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
