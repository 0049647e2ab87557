# shellcheck shell=bash
# The exact version package.json pins an npm dependency at, for scripts that build or install a
# twin of it at the same version (scripts/build-pulumi.sh, scripts/setup/pulumi-python.sh).
# Source it; it only defines a function.

# npm_exact_pin TOOL PACKAGE WHY
#   Prints package.json's pin of PACKAGE (read from package.json, not node_modules, so it is
#   known before `npm ci`). When the pin is not an exact X.Y.Z version, says so on stderr in
#   TOOL's name, with WHY it must be exact, and returns 1.
npm_exact_pin() {
  local tool="$1" package="$2" why="$3" repo pin
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  pin="$(node -p "require('$repo/package.json').dependencies['$package'] || ''")"
  if [[ ! "$pin" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "$tool: package.json must pin $package to an exact version (found '$pin'): $why" >&2
    return 1
  fi
  echo "$pin"
}
