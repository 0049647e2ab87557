/** Firmware of the guest: BIOS or EFI (with or without Secure Boot). */
import type { Firmware as FirmwareSpec } from '../kubevirt/v1';
import { compact } from './compact';

/** Options of BIOS firmware. */
export interface BiosOptions {
  /**
   * Send BIOS output to the serial console.
   * @default false
   */
  readonly useSerial?: boolean;
}

/** Options of EFI firmware. */
export interface EfiOptions {
  /**
   * Use the Secure Boot firmware. KubeVirt treats a missing value as true, and Secure
   * Boot needs System Management Mode: also set `features: { smm: {} }` on the VM
   * (virtkit never adds it for you; synth reports the missing SMM with the fix).
   * @default - not written, which KubeVirt reads as Secure Boot on
   * @example { secureBoot: false }
   */
  readonly secureBoot?: boolean;
  /**
   * Keep the EFI variable store across restarts.
   * @default false
   */
  readonly persistent?: boolean;
}

/** The boot firmware, built with the static factories. */
export class Firmware {
  /** Legacy BIOS (KubeVirt's default). */
  public static bios(options: BiosOptions = {}): Firmware {
    return new Firmware({ bootloader: { bios: compact({ ...options }) } });
  }

  /**
   * UEFI (OVMF). For Secure Boot: `Firmware.efi({ secureBoot: true })` plus `features: { smm: {} }`.
   * @example Firmware.efi({ secureBoot: false })
   */
  public static efi(options: EfiOptions = {}): Firmware {
    return new Firmware({ bootloader: { efi: compact({ ...options }) } });
  }

  private constructor(private readonly spec: FirmwareSpec) {}

  /**
   * The api/ firmware block, optionally with an SMBIOS serial and UUID.
   * @internal
   */
  public _render(serial?: string, uuid?: string): FirmwareSpec {
    return compact({ ...JSON.parse(JSON.stringify(this.spec)), serial, uuid }) as FirmwareSpec;
  }
}
