#!/usr/bin/env bash
# The whereabouts CNI IPAM plugin the handler runs for NetworkAttachmentDefinitions with
# ipam.type "whereabouts" (the integration and end-to-end network suites use it), built from
# tools/whereabouts/ into the cache when it is missing (scripts/build-whereabouts.sh; about
# 3 minutes the first time on 2 cores, nothing after). No Debian packages: Go is all it needs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$(bash "$repo/scripts/build-whereabouts.sh" --print-dir)"
if [[ -x "$dir/whereabouts" ]]; then
  exit 0
fi
start=$SECONDS
bash "$repo/scripts/build-whereabouts.sh"
echo "setup/whereabouts: whereabouts ready ($((SECONDS - start))s)"
