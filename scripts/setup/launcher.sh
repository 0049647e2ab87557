#!/usr/bin/env bash
# Debian packages the launcher and its end-to-end tests need: QEMU, qemu-img, OVMF firmware,
# an ISO 9660 writer for cloud-init disks, and the pieces the test guest is built from
# (a Debian kernel, busybox-static, cpio, a FAT/ext tool set). Idempotent: installs only what is
# missing, so running it again is quick.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
  qemu-system-x86   # qemu-system-x86_64
  qemu-utils        # qemu-img: overlays, emptyDisk images
  ovmf              # EFI firmware (OVMF_CODE*.fd / OVMF_VARS*.fd)
  genisoimage       # cloud-init NoCloud / ConfigDrive ISO images
  busybox-static    # the test guest's userland
  dropbear-bin      # the test guest's SSH server (virtkit ssh / scp end to end)
  openssh-client    # ssh, scp, ssh-keygen: virtkit ssh and scp run the system's client
  linux-image-cloud-amd64 # the test guest's kernel (virtio and ACPI built in or as modules)
  cpio              # packs the test guest's initramfs
  syslinux          # boot loader of the test guest's disk (installs into a FAT image via mtools)
  shim-signed       # the test guest's EFI boot: Debian's Microsoft-signed shim (Secure Boot)...
  grub-efi-amd64-signed # ...and Debian's signed GRUB, which loads Debian's signed kernel
  syslinux-common
  mtools            # copies files into the FAT image without mounting it
  dosfstools        # mkfs.vfat for the test guest's disk
  util-linux        # setpriv --pdeathsig: QEMU dies with its launcher; blockdev
  mount             # losetup: Block volumes of the local provisioner are loop devices
  e2fsprogs         # mke2fs -d: builds the guest's data disk without mounting
  zstd              # the Debian kernel's modules are zstd-compressed (xz in older releases)
  xz-utils
  docker-registry   # a real OCI registry on loopback for the container-disk tests (virtkit image push, pulls)
  containernetworking-plugins # the reference CNI plugins (bridge, host-local, portmap, macvlan...) in /usr/lib/cni
  iptables          # bridge's ipMasq and portmap write NAT rules with it
  nftables          # nft: the masquerade binding's NAT rules and inspecting the CNI plugins' rules
  iproute2          # ip netns / ip link / ip addr: pod network namespaces and their interfaces
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then missing+=("$p"); fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "launcher setup: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
