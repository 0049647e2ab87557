#!/usr/bin/env bash
# Builds local mode's control-plane binaries from the Go module in tools/controlplane/ into
# the cache (${VIRTKIT_CACHE:-~/.cache/virtkit}/controlplane/<kubernetes version>/), skipping
# every binary that is already there. Safe to run again; a second run does nothing.
#
#   scripts/build-controlplane.sh               etcd, kube-apiserver, kube-scheduler,
#                                               kube-controller-manager, kubectl
#   scripts/build-controlplane.sh --print-dir   print the cache folder and exit
#
# The version is the one k8s.io/kubernetes is pinned at in tools/controlplane/go.mod; etcd is
# built at the version that release pins (go.etcd.io/etcd/server/v3), because Debian's etcd 3.4
# cannot serve this kube-apiserver's watches (it lacks progress-notify requests).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="$repo/tools/controlplane"
version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$module/go.mod")"
if [[ -z "$version" ]]; then
  echo "build-controlplane: cannot read the k8s.io/kubernetes version from $module/go.mod" >&2
  exit 1
fi
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
  [etcd]=go.etcd.io/etcd/server/v3
)
wanted=(etcd kube-apiserver kube-scheduler kube-controller-manager kubectl)
if [[ $# -gt 0 ]]; then
  echo "build-controlplane: unexpected argument '$1' (the only option is --print-dir)" >&2
  exit 2
fi

if ! command -v go >/dev/null; then
  echo "build-controlplane: 'go' is not on PATH; install Go >= 1.25 to build the control plane" >&2
  exit 1
fi

mkdir -p "$out"
cd "$module"
# Two cores on the reference machine: do not let the Go toolchain fan out further.
export GOMAXPROCS="${GOMAXPROCS:-2}"
export GOFLAGS="-trimpath -mod=readonly"
export CGO_ENABLED=0

# Stamp the release into the binaries (what `kubectl version` and /version report); a plain
# `go build` would otherwise report v0.0.0-master.
minor="${version#v1.}"; minor="${minor%%.*}"
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  stamp+=" -X $pkg.gitTreeState=clean"
done

for name in "${wanted[@]}"; do
  if [[ -x "$out/$name" ]]; then
    echo "build-controlplane: $name (Kubernetes $version set) already in $out"
    continue
  fi
  start=$SECONDS
  echo "build-controlplane: building $name (Kubernetes $version set) ..."
  # Build to a temporary name and rename, so an interrupted build never leaves a binary
  # that looks complete.
  go build -p "$GOMAXPROCS" -ldflags "-s -w$stamp" -o "$out/.$name.partial" "${packages[$name]}"
  mv "$out/.$name.partial" "$out/$name"
  echo "build-controlplane: built $name in $((SECONDS - start))s"
done
echo "build-controlplane: binaries in $out"
