#!/usr/bin/env bash
# `npm run demo`: prepares what the demo needs (same set-up as npm test), then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
for setup in scripts/setup/*.sh; do
  [ -e "$setup" ] || continue
  bash "$setup"
done
npx tsc -p tsconfig.build.json
exec node -r ts-node/register/transpile-only scripts/demo.ts "$@"
