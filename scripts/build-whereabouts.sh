#!/usr/bin/env bash
# Builds the whereabouts CNI IPAM plugin from the Go module in tools/whereabouts/ into the cache
# (${VIRTKIT_CACHE:-~/.cache/virtkit}/cni/whereabouts-<version>/whereabouts), unless it is
# already there. One stripped binary, built with -trimpath; a second run does nothing. The
# local-mode handler searches that folder for plugins besides /usr/lib/cni and /opt/cni/bin
# (`virtkit up` passes it with --cni-plugin-dir; see docs/networking.md).
#
#   scripts/build-whereabouts.sh               build the plugin when missing
#   scripts/build-whereabouts.sh --print-dir   print the cache folder and exit
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/go-build.sh
source "$repo/scripts/lib/go-build.sh"
module="$repo/tools/whereabouts"
version="$(go_mod_version build-whereabouts "$module/go.mod" github.com/k8snetworkplumbingwg/whereabouts v0.)" || exit 1
out="${VIRTKIT_CACHE:-$HOME/.cache/virtkit}/cni/whereabouts-$version"

if [[ "${1:-}" == "--print-dir" ]]; then
  echo "$out"
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "build-whereabouts: unexpected argument '$1' (the only option is --print-dir)" >&2
  exit 2
fi

go_build_setup build-whereabouts "the whereabouts CNI plugin" "$module" "$out"
# What `whereabouts --version` (CNI VERSION's about text) reports; a plain build says UNKNOWN.
stamp="-X github.com/k8snetworkplumbingwg/whereabouts/pkg/version.Version=$version"
stamp+=" -X github.com/k8snetworkplumbingwg/whereabouts/pkg/version.ReleaseStatus=released"
go_build_missing whereabouts "whereabouts $version" github.com/k8snetworkplumbingwg/whereabouts/cmd "$stamp"
echo "build-whereabouts: plugin in $out"
