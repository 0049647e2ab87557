#!/usr/bin/env bash
# The Pulumi toolchain that `npm run pulumi` and the Pulumi tests run (the CLI, the Pulumi YAML
# language host, the Kubernetes provider plugin and virtkit's Python SDK generator), built from
# their Go modules into the cache when any of them is missing (scripts/build-pulumi.sh; about 18
# minutes the first time on 2 cores, measured on a fresh machine: CLI 355 s, YAML host 62 s,
# provider 667 s, the generator a link on top of the CLI's packages; nothing after). No Debian
# packages: Go and node are all it needs. The Python side (a venv with PyPI's pulumi) is
# scripts/setup/pulumi-python.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$(bash "$repo/scripts/build-pulumi.sh" --print-dir)"
for name in $(bash "$repo/scripts/build-pulumi.sh" --binaries); do
  if [[ ! -x "$dir/$name" ]]; then
    exec bash "$repo/scripts/build-pulumi.sh"
  fi
done
