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
module="$repo/tools/pulumi"
cli_version="$(awk '$1 == "require" { $1 = ""; $0 = $0 } $1 == "github.com/pulumi/pulumi/pkg/v3" && $2 ~ /^v3\./ { print $2; exit }' "$module/go.mod")"
if [[ -z "$cli_version" ]]; then
  echo "build-pulumi: cannot read the github.com/pulumi/pulumi/pkg/v3 version from $module/go.mod" >&2
  exit 1
fi
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

if ! command -v go >/dev/null; then
  echo "build-pulumi: 'go' is not on PATH; install Go >= 1.25 to build the Pulumi CLI" >&2
  exit 1
fi

mkdir -p "$out"
cd "$module"
# Two cores on the reference machine: do not let the Go toolchain fan out further.
export GOMAXPROCS="${GOMAXPROCS:-2}"
export GOFLAGS="-trimpath -mod=readonly"
export CGO_ENABLED=0

# name -> main package, and the -X flag that stamps the release into `pulumi version`.
declare -A packages=(
  [pulumi]=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
declare -A stamps=(
  [pulumi]="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
)

for name in "${!packages[@]}"; do
  if [[ -x "$out/$name" ]]; then
    echo "build-pulumi: $name $cli_version already in $out"
    continue
  fi
  start=$SECONDS
  echo "build-pulumi: building $name $cli_version ..."
  # Build to a temporary name and rename, so an interrupted build never leaves a binary that
  # looks complete.
  go build -p "$GOMAXPROCS" -ldflags "-s -w ${stamps[$name]}" -o "$out/.$name.partial" "${packages[$name]}"
  mv "$out/.$name.partial" "$out/$name"
  echo "build-pulumi: built $name in $((SECONDS - start))s"
done

for name in pulumi-language-nodejs pulumi-resource-kubernetes; do
  if [[ ! -x "$out/$name" ]]; then
    echo "build-pulumi: $name is not built: its Go module is not served by the module proxy" \
      "(see docs/pulumi.md); Node.js programs cannot run through this CLI until it is on PATH" >&2
  fi
done
echo "build-pulumi: binaries in $out"
