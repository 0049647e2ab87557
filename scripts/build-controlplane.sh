#!/usr/bin/env bash
# Builds local mode's control-plane binaries from the Go module in tools/controlplane/ into
# the cache (${VIRTKIT_CACHE:-~/.cache/virtkit}/controlplane/<kubernetes version>/), skipping
# every binary that is already there. Safe to run again; a second run does nothing.
#
#   scripts/build-controlplane.sh               etcd, kube-apiserver, kube-scheduler,
#                                               kube-controller-manager, kubectl, and kubelet
#                                               and kube-proxy (which only kubelet nodes run)
#   scripts/build-controlplane.sh --print-dir   print the cache folder and exit
#
# The version is the one k8s.io/kubernetes is pinned at in tools/controlplane/go.mod; etcd is
# built at the version that release pins (go.etcd.io/etcd/server/v3), because Debian's etcd 3.4
# cannot serve this kube-apiserver's watches (it lacks progress-notify requests).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/go-build.sh
source "$repo/scripts/lib/go-build.sh"
module="$repo/tools/controlplane"
version="$(go_mod_version build-controlplane "$module/go.mod" k8s.io/kubernetes v1.)" || exit 1
out="${VIRTKIT_CACHE:-$HOME/.cache/virtkit}/controlplane/$version"

if [[ "${1:-}" == "--print-dir" ]]; then
  echo "$out"
  exit 0
fi

declare -A packages=(
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
  [kubelet]=k8s.io/kubernetes/cmd/kubelet
  [kube-proxy]=k8s.io/kubernetes/cmd/kube-proxy
  [etcd]=go.etcd.io/etcd/server/v3
)
wanted=(etcd kube-apiserver kube-scheduler kube-controller-manager kubectl kubelet kube-proxy)
if [[ $# -gt 0 ]]; then
  echo "build-controlplane: unexpected argument '$1' (the only option is --print-dir)" >&2
  exit 2
fi

go_build_setup build-controlplane "the control plane" "$module" "$out"

# Stamp the release into the binaries (what `kubectl version` and /version report); a plain
# `go build` would otherwise report v0.0.0-master.
minor="${version#v1.}"; minor="${minor%%.*}"
stamp=()
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=(-X "$pkg.gitVersion=$version" -X "$pkg.gitMajor=1" -X "$pkg.gitMinor=$minor")
  stamp+=(-X "$pkg.gitTreeState=clean")
done

for name in "${wanted[@]}"; do
  go_build_missing "$name" "$name (Kubernetes $version set)" "${packages[$name]}" "${stamp[*]}"
done
echo "build-controlplane: binaries in $out"
