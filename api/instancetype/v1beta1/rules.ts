/**
 * Checks of instancetypes and preferences: settings KubeVirt would reject (or silently
 * fail to apply) once a VM references them.
 */
import { defineRule, type Rule } from '../../validation/rule';
import { error, warning, show, type Issue } from '../../validation/issue';
import { parseQuantity } from '../../quantity';
import { dig } from '../../validation/readers';

export const instancetypeCpu = defineRule<unknown>({
  id: 'instancetype.cpu',
  summary:
    'isolateEmulatorThread needs dedicatedCPUPlacement; maxSockets is at least the socket count it grows from.',
  check(object) {
    const rule = 'instancetype.cpu';
    const issues: Issue[] = [];
    if (
      dig(object, 'spec', 'cpu', 'isolateEmulatorThread') === true &&
      dig(object, 'spec', 'cpu', 'dedicatedCPUPlacement') !== true
    ) {
      issues.push(
        error(
          'spec.cpu.isolateEmulatorThread',
          'isolateEmulatorThread only works with dedicated CPUs; set spec.cpu.dedicatedCPUPlacement: true or remove isolateEmulatorThread',
          rule,
        ),
      );
    }
    return issues;
  },
});

export const instancetypeMemory = defineRule<unknown>({
  id: 'instancetype.memory',
  summary: 'maxGuest is not below guest, and guest is a whole number of huge pages.',
  check(object) {
    const rule = 'instancetype.memory';
    const issues: Issue[] = [];
    const guestRaw = dig(object, 'spec', 'memory', 'guest');
    const guest = parseQuantity(guestRaw);
    if (guest !== undefined && guest <= 0) {
      issues.push(
        error(
          'spec.memory.guest',
          `guest memory ${show(guestRaw)} must be more than zero; write a size such as 2Gi`,
          rule,
        ),
      );
    }
    const maxRaw = dig(object, 'spec', 'memory', 'maxGuest');
    const max = parseQuantity(maxRaw);
    if (guest !== undefined && max !== undefined && max < guest) {
      issues.push(
        error(
          'spec.memory.maxGuest',
          `maxGuest ${show(maxRaw)} is below guest ${show(guestRaw)}; raise maxGuest to at least the guest memory`,
          rule,
        ),
      );
    }
    const pageRaw = dig(object, 'spec', 'memory', 'hugepages', 'pageSize');
    const page = parseQuantity(pageRaw);
    if (guest !== undefined && page !== undefined && page > 0 && guest % page !== 0) {
      issues.push(
        error(
          'spec.memory.guest',
          `guest memory ${show(guestRaw)} is not a whole number of ${show(pageRaw)} huge pages; round it to a multiple of the page size`,
          rule,
        ),
      );
    }
    return issues;
  },
});

export const preferenceFirmware = defineRule<unknown>({
  id: 'preference.firmware',
  summary: 'A preference does not ask for BIOS and EFI together, nor Secure Boot with SMM turned off.',
  check(object) {
    const rule = 'preference.firmware';
    const issues: Issue[] = [];
    const fw = (key: string) => dig(object, 'spec', 'firmware', key);
    const efi = fw('preferredUseEfi') === true || fw('preferredEfi') !== undefined;
    if (fw('preferredUseBios') === true && efi) {
      issues.push(
        error(
          'spec.firmware.preferredUseBios',
          'the preference asks for both BIOS and EFI; keep preferredUseBios or preferredEfi, not both',
          rule,
        ),
      );
    }
    if (fw('preferredUseBiosSerial') === true && fw('preferredUseBios') !== true) {
      issues.push(
        warning(
          'spec.firmware.preferredUseBiosSerial',
          'preferredUseBiosSerial only applies with preferredUseBios: true',
          rule,
        ),
      );
    }
    // EFI.secureBoot defaults to true, so any preferredEfi without secureBoot: false means Secure Boot.
    const preferredEfi = fw('preferredEfi');
    const secureBoot =
      fw('preferredUseSecureBoot') === true ||
      (preferredEfi !== undefined && dig(preferredEfi, 'secureBoot') !== false);
    if (secureBoot && dig(object, 'spec', 'features', 'preferredSmm', 'enabled') === false) {
      issues.push(
        error(
          'spec.features.preferredSmm.enabled',
          'Secure Boot needs SMM, but the preference turns SMM off; set spec.features.preferredSmm.enabled: true or preferredEfi.secureBoot: false',
          rule,
        ),
      );
    }
    return issues;
  },
});

export const preferenceCpuSpread = defineRule<unknown>({
  id: 'preference.cpu-spread',
  summary: 'The spread ratio for CoresThreads is 2.',
  check(object) {
    const rule = 'preference.cpu-spread';
    const across = dig(object, 'spec', 'cpu', 'spreadOptions', 'across');
    const ratio = dig(object, 'spec', 'cpu', 'spreadOptions', 'ratio');
    if (across === 'CoresThreads' && ratio !== undefined && ratio !== 2) {
      return [
        error(
          'spec.cpu.spreadOptions.ratio',
          `ratio ${show(ratio)} is not supported with across: CoresThreads; each core has 2 threads, set ratio: 2 or leave it out`,
          rule,
        ),
      ];
    }
    return [];
  },
});

export const instancetypeRules: readonly Rule[] = [instancetypeCpu, instancetypeMemory];
export const preferenceRules: readonly Rule[] = [preferenceFirmware, preferenceCpuSpread];
