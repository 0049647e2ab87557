/** Confidential computing (spec.domain.launchSecurity) and SMBIOS chassis data (spec.domain.chassis). */
import { Obj, Opt, Str, Bool, Empty, type Static } from '../../schema/dsl';

export const SEVPolicy = Obj('SEV guest policy flags; guest debugging is always refused.', {
  encryptedState: Opt(Bool('Require SEV-ES, which also encrypts CPU register state. False when left out.')),
});
export type SEVPolicy = Static<typeof SEVPolicy>;

export const SEVAttestation = Empty('Run the SEV attestation flow before the guest starts.');
export type SEVAttestation = Static<typeof SEVAttestation>;

export const SEV = Obj('AMD Secure Encrypted Virtualization.', {
  policy: Opt(SEVPolicy),
  attestation: Opt(SEVAttestation),
  session: Opt(Str('Base64 session parameters blob from the guest owner.')),
  dhCert: Opt(Str('Base64 Diffie-Hellman certificate of the guest owner.')),
});
export type SEV = Static<typeof SEV>;

export const SEVSNP = Obj('AMD SEV-SNP settings, as the SEV-SNP specification defines them.', {
  policy: Opt(Str('Guest policy value.')),
  vcek: Opt(Str('Versioned chip endorsement key setting.')),
  authorKey: Opt(Str('Whether the ID block is signed by an author key.')),
  kernelHashes: Opt(Str('Whether kernel, initrd and command line hashes are measured.')),
  cbitpos: Opt(Str('Position of the encryption bit in page table entries.')),
  idBlock: Opt(Str('Base64 ID block.')),
  idAuth: Opt(Str('Base64 ID authentication information.')),
  reducedPhysBits: Opt(Str('How many physical address bits encryption takes away.')),
});
export type SEVSNP = Static<typeof SEVSNP>;

export const TDX = Empty('Run the guest as an Intel TDX trust domain.');
export type TDX = Static<typeof TDX>;

export const LaunchSecurity = Obj('Confidential computing technology the guest runs under; set one.', {
  sev: Opt(SEV),
  snp: Opt(SEVSNP),
  tdx: Opt(TDX),
});
export type LaunchSecurity = Static<typeof LaunchSecurity>;

export const Chassis = Obj('SMBIOS chassis information shown to the guest.', {
  manufacturer: Opt(Str('Chassis manufacturer.')),
  version: Opt(Str('Chassis version.')),
  serial: Opt(Str('Chassis serial number.')),
  asset: Opt(Str('Chassis asset tag.')),
  sku: Opt(Str('Chassis SKU number.')),
});
export type Chassis = Static<typeof Chassis>;
