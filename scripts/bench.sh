#!/usr/bin/env bash
# Runs every benchmark in bench/ (bench/*.ts), one after another, with ts-node in
# transpile-only mode. Each writes its report to bench/reports/. Fails if any fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# The runtime processes a benchmark starts run the compiled tree, pinned for the whole run.
npx tsc -p tsconfig.build.json
export VIRTKIT_COMPILED=1
status=0
for bench in bench/*.ts; do
  echo "== ${bench}"
  if ! TS_NODE_PROJECT=tsconfig.json npx ts-node --transpile-only "${bench}"; then
    echo "!! ${bench} failed" >&2
    status=1
  fi
done
exit "${status}"
