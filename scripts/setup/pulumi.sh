#!/usr/bin/env bash
# The Pulumi toolchain that `npm run pulumi` and the Pulumi integration tests run (the CLI, the
# Pulumi YAML language host and the Kubernetes provider plugin), built from their Go modules
# into the cache when any of them is missing (scripts/build-pulumi.sh; about 25 minutes the
# first time on 2 cores, most of it the provider; nothing after). No Debian packages: Go and node
# are all it needs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$(bash "$repo/scripts/build-pulumi.sh" --print-dir)"
for name in $(bash "$repo/scripts/build-pulumi.sh" --binaries); do
  if [[ ! -x "$dir/$name" ]]; then
    exec bash "$repo/scripts/build-pulumi.sh"
  fi
done
