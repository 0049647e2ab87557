import { kvmWhy } from './kubevirt-config';

test("up names why KVM is not used without QEMU's failure words (its lines would read as up's failures)", () => {
  const said = kvmWhy(
    "KVM probe failed: qemu-system-x86_64: kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == n' failed.",
  );
  expect(said).toBe('a test boot of QEMU with KVM did not run on this machine');
  expect(said).not.toMatch(/failed|error/i);
  expect(kvmWhy('/dev/kvm is missing or not accessible')).toBe('/dev/kvm is missing or not accessible');
});
