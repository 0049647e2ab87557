#!/usr/bin/env bash
# What `npm run images` (images/: the virtkit and virtkit-launcher container images) needs from
# Debian: mmdebstrap (the images' root filesystems from Debian's packages, without apt inside)
# and umoci (the OCI image layout). The images themselves are built by the integration suite
# test/integration/images.test.ts, or by `npm run images`, after the TypeScript build, and
# cached by input hash under ${VIRTKIT_CACHE:-~/.cache/virtkit}/images/. Node.js comes from
# the nodejs package of this machine (docs/runtime-images.md). Idempotent; runs as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(mmdebstrap umoci)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "setup/images: ${missing[*]} missing; run 'apt-get install ${missing[*]}' as root" >&2
  exit 1
fi
echo "setup/images: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
