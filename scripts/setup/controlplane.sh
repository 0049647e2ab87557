#!/usr/bin/env bash
# Setup for local mode and the integration suites: openssl (certificates) and the kubelet nodes'
# runtime (containerd, runc, umoci, busybox-static) from Debian, and the control-plane binaries
# (etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubectl, kubelet) built from
# tools/controlplane/ into the cache when they are not there yet (about 10 minutes
# on 2 cores the first time, nothing afterwards). Idempotent; runs as root without a terminal.
# (KUBEBUILDER_ASSETS, when set, is searched first at run time, but envtest's assets lack
# kube-scheduler and kube-controller-manager, so the cache is filled either way.)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

# openssl (certificates); containerd, runc, umoci and busybox-static for kubelet nodes
# (cli/local/kubelet/: the node runtime, the sandbox image built here, and the API server DNAT;
# conntrack for kube-proxy).
packages=(openssl containerd runc umoci busybox-static iptables conntrack)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup/controlplane: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup/controlplane: ${missing[*]} missing; run 'apt-get install ${missing[*]}' as root" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

start=$SECONDS
bash "$repo/scripts/build-controlplane.sh"
echo "setup/controlplane: control plane ready ($((SECONDS - start))s)"
