#!/usr/bin/env bash
# The one test command (`npm test`, and CI through .ci/run): prepares what the suites need,
# idempotently, then runs typecheck, lint and every jest project (unit, integration, e2e).
# It ends with a plain "tests: N passed, N failed, N skipped" line.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# Node dependencies: install when missing or when the lock file changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

# Each area prepares its own needs (Debian packages, cached Go builds, guest images).
for setup in scripts/setup/*.sh; do
  [ -e "$setup" ] || continue
  log "setup: $setup"
  bash "$setup"
done

log "typecheck"
npx tsc -p tsconfig.json --noEmit

log "build (the CLI and the runtime run compiled JavaScript)"
npx tsc -p tsconfig.build.json

log "lint"
npx eslint . --max-warnings 0
npx prettier --check . >/dev/null || { npx prettier --check . | head -40; echo "run: npm run format" >&2; exit 1; }

log "synthesize the cdk8s examples (the integration suite applies them)"
npm run -s examples:synth

log "jest (unit, integration, e2e)"
results="$(mktemp -t virtkit-jest-XXXXXX.json)"
status=0
# --forceExit: a test that times out can leave a server or socket open, and jest would then wait
# on it for ever (the failure is already counted; CI must end with the result, not hang).
npx jest --ci --forceExit --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = require(process.argv[1]);
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.error("no tests ran"); process.exit(1); }
  if (skipped > 0) { console.error("skipped tests are not allowed: every test must run"); process.exit(1); }
' "$results" || status=1
rm -f "$results"
exit "$status"
