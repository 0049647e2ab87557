#!/usr/bin/env bash
# The Pulumi CLI that `npm run pulumi` and the Pulumi integration test run, built from its Go
# module into the cache when missing (several minutes the first time on 2 cores, nothing after).
# No Debian packages: Go and node_modules are all it needs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$(bash "$repo/scripts/build-pulumi.sh" --print-dir)"
if [[ -x "$dir/pulumi" ]]; then
  exit 0
fi
bash "$repo/scripts/build-pulumi.sh"
