#!/usr/bin/env bash
# The Python environment that `npm run pulumi` runs `runtime: python` programs with (through
# scripts/pulumi-inline.py: no pulumi-language-python here) and that scripts/build-python-sdk.sh
# installs the generated SDK with: a venv holding PyPI's `pulumi` at exactly the version
# package.json pins @pulumi/pulumi to (the CLI is built at the same version), plus what the
# generated SDK needs besides (parver) and what builds it without network (setuptools), in
#
#   ${VIRTKIT_CACHE:-~/.cache/virtkit}/python/pulumi-<version>/
#
# created when missing or broken (a Python upgrade breaks a venv), skipped otherwise (about half
# a minute the first time: pip downloads the wheels). The generated SDK is never installed into
# it, so it never goes stale when the schema changes (scripts/build-python-sdk.sh).
#
#   scripts/setup/pulumi-python.sh               create the venv when it is missing
#   scripts/setup/pulumi-python.sh --print-dir   print the venv's folder and exit
#
# Needs python3 >= 3.10 with its venv module (Debian: python3 python3-venv, installed when
# missing and run as root); pip needs PyPI (or a configured index) the first time.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/npm-pin.sh
source "$repo/scripts/lib/npm-pin.sh"
pin="$(npm_exact_pin setup/pulumi-python @pulumi/pulumi "the Python SDK is installed at the same version")" || exit 1
venv="${VIRTKIT_CACHE:-$HOME/.cache/virtkit}/python/pulumi-$pin"
# Besides pulumi: parver, which the generated SDK imports (its _utilities.py) and pulumi does not
# bring; setuptools >= 70.1, the generated pyproject.toml's build backend, so pip builds the SDK
# from this venv (--no-build-isolation) without downloading anything per build.
requirements=("pulumi==$pin" "parver==0.5" "setuptools>=70.1")

case "${1:-}" in
  --print-dir)
    echo "$venv"
    exit 0
    ;;
  "") ;;
  *)
    echo "setup/pulumi-python: unexpected argument '$1' (the option is --print-dir)" >&2
    exit 2
    ;;
esac

# healthy: the venv's Python runs and imports pulumi at the pinned version.
healthy() {
  [[ -f "$venv/.complete" ]] &&
    "$venv/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version("pulumi") != sys.argv[1])' \
      "$pin" 2>/dev/null
}

if healthy; then
  echo "setup/pulumi-python: Python Pulumi SDK $pin ready in $venv"
  exit 0
fi

python_ok() { command -v python3 >/dev/null && python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; }
if ! python_ok; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup/pulumi-python: python3 >= 3.10 with its venv module is missing;" \
      "run 'apt-get install python3 python3-venv' as root" >&2
    exit 1
  fi
  echo "setup/pulumi-python: installing python3 and python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv >/dev/null
  if ! python_ok; then
    echo "setup/pulumi-python: python3 on PATH ($(command -v python3)) is older than 3.10 or has no" \
      "venv module; put a newer python3 first on PATH" >&2
    exit 1
  fi
fi

# One creator at a time (two test runs, or a test run and `npm run pulumi`).
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if healthy; then
  echo "setup/pulumi-python: Python Pulumi SDK $pin ready in $venv"
  exit 0
fi
start=$SECONDS
echo "setup/pulumi-python: creating $venv (pulumi $pin from PyPI, with $(python3 --version))"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${requirements[@]}"
touch "$venv/.complete"
echo "setup/pulumi-python: Python Pulumi SDK $pin ready in $venv ($((SECONDS - start))s)"
