#!/usr/bin/env bash
# Builds the Pulumi toolchain that `npm run pulumi` runs from the Go module in tools/pulumi/
# into the cache (${VIRTKIT_CACHE:-~/.cache/virtkit}/pulumi/<cli version>-k8s-<plugin version>/),
# skipping every binary that is already there. Safe to run again; a second run does nothing.
#
#   scripts/build-pulumi.sh               build what is missing
#   scripts/build-pulumi.sh --print-dir   print the cache folder and exit
#
# Versions: the CLI is the version github.com/pulumi/pulumi/pkg/v3 is pinned at in
# tools/pulumi/go.mod; the Kubernetes plugin version is the one the installed npm
# @pulumi/kubernetes asks for (its package.json "pulumi.version").
#
# Only binaries whose Go modules the module proxy serves can be built here. The Node.js
# language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the
# Kubernetes provider (github.com/pulumi/pulumi-kubernetes/provider/v4) are not served, so
# they are reported as missing rather than built; see docs/pulumi.md.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/go-build.sh
source "$repo/scripts/lib/go-build.sh"
module="$repo/tools/pulumi"
cli_version="$(go_mod_version build-pulumi "$module/go.mod" github.com/pulumi/pulumi/pkg/v3 v3.)" || exit 1
k8s_manifest="$repo/node_modules/@pulumi/kubernetes/package.json"
if [[ ! -f "$k8s_manifest" ]]; then
  echo "build-pulumi: $k8s_manifest is missing; run 'npm ci' first" >&2
  exit 1
fi
k8s_version="v$(node -p "require('$k8s_manifest').pulumi.version")"
out="${VIRTKIT_CACHE:-$HOME/.cache/virtkit}/pulumi/${cli_version}-k8s-${k8s_version}"

if [[ "${1:-}" == "--print-dir" ]]; then
  echo "$out"
  exit 0
fi

go_build_setup build-pulumi "the Pulumi CLI" "$module" "$out"

# name -> main package, and the -X flag that stamps the release into `pulumi version`.
declare -A packages=(
  [pulumi]=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
declare -A stamps=(
  [pulumi]="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
)

for name in "${!packages[@]}"; do
  go_build_missing "$name" "$name $cli_version" "${packages[$name]}" "${stamps[$name]}"
done

for name in pulumi-language-nodejs pulumi-resource-kubernetes; do
  if [[ ! -x "$out/$name" ]]; then
    echo "build-pulumi: $name is not built: its Go module is not served by the module proxy" \
      "(see docs/pulumi.md); Node.js programs cannot run through this CLI until it is on PATH" >&2
  fi
done
echo "build-pulumi: binaries in $out"
