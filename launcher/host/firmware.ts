/** Finds the OVMF files Debian's ovmf package installs. */
import * as fs from 'fs';
import type { FirmwareFiles } from '../plan/types';

const OVMF_DIR = '/usr/share/OVMF';

export function findFirmware(dir = OVMF_DIR, exists: (p: string) => boolean = fs.existsSync): FirmwareFiles {
  const pick = (...names: string[]): string | undefined =>
    names.map((n) => `${dir}/${n}`).find((p) => exists(p));
  return {
    efiCode: pick('OVMF_CODE_4M.fd', 'OVMF_CODE.fd'),
    efiVars: pick('OVMF_VARS_4M.fd', 'OVMF_VARS.fd'),
    efiSecureCode: pick('OVMF_CODE_4M.secboot.fd', 'OVMF_CODE.secboot.fd'),
    // Microsoft keys enrolled, as KubeVirt's Secure Boot guests expect.
    efiSecureVars: pick('OVMF_VARS_4M.ms.fd', 'OVMF_VARS.ms.fd'),
  };
}
