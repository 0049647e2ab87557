#!/usr/bin/env bash
# `npm run sdk:python`: virtkit's Python SDK (the `pulumi_virtkit` package) generated from the
# component provider's schema (provider/plugin/schema.json) by Pulumi's own Python generator
# (pulumi-sdkgen, built from tools/pulumi/cmd/pulumi-sdkgen/ into the Pulumi cache folder by
# scripts/build-pulumi.sh), written to sdk/python/ (ignored by git), so that
#
#   pip install ./sdk/python
#
# installs it into any Python environment (with pulumi >= 3.165 from PyPI).
#
# For `npm run pulumi` it is also installed (pip --target, no dependencies, no network: the
# cached venv of scripts/setup/pulumi-python.sh has what it needs) into
# .virtkit/python/virtkit-sdk-<key>/, a folder put on PYTHONPATH when a Python program runs. The
# key is a hash of the schema and of the generator's version, so a changed schema or a new
# generator gives a new folder (the old one is removed) and the cached venv never holds a stale
# SDK. A second run with nothing changed does nothing.
#
#   scripts/build-python-sdk.sh                   generate and install when out of date
#   scripts/build-python-sdk.sh --pythonpath      the same, then print the install folder
#   scripts/build-python-sdk.sh --schema FILE     from another schema (with either of the above)
#
# The SDK's version is the schema's `version` (package.json's version when the schema has
# none): a program asks the engine for the `virtkit` provider plugin at that version.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
schema="$repo/provider/plugin/schema.json"
print_path=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --pythonpath) print_path=true ;;
    --schema)
      schema="$(realpath -m "${2:?build-python-sdk: --schema needs a FILE}")"
      shift
      ;;
    *)
      echo "build-python-sdk: unexpected argument '$1' (the options are --pythonpath and --schema FILE)" >&2
      exit 2
      ;;
  esac
  shift
done
if [[ ! -f "$schema" ]]; then
  echo "build-python-sdk: no schema at $schema; the component provider's schema is" \
    "provider/plugin/schema.json (or pass --schema FILE)" >&2
  exit 1
fi

# Messages go to stderr: with --pythonpath, stdout is the folder alone.
pulumi_dir="$(bash "$repo/scripts/build-pulumi.sh" --print-dir)"
sdkgen="$pulumi_dir/pulumi-sdkgen"
sdkgen_source="$(bash "$repo/scripts/build-pulumi.sh" --print-sdkgen-source)"
if [[ ! -x "$sdkgen" || "$(cat "$sdkgen.source" 2>/dev/null)" != "$sdkgen_source" ]]; then
  echo "build-python-sdk: building pulumi-sdkgen first (missing, or older than its source; cached in $pulumi_dir)" >&2
  bash "$repo/scripts/build-pulumi.sh" >&2
fi
venv="$(bash "$repo/scripts/setup/pulumi-python.sh" --print-dir)"
if [[ ! -f "$venv/.complete" ]]; then
  bash "$repo/scripts/setup/pulumi-python.sh" >&2
fi

version="$(node -e '
  const [schema, pkg] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
  process.stdout.write(schema.version ? "" : pkg.version);
' "$schema" "$repo/package.json")"
# The generator's identity: the cache folder it was built into (named after the versions) and
# the hash of its source.
key="$( (cat "$schema" && echo "$pulumi_dir" && echo "$sdkgen_source" && echo "$version") | sha256sum | cut -c1-16)"
out="$repo/sdk/python"
installs="$repo/.virtkit/python"
install="$installs/virtkit-sdk-$key"

current() { [[ "$(cat "$out/.virtkit-sdk-key" 2>/dev/null)" == "$key" && -d "$install" ]]; }
if ! current; then
  # One writer at a time (two Python programs started together); the second finds it done.
  mkdir -p "$installs"
  exec 9>"$installs/.lock"
  flock 9
fi
if ! current; then
  start=$SECONDS
  "$sdkgen" --schema "$schema" --out "$out" ${version:+--version "$version"} >&2
  echo "$key" >"$out/.virtkit-sdk-key"
  rm -rf "$install.partial"
  # From the venv, without build isolation or an index: nothing is downloaded.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-index \
    --no-deps --no-build-isolation --target "$install.partial" "$out" >&2
  # Only the newest install stays.
  for old in "$installs"/virtkit-sdk-*; do
    [[ "$old" == "$install.partial" ]] || rm -rf "$old"
  done
  mv "$install.partial" "$install"
  echo "build-python-sdk: pulumi_virtkit generated in $out and installed in $install ($((SECONDS - start))s)" >&2
elif ! $print_path; then
  echo "build-python-sdk: pulumi_virtkit in $out is up to date (installed in $install)" >&2
fi
if $print_path; then
  echo "$install"
fi
