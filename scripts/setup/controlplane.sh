#!/usr/bin/env bash
# Setup for local mode and the integration suites: openssl (certificates) from Debian, and the
# control-plane binaries (etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubectl)
# built from tools/controlplane/ into the cache when they are not there yet (about 10 minutes
# on 2 cores the first time, nothing afterwards). Idempotent; runs as root without a terminal.
# (KUBEBUILDER_ASSETS, when set, is searched first at run time, but envtest's assets lack
# kube-scheduler and kube-controller-manager, so the cache is filled either way.)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

if ! dpkg -s openssl >/dev/null 2>&1; then
  echo "setup/controlplane: installing openssl"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup/controlplane: openssl is missing; run 'apt-get install openssl' as root" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq openssl >/dev/null
fi

start=$SECONDS
bash "$repo/scripts/build-controlplane.sh"
echo "setup/controlplane: control plane ready ($((SECONDS - start))s)"
