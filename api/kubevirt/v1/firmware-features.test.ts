import { checkAgainst } from '../../validation/schema-check';
import { toStructural } from '../../crd/structural';
import { Firmware, Features } from './firmware-features';
import { Clock } from './clock-timers';
import { LaunchSecurity } from './domain-launch-security';

type Node = Record<string, unknown>;

describe('Firmware', () => {
  it('accepts kernel boot from a container image', () => {
    const fw = {
      kernelBoot: {
        kernelArgs: 'console=ttyS0',
        container: {
          image: 'quay.io/example/kernel:1',
          imagePullPolicy: 'IfNotPresent',
          kernelPath: '/boot/vmlinuz',
          initrdPath: '/boot/initrd',
        },
      },
      bootloader: { bios: { useSerial: true } },
    };
    expect(checkAgainst(Firmware, fw)).toEqual([]);
  });

  it('requires the kernel boot image and checks the pull policy', () => {
    const issues = checkAgainst(
      Firmware,
      { kernelBoot: { container: { imagePullPolicy: 'Sometimes' } } },
      'firmware',
    );
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['firmware.kernelBoot.container.image', 'schema.required'],
      ['firmware.kernelBoot.container.imagePullPolicy', 'schema.enum'],
    ]);
  });

  it('suggests secureBoot for a misspelt EFI field', () => {
    const issues = checkAgainst(Firmware, { bootloader: { efi: { secureboot: true } } }, 'firmware');
    expect(issues[0].message).toContain('did you mean "secureBoot"?');
  });
});

describe('Features', () => {
  it('reports a spinlock retry count given as a string', () => {
    const issues = checkAgainst(Features, { hyperv: { spinlocks: { spinlocks: '8191' } } }, 'features');
    expect(issues.map((i) => i.path)).toEqual(['features.hyperv.spinlocks.spinlocks']);
  });
});

describe('Clock', () => {
  it('is strict at validation but preserves unknown fields in the CRD, as KubeVirt marks it', () => {
    expect(checkAgainst(Clock, { utc: {}, offset: 1 }, 'clock').map((i) => i.path)).toEqual(['clock.offset']);
    expect(toStructural(Clock as unknown as Node)['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('checks tick policies per timer', () => {
    const issues = checkAgainst(
      Clock,
      { timer: { rtc: { tickPolicy: 'merge' }, hpet: { tickPolicy: 'merge' } } },
      'clock',
    );
    expect(issues.map((i) => i.path)).toEqual(['clock.timer.rtc.tickPolicy']);
  });
});

describe('LaunchSecurity', () => {
  it('accepts SEV-SNP and TDX settings', () => {
    expect(checkAgainst(LaunchSecurity, { snp: { policy: '0x30000', cbitpos: '51' } })).toEqual([]);
    expect(checkAgainst(LaunchSecurity, { tdx: {} })).toEqual([]);
  });
});
